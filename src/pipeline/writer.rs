//! The write queue: a bounded channel and a single writer task. Each batch is stored in one
//! transaction; a failure is retried with exponential backoff, and a batch that still cannot be
//! stored is written to a dead-letter file (replayed on the next start) — never dropped quietly.
//! Subscribers learn about stored alerts from the database's change log (see [`crate::live`]),
//! the same way whether the writer runs in their process or another.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::{BatchWritten, CycleBatch, Store, StoreError};

/// How hard the writer tries before dead-lettering a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (≥ 1).
    pub attempts: u32,
    /// Delay before the second attempt; doubled each time.
    pub first_backoff: Duration,
    /// Longest delay between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // About a minute of retries: rides out a database restart or a long lock.
        RetryPolicy {
            attempts: 8,
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(15),
        }
    }
}

/// What happened to one batch.
#[derive(Debug)]
pub enum WriteOutcome {
    /// Stored (after `attempts` tries).
    Stored {
        /// What was written.
        written: BatchWritten,
        /// Tries it took.
        attempts: u32,
    },
    /// Could not be stored; kept in `path` for replay.
    DeadLettered {
        /// The dead-letter file.
        path: PathBuf,
        /// The last error.
        error: String,
    },
    /// Could not be stored nor kept: the data is lost, loudly.
    Lost {
        /// Why.
        error: String,
    },
}

enum Job {
    Write(Box<CycleBatch>, Option<oneshot::Sender<WriteOutcome>>),
    Flush(oneshot::Sender<()>),
}

/// Batches the write queue holds before the cycle waits for the writer. Each first-cycle batch
/// of 100 events carries tens of thousands of rows, so this bounds the pipeline's memory.
pub const QUEUE_BATCHES: usize = 2;

/// The sending side of the write queue. Cheap to clone.
#[derive(Clone)]
pub struct WriteQueue {
    tx: mpsc::Sender<Job>,
    /// Nanoseconds the writer has spent storing batches (retries and backoff included).
    busy_nanos: Arc<AtomicU64>,
}

/// Why a batch could not be queued.
#[derive(Debug, thiserror::Error)]
#[error("the write queue is closed (the writer stopped)")]
pub struct QueueClosed;

impl WriteQueue {
    /// Queues a batch, waiting while the queue is full (backpressure on the cycle).
    pub async fn send(&self, batch: CycleBatch) -> Result<(), QueueClosed> {
        self.tx
            .send(Job::Write(Box::new(batch), None))
            .await
            .map_err(|_| QueueClosed)
    }

    /// Queues a batch and returns a receiver of its outcome.
    pub async fn send_and_track(
        &self,
        batch: CycleBatch,
    ) -> Result<oneshot::Receiver<WriteOutcome>, QueueClosed> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Job::Write(Box::new(batch), Some(tx)))
            .await
            .map_err(|_| QueueClosed)?;
        Ok(rx)
    }

    /// Time the writer has spent storing batches since it started. The writer is one task, so
    /// this is the persist phase's wall time, even though it overlaps the fetching.
    pub fn write_time(&self) -> Duration {
        Duration::from_nanos(self.busy_nanos.load(Ordering::Relaxed))
    }

    /// Waits until every batch queued before this call has been handled.
    pub async fn flush(&self) -> Result<(), QueueClosed> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Job::Flush(tx))
            .await
            .map_err(|_| QueueClosed)?;
        rx.await.map_err(|_| QueueClosed)
    }
}

/// Totals of a writer's life, returned when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterTotals {
    /// Batches stored.
    pub stored: u64,
    /// Batches that needed more than one attempt.
    pub retried: u64,
    /// Batches dead-lettered.
    pub dead_lettered: u64,
    /// Batches lost (could not even be dead-lettered).
    pub lost: u64,
}

