//! Tests of the UI without a terminal: `update` behaviour and rendered screens.

mod command;
pub(crate) mod fixtures;
mod market;
mod market_screen;
mod noise;
mod noise_render;
mod render;
mod screen;
mod settings;
mod team;
mod update;
