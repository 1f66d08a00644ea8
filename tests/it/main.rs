//! The integration tests: one test binary (linking the crate once), one module per area.
//!
//! Shared fixtures live in `common` (databases), `api_server` (the API on a loopback port), `sandbox` (the real binary in an isolated home),
//! `support` (pipeline fixtures), `writer_support` (write-queue fixtures) and `contract` (the
//! OpenAPI document as a checker).

mod api_server;
#[macro_use]
mod common;
mod contract;
mod sandbox;
mod support;
mod writer_support;

mod api;
mod api_input;
mod api_silences;
mod board;
mod cli;
mod cli_completions;
mod cli_input;
mod cli_silence;
mod connections;
mod event_availability;
mod export;
mod fuzz;
mod golden_api;
mod handover;
mod handover_sqlite;
mod handover_team;
mod headless;
mod keyset_plan;
mod leases;
mod log_format;
mod market_risk_e2e;
mod metrics;
mod migrate_versions;
mod noise_e2e;
mod notify;
mod notify_cli;
mod notify_process;
mod pipeline_e2e;
mod pipeline_outage;
mod pipeline_slow_books;
mod pipeline_writer;
mod scrape_command;
mod sim_cycle_bench;
mod sim_end_to_end;
mod sources_bet9ja;
mod sources_betpawa;
mod sources_http;
mod sources_required_fields;
mod sources_slow_books;
mod sources_sportybet;
mod sources_theoddsapi;
mod status;
mod store_activity;
mod store_contract;
mod store_history;
mod store_noise;
mod store_pipeline;
mod store_settings;
mod tui_smoke;
mod views;
