//! The pipeline: cycle orchestration, the write queue, and background jobs.

pub mod jobs;
pub mod scheduler;
pub mod writer;
