//! Fenced batches (DESIGN §11): batches the database refused because another daemon claimed
//! one of their shards since they were detected. They are never retried nor replayed — the new
//! owner warmed its state from the database after its claim and detects those events itself —
//! but they are kept as files under `<dead letters>/fenced/`, counted and logged, so nothing
//! a daemon detected vanishes unseen. Dead letters refused for a stale fence when replayed are
//! moved there too.

use std::path::{Path, PathBuf};

use super::dead_letters::{Letter, keep};
use crate::store::CycleBatch;

/// The folder of fenced batches under a dead-letter folder (not replayed: replay reads only
/// the dead-letter folder's own files).
pub fn fenced_dir(dead_letter_dir: &Path) -> PathBuf {
    dead_letter_dir.join("fenced")
}

/// The fenced batches kept under `dead_letter_dir`, by name.
pub fn fenced_letters(dead_letter_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fenced_dir(dead_letter_dir)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
}

/// Keeps a batch refused by its fence under `<dead_letter_dir>/fenced/`, logging the shards
/// another daemon took. Returns where it was kept, `None` when it could not be written (logged).
pub fn set_aside(
    dead_letter_dir: &Path,
    batch: CycleBatch,
    owner: &str,
    shards: &[u16],
) -> Option<PathBuf> {
    let alerts = batch.alerts.len();
    match keep(&fenced_dir(dead_letter_dir), &Letter::Batch(batch)) {
        Ok(path) => {
            tracing::warn!(daemon = %owner, ?shards, alerts, path = %path.display(), "batch refused: another daemon took these shards over and detects their events itself; kept aside, not replayed");
            Some(path)
        }
        Err(io) => {
            tracing::warn!(daemon = %owner, ?shards, alerts, error = %io, "batch refused: another daemon took these shards over and detects their events itself; it could not be kept aside");
            None
        }
    }
}

/// Moves a dead letter that its fence refused into the fenced folder (not replayed again).
pub fn move_aside(dead_letter_dir: &Path, letter: &Path) -> std::io::Result<PathBuf> {
    let dir = fenced_dir(dead_letter_dir);
    std::fs::create_dir_all(&dir)?;
    let name = letter
        .file_name()
        .ok_or_else(|| std::io::Error::other("a dead letter without a file name"))?;
    let target = dir.join(name);
    std::fs::rename(letter, &target)?;
    std::fs::File::open(&dir)?.sync_all()?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_aside_batch_is_kept_under_fenced_and_not_among_the_letters() {
        let dir = tempfile::tempdir().unwrap();
        let letters = dir.path().join("dead-letters");
        let path = set_aside(&letters, CycleBatch::default(), "d1", &[3]).unwrap();
        assert!(path.starts_with(fenced_dir(&letters)));
        assert_eq!(fenced_letters(&letters), vec![path]);
        assert!(super::super::dead_letters::waiting(&letters).is_empty());
    }

    #[test]
    fn a_refused_letter_moves_aside() {
        let dir = tempfile::tempdir().unwrap();
        let letters = dir.path().join("dead-letters");
        let kept = keep(&letters, &Letter::Batch(CycleBatch::default())).unwrap();
        let moved = move_aside(&letters, &kept).unwrap();
        assert!(!kept.exists());
        assert_eq!(fenced_letters(&letters), vec![moved]);
        assert!(super::super::dead_letters::waiting(&letters).is_empty());
    }
}