/// Starts the writer. It stops (returning its totals) once every [`WriteQueue`] is dropped and
/// the queue is drained.
pub fn spawn_writer(
    store: Store,
    dead_letter_dir: PathBuf,
    policy: RetryPolicy,
    capacity: usize,
) -> (WriteQueue, JoinHandle<WriterTotals>) {
    let (tx, mut rx) = mpsc::channel::<Job>(capacity.max(1));
    let busy_nanos = Arc::new(AtomicU64::new(0));
    let busy = busy_nanos.clone();
    let handle = tokio::spawn(async move {
        let mut totals = WriterTotals::default();
        while let Some(job) = rx.recv().await {
            match job {
                Job::Flush(done) => {
                    let _ = done.send(());
                }
                Job::Write(batch, reply) => {
                    let started = std::time::Instant::now();
                    let outcome = write_with_retries(&store, &batch, policy).await;
                    let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    busy.fetch_add(took, Ordering::Relaxed);
                    let outcome = match outcome {
                        Ok((written, attempts)) => {
                            totals.stored += 1;
                            if attempts > 1 {
                                totals.retried += 1;
                            }
                            WriteOutcome::Stored { written, attempts }
                        }
                        Err(error) => match dead_letter(&dead_letter_dir, &batch) {
                            Ok(path) => {
                                totals.dead_lettered += 1;
                                tracing::error!(path = %path.display(), %error, "batch could not be stored; kept as a dead letter");
                                WriteOutcome::DeadLettered {
                                    path,
                                    error: error.to_string(),
                                }
                            }
                            Err(io) => {
                                totals.lost += 1;
                                tracing::error!(%error, dead_letter_error = %io, "batch could not be stored nor dead-lettered: DATA LOST");
                                WriteOutcome::Lost {
                                    error: format!("{error}; dead letter failed: {io}"),
                                }
                            }
                        },
                    };
                    if let Some(reply) = reply {
                        let _ = reply.send(outcome);
                    }
                }
            }
        }
        totals
    });
    (WriteQueue { tx, busy_nanos }, handle)
}

async fn write_with_retries(
    store: &Store,
    batch: &CycleBatch,
    policy: RetryPolicy,
) -> Result<(BatchWritten, u32), StoreError> {
    let mut backoff = policy.first_backoff;
    let mut attempt = 1;
    loop {
        match store.write_cycle_batch(batch).await {
            Ok(written) => return Ok((written, attempt)),
            // A batch that is wrong in itself will not get better by waiting.
            Err(e @ StoreError::Corrupt { .. }) => return Err(e),
            Err(e) if attempt >= policy.attempts.max(1) => return Err(e),
            Err(e) => {
                tracing::warn!(attempt, error = %e, "storing a batch failed; retrying in {backoff:?}");
                tokio::time::sleep(jitter(backoff)).await;
                backoff = (backoff * 2).min(policy.max_backoff);
                attempt += 1;
            }
        }
    }
}

/// Up to 20 % random extra delay, so several writers do not retry in lockstep.
fn jitter(delay: Duration) -> Duration {
    use rand::Rng;
    let extra = rand::thread_rng().gen_range(0.0..0.2);
    delay.mul_f64(1.0 + extra)
}

/// The folder of dead letters under a data dir.
pub fn dead_letter_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("dead-letters")
}

fn dead_letter(dir: &Path, batch: &CycleBatch) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = format!(
        "batch-{}-{}.json",
        batch.at.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id()
    );
    let path = dir.join(name);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(batch).map_err(std::io::Error::other)?,
    )?;
    // Rename so a crash never leaves a half-written letter that replay would choke on.
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Result of replaying dead letters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replay {
    /// Letters stored and removed.
    pub replayed: u64,
    /// Letters that still fail (kept).
    pub failed: u64,
}

/// Stores every dead letter in `dir` (oldest first), deleting each one that is stored.
pub async fn replay_dead_letters(store: &Store, dir: &Path) -> Replay {
    let mut replay = Replay::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return replay;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let batch: Result<CycleBatch, String> = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
        match batch {
            Ok(batch) => match store.write_cycle_batch(&batch).await {
                Ok(_) => {
                    replay.replayed += 1;
                    if let Err(e) = std::fs::remove_file(&path) {
                        tracing::warn!(path = %path.display(), error = %e, "replayed dead letter could not be removed");
                    }
                }
                Err(e) => {
                    replay.failed += 1;
                    tracing::error!(path = %path.display(), error = %e, "dead letter still cannot be stored; kept");
                }
            },
            Err(e) => {
                replay.failed += 1;
                tracing::error!(path = %path.display(), error = %e, "dead letter is unreadable; kept for inspection");
            }
        }
    }
    replay
}
