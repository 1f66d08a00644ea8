//! cli
pub mod fetch;
pub mod sim;
