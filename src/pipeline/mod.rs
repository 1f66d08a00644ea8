//! The pipeline: cycle orchestration, the write queue, and background jobs.

pub mod cycle;
pub mod dead_letters;
pub mod jobs;
pub mod run;
pub mod scheduler;
pub mod writer;
