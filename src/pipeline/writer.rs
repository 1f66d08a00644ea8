//! The write queue: a bounded channel and a single writer task. Each batch is stored in one
//! transaction; a failure is retried with backoff for about a minute, and a batch that still
//! cannot be stored is kept as a dead letter (see [`super::dead_letters`]) — never dropped
//! quietly. While the process runs, waiting dead letters are stored as soon as the database
//! answers again. The cycle's run record goes through the same queue, so a cycle that ran into
//! an outage is recorded once the database is back. Subscribers in other processes learn about
//! stored alerts from the database's change log (see [`crate::live`]); in this process a writer
//! started with [`spawn_publishing_writer`] also hands each committed batch's log rows straight
//! to the change feed, so its alerts appear without waiting for the next poll.
//!
//! # Choices
//!
//! - **The retry window is a time, not a count of attempts.** Against a database that refuses
//!   connections each attempt waits out the pool's acquire timeout (10 s on PostgreSQL), so eight
//!   attempts made a window of about two minutes, not the documented minute. Now a batch is
//!   retried until [`RetryPolicy::window`] has passed since its first attempt; before each retry
//!   a `SELECT 1` bounded by the time left checks the database answers, and only then is the
//!   batch written again. The batch write itself is never cut short by a timeout: a commit
//!   interrupted after the server applied it would be replayed as a duplicate.
//! - **Dead letters of earlier runs** are stored by the writer before its first job (the
//!   pipeline flushes once to wait for them before warming the detector), so they count in the
//!   first run's `batches_replayed`.
//! - **Dead letters are retried in the background** every [`RetryPolicy::replay_every`] while
//!   any wait (a probe first, so a down database costs one bounded check), and at once after a
//!   batch is stored (the database answers). The queue's own jobs come first.
//! - **Stopping is not retrying.** Once [`WriterStop::stop_retrying`] is called (the pipeline
//!   stops), a retry in progress ends at once and each remaining job gets one attempt if the
//!   database answers a check within [`RetryPolicy::probe_timeout`]; the first that does not
//!   sends the rest straight to dead letters, replayed on the next start. A write attempt in
//!   flight is never cut short (see above), so the worst case is one acquire timeout.
//! - **Counts per run.** The writer counts the batches it dead-letters and the letters it replays
//!   between two run records and writes them into the next run record, which the cycle queues
//!   after its last batch: `batches_dead_lettered` are that cycle's, `batches_replayed` are the
//!   letters (of any cycle) stored while it ran. A run with dead-lettered batches is at best
//!   `partial`, and its error says how many batches wait.
//! - **Publishing after commit, never before.** The log rows of a stored batch go to the feed's
//!   [`Publisher`] (a task of its own that reads the alerts) once the transaction committed and
//!   before the batch's outcome is reported; the writer never waits for that read. Replayed dead
//!   letters are left to the poll (rare, and their alerts are old news).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::dead_letters::{Letter, keep, waiting};
pub use super::dead_letters::{Replay, dead_letter_dir, replay_dead_letters};
use crate::live::{ChangeFeed, Publisher};
use crate::store::{
    BatchWritten, CycleBatch, NoiseCounts, RunRecord, RunStatus, Store, StoreError,
};

/// How hard the writer tries before dead-lettering, and how often it retries dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long a batch is retried, from its first attempt, before it becomes a dead letter.
    /// Zero: one attempt.
    pub window: Duration,
    /// Delay before the second attempt; doubled each time.
    pub first_backoff: Duration,
    /// Longest delay between attempts.
    pub max_backoff: Duration,
    /// How often waiting dead letters are retried while the process runs.
    pub replay_every: Duration,
    /// Longest wait for the database to answer a check before a retry.
    pub probe_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // About a minute of retries (as the README says): rides out a database restart or a
        // long lock.
        RetryPolicy {
            window: Duration::from_secs(60),
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(15),
            replay_every: Duration::from_secs(5),
            probe_timeout: Duration::from_secs(2),
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
    /// Refused by its fence: another daemon took some of its shards over and detects their
    /// events itself. Never retried nor replayed; kept aside in `path` when that worked.
    Fenced {
        /// The shards another daemon holds now.
        shards: Vec<u16>,
        /// Where it was kept aside (`dead-letters/fenced/`).
        path: Option<PathBuf>,
    },
    /// Could not be stored nor kept: the data is lost, loudly.
    Lost {
        /// Why.
        error: String,
    },
}

