//! Dead letters: what the writer could not store — cycle batches and run records — kept as files
//! under `<data dir>/dead-letters/` until the database takes them, then removed.
//!
//! # Choices
//!
//! - **One file per letter, never overwritten.** A name is
//!   `<kind>-<observed at>-<pid>-<sequence>.json` (`kind` is `batch` or `run`). Every batch of a
//!   cycle carries the cycle's start time, so the time and the pid alone would give the batches
//!   of one cycle one name and keep only the last (the defect this module fixes); the sequence
//!   is a process-wide counter, and a name that exists already (a letter of an earlier process
//!   that had the same pid) is skipped, not replaced.
//! - **Whole or absent.** A letter is written to `<name>.tmp`, fsync'd, renamed into place, and
//!   the folder is fsync'd, so after a crash or a power cut a letter is either complete or not
//!   there; replay ignores `.tmp` files.
//! - **Replay order** is by name: batches before run records (a run's counts then describe
//!   stored data), oldest observation first. Storing an old batch after newer ones is safe: the
//!   current-odds upsert never lets an older state overwrite a newer one, and the history rows and
//!   alerts it adds are its own.
//! - **A replay pass stops at the first letter the database refuses** for a reason other than
//!   the letter itself (the database is down again): the rest wait for the next pass instead of
//!   each waiting out a connection timeout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::store::{CycleBatch, RunRecord, Store, StoreError};

/// The folder of dead letters under a data dir.
pub fn dead_letter_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("dead-letters")
}

/// Letters written by this process so far: the unique part of their names.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Something the writer keeps when the database will not take it.
#[derive(Debug, Clone, PartialEq)]
pub enum Letter {
    /// A batch of a cycle: events, odds, history, alerts.
    Batch(CycleBatch),
    /// The record of a finished cycle.
    Run(RunRecord),
}

impl Letter {
    fn kind(&self) -> &'static str {
        match self {
            Letter::Batch(_) => "batch",
            Letter::Run(_) => "run",
        }
    }

    fn observed_at(&self) -> DateTime<Utc> {
        match self {
            Letter::Batch(batch) => batch.at,
            Letter::Run(run) => run.started_at,
        }
    }

    fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        match self {
            Letter::Batch(batch) => serde_json::to_vec(batch),
            Letter::Run(run) => serde_json::to_vec(run),
        }
    }

    /// Reads a letter back; the file name says which kind it is (anything not named `run-…`
    /// is a batch, as every letter was before run records were kept).
    fn read(path: &Path) -> Result<Letter, String> {
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        let is_run = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("run-"));
        if is_run {
            serde_json::from_slice(&bytes).map(Letter::Run)
        } else {
            serde_json::from_slice(&bytes).map(Letter::Batch)
        }
        .map_err(|e| e.to_string())
    }

    async fn store(&self, store: &Store) -> Result<(), StoreError> {
        match self {
            Letter::Batch(batch) => store.write_cycle_batch(batch).await.map(|_| ()),
            Letter::Run(run) => store.record_run(run).await.map(|_| ()),
        }
    }
}

/// Writes `letter` into `dir` under a name no other letter has; returns its path.
pub fn keep(dir: &Path, letter: &Letter) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let bytes = letter.to_json().map_err(std::io::Error::other)?;
    let stamp = letter.observed_at().format("%Y%m%dT%H%M%S%.3fZ");
    let pid = std::process::id();
    let path = loop {
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(
            "{}-{stamp}-{pid}-{sequence:06}.json",
            letter.kind()
        ));
        if !path.exists() {
            break path;
        }
    };
    let mut tmp = path.clone().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    drop(file);
    // Rename so a crash never leaves a half-written letter that replay would choke on, then
    // make the rename itself durable.
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(path)
}

/// The letters waiting in `dir`, in replay order.
pub fn waiting(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    // Batches before run records, each oldest first.
    paths.sort_by_key(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        (name.as_deref().is_some_and(|n| n.starts_with("run-")), name)
    });
    paths
}

/// Result of replaying dead letters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replay {
    /// Batch letters stored and removed.
    pub replayed: u64,
    /// Run-record letters stored and removed.
    pub runs_replayed: u64,
    /// Letters still waiting: refused by the database, not tried after a refusal, or unreadable.
    pub failed: u64,
    /// Of `failed`, the letters that cannot be read or that the database rejects as they are
    /// (kept for inspection; retrying them is pointless).
    pub broken: u64,
    /// Batch letters refused by their fence (another daemon took their shards since): moved
    /// to the fenced folder, never replayed again (see [`super::fenced`]).
    pub fenced: u64,
}

impl Replay {
    /// Letters that the database may still take on a later pass.
    pub fn retryable(&self) -> u64 {
        self.failed - self.broken
    }
}

/// Stores every dead letter in `dir` (batches first, oldest first), deleting each one that is
/// stored. Stops trying at the first letter the database refuses; the rest are counted as
/// failed and kept.
pub async fn replay_dead_letters(store: &Store, dir: &Path) -> Replay {
    let mut replay = Replay::default();
    let mut refused = false;
    for path in waiting(dir) {
        if refused {
            replay.failed += 1;
            continue;
        }
        let letter = match Letter::read(&path) {
            Ok(letter) => letter,
            Err(e) => {
                replay.failed += 1;
                replay.broken += 1;
                tracing::error!(path = %path.display(), error = %e, "dead letter is unreadable; kept for inspection");
                continue;
            }
        };
        match letter.store(store).await {
            Ok(()) => {
                match letter {
                    Letter::Batch(_) => replay.replayed += 1,
                    Letter::Run(_) => replay.runs_replayed += 1,
                }
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!(path = %path.display(), error = %e, "replayed dead letter could not be removed");
                }
            }
            Err(StoreError::Fenced { owner, shards }) => {
                replay.fenced += 1;
                tracing::warn!(daemon = %owner, ?shards, path = %path.display(), "dead letter refused: another daemon took its shards over since; moved aside, not replayed");
                if let Err(e) = super::fenced::move_aside(dir, &path) {
                    tracing::warn!(path = %path.display(), error = %e, "fenced dead letter could not be moved aside; removed");
                    let _ = std::fs::remove_file(&path);
                }
            }
            Err(e) => {
                replay.failed += 1;
                // A letter that is wrong in itself does not block the others.
                if matches!(e, StoreError::Corrupt { .. }) {
                    replay.broken += 1;
                } else {
                    refused = true;
                }
                tracing::error!(path = %path.display(), error = %e, "dead letter still cannot be stored; kept");
            }
        }
    }
    replay
}
