//! Tests of the UI without a terminal: `update` behaviour and rendered screens.

mod fixtures;
mod render;
mod update;