enum Job {
    Write(Box<CycleBatch>, Option<oneshot::Sender<WriteOutcome>>),
    Run(Box<RunRecord>, oneshot::Sender<()>),
    Flush(oneshot::Sender<()>),
}

/// Batches the write queue holds before the cycle waits for the writer. Each first-cycle batch
/// of 100 events carries tens of thousands of rows, so this bounds the pipeline's memory.
pub const QUEUE_BATCHES: usize = 2;

/// The sending side of the write queue. Cheap to clone.
#[derive(Clone)]
pub struct WriteQueue {
    tx: mpsc::Sender<Job>,
    /// Set at shutdown: stop retrying (see [`WriterStop`]).
    hurry: Arc<watch::Sender<bool>>,
    /// Nanoseconds the writer has spent storing batches (retries and backoff included).
    busy_nanos: Arc<AtomicU64>,
    /// What the stored batches' detections did to the alerts, summed (see [`WriteQueue::noise`]).
    noise: Arc<std::sync::Mutex<NoiseCounts>>,
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

    /// Queues the record of a finished cycle (after its batches) and waits until the writer
    /// has stored it or kept it as a dead letter. The writer adds the dead-letter counts.
    pub async fn record_run(&self, run: RunRecord) -> Result<(), QueueClosed> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Job::Run(Box::new(run), tx))
            .await
            .map_err(|_| QueueClosed)?;
        rx.await.map_err(|_| QueueClosed)
    }

    /// Time the writer has spent storing batches since it started. The writer is one task, so
    /// this is the persist phase's wall time, even though it overlaps the fetching.
    pub fn write_time(&self) -> Duration {
        Duration::from_nanos(self.busy_nanos.load(Ordering::Relaxed))
    }

    /// What the detections of every batch stored so far did to the alerts (DESIGN §10),
    /// summed: the noise benchmark reads it after each cycle (the cycle flushes the queue).
    pub fn noise(&self) -> NoiseCounts {
        *self
            .noise
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A handle that tells the writer the process is stopping, without keeping the queue open.
    pub fn stop_handle(&self) -> WriterStop {
        WriterStop {
            hurry: self.hurry.clone(),
        }
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

/// Tells the writer the process is stopping: retries end at once, and a batch that is not stored
/// on one attempt (made only if the database answers a quick check) is kept as a dead letter for
/// the next start, so a stop during an outage takes seconds, not a retry window per batch.
#[derive(Clone)]
pub struct WriterStop {
    hurry: Arc<watch::Sender<bool>>,
}

impl WriterStop {
    /// Stops retrying; what the database does not take now waits as dead letters.
    pub fn stop_retrying(&self) {
        self.hurry.send_replace(true);
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
    /// Dead-letter batches stored while the writer ran (including ones this writer kept).
    pub replayed: u64,
    /// Batches lost (could not even be dead-lettered).
    pub lost: u64,
    /// Run records that could not be stored and were kept as dead letters.
    pub runs_dead_lettered: u64,
    /// Dead letters still waiting when the writer stopped (replayed on the next start).
    pub letters_waiting: u64,
    /// Batches (and replayed dead letters) refused by their fence: kept aside, not stored.
    pub fenced: u64,
}

/// Dead-letter counts since the last run record.
#[derive(Debug, Default)]
struct SinceLastRun {
    dead_lettered: i64,
    replayed: i64,
}

/// The writer task's state.
struct Writer {
    store: Store,
    dir: PathBuf,
    policy: RetryPolicy,
    totals: WriterTotals,
    since_run: SinceLastRun,
    /// Letters the database may still take are waiting in `dir`.
    letters_waiting: bool,
    /// True once the process is stopping.
    hurry: watch::Receiver<bool>,
    /// Stopping, and the database did not answer: the rest goes straight to dead letters.
    down_at_stop: bool,
    /// Where committed changes are published in this process, if anywhere.
    publisher: Option<Publisher>,
}

/// Starts the writer. It stops (returning its totals) once every [`WriteQueue`] is dropped and
/// the queue is drained.
pub fn spawn_writer(
    store: Store,
    dead_letter_dir: PathBuf,
    policy: RetryPolicy,
    capacity: usize,
) -> (WriteQueue, JoinHandle<WriterTotals>) {
    start_writer(store, dead_letter_dir, policy, capacity, None)
}

/// [`spawn_writer`] that also publishes the new alerts of every batch it stores onto `feed`
/// right after the commit (the poller on the same feed skips them, see [`crate::live`]).
pub fn spawn_publishing_writer(
    store: Store,
    dead_letter_dir: PathBuf,
    policy: RetryPolicy,
    capacity: usize,
    feed: &ChangeFeed,
) -> (WriteQueue, JoinHandle<WriterTotals>) {
    let publisher = Publisher::spawn(store.clone(), feed.clone());
    start_writer(store, dead_letter_dir, policy, capacity, Some(publisher))
}

fn start_writer(
    store: Store,
    dead_letter_dir: PathBuf,
    policy: RetryPolicy,
    capacity: usize,
    publisher: Option<Publisher>,
) -> (WriteQueue, JoinHandle<WriterTotals>) {
    let (tx, mut rx) = mpsc::channel::<Job>(capacity.max(1));
    let (hurry, hurry_rx) = watch::channel(false);
    let busy_nanos = Arc::new(AtomicU64::new(0));
    let busy = busy_nanos.clone();
    let noise = Arc::new(std::sync::Mutex::new(NoiseCounts::default()));
    let noise_sum = noise.clone();
    let handle = tokio::spawn(async move {
        let mut writer = Writer {
            letters_waiting: !waiting(&dead_letter_dir).is_empty(),
            store,
            dir: dead_letter_dir,
            policy,
            totals: WriterTotals::default(),
            since_run: SinceLastRun::default(),
            hurry: hurry_rx,
            down_at_stop: false,
            publisher,
        };
        // Letters of earlier runs first: callers flush once to wait for them.
        if writer.letters_waiting {
            writer.replay().await;
        }
        loop {
            let job = tokio::select! {
                biased;
                job = rx.recv() => job,
                () = tokio::time::sleep(policy.replay_every), if writer.letters_waiting => {
                    writer.replay_if_answering().await;
                    continue;
                }
            };
            let Some(job) = job else { break };
            crate::metrics::record_write_queue_depth(rx.len());
            match job {
                Job::Flush(done) => {
                    let _ = done.send(());
                }
                Job::Write(batch, reply) => {
                    let started = std::time::Instant::now();
                    let outcome = writer.write_batch(*batch).await;
                    let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    busy.fetch_add(took, Ordering::Relaxed);
                    let stored = matches!(outcome, WriteOutcome::Stored { .. });
                    if let WriteOutcome::Stored { written, .. } = &outcome {
                        crate::metrics::record_stored(&written.noise);
                        *noise_sum
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) += written.noise;
                    }
                    if let Some(reply) = reply {
                        let _ = reply.send(outcome);
                    }
                    // The database answers: this is the moment to store what waits.
                    if stored && writer.letters_waiting {
                        writer.replay().await;
                    }
                }
                Job::Run(run, done) => {
                    writer.record_run(*run).await;
                    crate::metrics::record_dead_letters_waiting(waiting(&writer.dir).len());
                    let _ = done.send(());
                }
            }
        }
        // A last chance before the process exits; what still waits is replayed on the next start.
        if writer.letters_waiting && !writer.down_at_stop {
            writer.replay_if_answering().await;
        }
        writer.totals.letters_waiting = waiting(&writer.dir).len() as u64;
        if writer.totals.letters_waiting > 0 {
            tracing::warn!(
                letters = writer.totals.letters_waiting,
                dir = %writer.dir.display(),
                "dead letters still waiting; they are replayed on the next start"
            );
        }
        writer.totals
    });
    let queue = WriteQueue {
        tx,
        hurry: Arc::new(hurry),
        busy_nanos,
        noise,
    };
    (queue, handle)
}

impl Writer {
    async fn write_batch(&mut self, batch: CycleBatch) -> WriteOutcome {
        let store = &self.store;
        let result = if self.down_at_stop {
            Err(down_at_stop())
        } else {
            with_retries(store, self.policy, &mut self.hurry, || {
                store.write_cycle_batch(&batch)
            })
            .await
        };
        self.down_at_stop = matches!(&result, Err(e) if !is_fenced(e)) && *self.hurry.borrow();
        match result {
            Err(StoreError::Fenced { owner, shards }) => {
                self.totals.fenced += 1;
                let path = super::fenced::set_aside(&self.dir, batch, &owner, &shards);
                WriteOutcome::Fenced { shards, path }
            }
            Ok((written, attempts)) => {
                if let Some(publisher) = &self.publisher {
                    publisher.committed(written.changes.clone());
                }
                self.totals.stored += 1;
                if attempts > 1 {
                    self.totals.retried += 1;
                }
                WriteOutcome::Stored { written, attempts }
            }
            Err(error) => match keep(&self.dir, &Letter::Batch(batch)) {
                Ok(path) => {
                    self.totals.dead_lettered += 1;
                    crate::metrics::record_dead_letters_written(1);
                    self.since_run.dead_lettered += 1;
                    self.letters_waiting = true;
                    tracing::error!(path = %path.display(), %error, "batch could not be stored; kept as a dead letter");
                    WriteOutcome::DeadLettered {
                        path,
                        error: error.to_string(),
                    }
                }
                Err(io) => {
                    self.totals.lost += 1;
                    tracing::error!(%error, dead_letter_error = %io, "batch could not be stored nor dead-lettered: DATA LOST");
                    WriteOutcome::Lost {
                        error: format!("{error}; dead letter failed: {io}"),
                    }
                }
            },
        }
    }

    /// Stores a run record with the dead-letter counts since the previous one.
    async fn record_run(&mut self, mut run: RunRecord) {
        let counts = std::mem::take(&mut self.since_run);
        run.batches_dead_lettered = counts.dead_lettered;
        run.batches_replayed = counts.replayed;
        if counts.dead_lettered > 0 {
            if run.summary.status == RunStatus::Ok {
                run.summary.status = RunStatus::Partial;
            }
            let note = format!(
                "{} batches could not be stored within the retry window and were kept as dead letters",
                counts.dead_lettered
            );
            run.summary.error = Some(match run.summary.error.take() {
                Some(error) => format!("{error}; {note}"),
                None => note,
            });
        }
        if counts.dead_lettered > 0 || counts.replayed > 0 {
            tracing::warn!(
                batches_dead_lettered = counts.dead_lettered,
                batches_replayed = counts.replayed,
                "dead letters of this cycle"
            );
        }
        let store = &self.store;
        let result = if self.down_at_stop {
            Err(down_at_stop())
        } else {
            with_retries(store, self.policy, &mut self.hurry, || {
                store.record_run(&run)
            })
            .await
            .map(|_| ())
        };
        self.down_at_stop = result.is_err() && *self.hurry.borrow();
        if let Err(error) = result {
            match keep(&self.dir, &Letter::Run(run)) {
                Ok(path) => {
                    self.totals.runs_dead_lettered += 1;
                    self.letters_waiting = true;
                    tracing::error!(path = %path.display(), %error, "run record could not be stored; kept as a dead letter");
                }
                Err(io) => {
                    tracing::error!(%error, dead_letter_error = %io, "run record could not be stored nor dead-lettered");
                }
            }
        }
    }

    /// Replays waiting letters if the database answers a quick check.
    async fn replay_if_answering(&mut self) {
        match tokio::time::timeout(self.policy.probe_timeout, self.store.ping()).await {
            Ok(Ok(())) => self.replay().await,
            Ok(Err(e)) => tracing::debug!(error = %e, "database still down; dead letters wait"),
            Err(_) => tracing::debug!("database does not answer; dead letters wait"),
        }
    }

    async fn replay(&mut self) {
        let replay = replay_dead_letters(&self.store, &self.dir).await;
        self.totals.replayed += replay.replayed;
        crate::metrics::record_dead_letters_replayed(replay.replayed);
        self.totals.fenced += replay.fenced;
        self.since_run.replayed += i64::try_from(replay.replayed).unwrap_or(i64::MAX);
        self.letters_waiting = replay.retryable() > 0;
        if replay.replayed + replay.runs_replayed > 0 {
            tracing::warn!(
                batches_replayed = replay.replayed,
                runs_replayed = replay.runs_replayed,
                still_waiting = replay.failed,
                "dead letters replayed"
            );
        }
    }
}

/// The error of a write not attempted because the database was down at shutdown.
fn down_at_stop() -> StoreError {
    StoreError::Query {
        context: "storing while stopping (the database did not answer)",
        source: sqlx::Error::PoolTimedOut,
    }
}

/// Whether the database refused a batch for its fence (never retried).
fn is_fenced(error: &StoreError) -> bool {
    matches!(error, StoreError::Fenced { .. })
}

/// Waits until the process is stopping.
async fn hurried(hurry: &mut watch::Receiver<bool>) {
    if hurry.wait_for(|h| *h).await.is_err() {
        // The queue is gone; nobody will ask to hurry.
        std::future::pending::<()>().await;
    }
}

/// Runs `write` until it succeeds, the batch is wrong in itself, the policy's window has passed
/// since the first attempt, or the process is stopping (`hurry`). Returns the result and the
/// attempts it took. While stopping, the one attempt is made only if the database answers a
/// quick check.
async fn with_retries<T, F, Fut>(
    store: &Store,
    policy: RetryPolicy,
    hurry: &mut watch::Receiver<bool>,
    mut write: F,
) -> Result<(T, u32), StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let deadline = Instant::now() + policy.window;
    let mut backoff = policy.first_backoff;
    let mut attempt = 1;
    if *hurry.borrow() {
        match tokio::time::timeout(policy.probe_timeout, store.ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(down_at_stop()),
        }
    }
    let mut last = match write().await {
        Ok(done) => return Ok((done, attempt)),
        Err(e) => e,
    };
    loop {
        // A batch that is wrong in itself will not get better by waiting, nor one whose
        // shards another daemon took.
        if matches!(last, StoreError::Corrupt { .. }) || is_fenced(&last) {
            return Err(last);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(last);
        }
        if *hurry.borrow() {
            return Err(last);
        }
        let delay = jitter(backoff).min(deadline - now);
        tracing::warn!(attempt, error = %last, "storing failed; retrying in {delay:?}");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = hurried(hurry) => return Err(last),
        }
        backoff = (backoff * 2).min(policy.max_backoff);
        attempt += 1;
        // Check the database answers within the time left before writing again: against a
        // refused connection a write would wait out the pool's whole acquire timeout.
        let left = deadline.saturating_duration_since(Instant::now());
        let probe = tokio::select! {
            probe = tokio::time::timeout(left, store.ping()) => probe,
            () = hurried(hurry) => return Err(last),
        };
        match probe {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                last = e;
                continue;
            }
            Err(_) => continue,
        }
        last = match write().await {
            Ok(done) => return Ok((done, attempt)),
            Err(e) => e,
        };
    }
}

/// Up to 20 % random extra delay, so several writers do not retry in lockstep.
fn jitter(delay: Duration) -> Duration {
    use rand::Rng;
    let extra = rand::thread_rng().gen_range(0.0..0.2);
    delay.mul_f64(1.0 + extra)
}

/// The dead letters waiting in `dir` (for status lines and tests).
pub fn letters_waiting(dir: &Path) -> usize {
    waiting(dir).len()
}
