//! The pipeline: cycle orchestration, the write queue, and background jobs.

pub mod cycle;
pub mod dead_letters;
pub mod fenced;
pub mod jobs;
pub mod leases;
pub mod run;
pub mod scheduler;
pub mod scrape_lock;
pub mod writer;
