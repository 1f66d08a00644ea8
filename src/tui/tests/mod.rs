//! Tests of the UI without a terminal: `update` behaviour and rendered screens.

pub(crate) mod fixtures;
mod render;
mod update;
