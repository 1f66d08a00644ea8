//! oddswatch: a terminal risk monitor for sportsbook traders.
//!
//! Data flows one way: feeds (`sources`, `sim`) → `pipeline` (normalise, match, `detect`) →
//! `store` → the faces (`cli`, `tui`, `api`), which read and acknowledge alerts through
//! [`service::AlertService`]. `domain` and `detect` are pure.

pub mod api;
pub mod bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod detect;
pub mod domain;
pub mod health;
pub mod live;
pub mod metrics;
pub mod notify;
pub mod pipeline;
pub mod service;
pub mod shutdown;
pub mod sim;
pub mod sources;
pub mod store;
pub mod telemetry;
pub mod tui;
