//! The terminal UI: browse, filter, inspect and acknowledge alerts live.
//!
//! One [`state::State`]; [`update::update`] is the only place it changes (no I/O); effects run in
//! [`effects`] and report back as actions; [`view`] draws the state with a [`theme::Theme`];
//! [`app`] is the event loop and [`terminal`] keeps the terminal usable whatever happens.
//!
//! Entry points: [`run`] (the screen; attached or with a pipeline in the same process) and
//! [`Headless`] (no terminal: new alerts as JSON lines).

pub mod action;
pub mod app;
pub mod clip;
pub mod command;
pub mod effects;
pub mod keymap;
pub mod market;
pub mod settings;
pub mod silence;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;

#[cfg(test)]
mod tests;

pub use app::{Headless, TuiOptions, run};
