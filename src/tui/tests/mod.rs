//! Tests of the UI without a terminal: `update` behaviour and rendered screens.

pub(crate) mod fixtures;
mod market;
mod market_screen;
mod noise;
mod noise_render;
mod render;
mod settings;
mod update;
