//! One scraping daemon per SQLite file (DESIGN §11): SQLite has no lease coordinator that
//! several processes could share safely, so the pipeline takes an exclusive OS lock on
//! `<db file>.scrape.lock` and a second one is refused, naming the pid that holds it. The OS
//! releases the lock when the file is closed: when the pipeline stops, or when the process dies
//! however it dies (no stale lock to clean up by hand).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct ScrapeLock {
    /// The open, locked file: the lock lives as long as it does.
    _file: File,
    path: PathBuf,
}

impl ScrapeLock {
    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process scrapes into the same file.
    #[error(
        "another oddswatch is scraping into {db} (pid {pid}); run `oddswatch tui` to watch it, or use PostgreSQL for several scrapers"
    )]
    Held {
        /// The database file.
        db: String,
        /// The pid written in the lock file by its holder (`unknown` if unreadable).
        pid: String,
    },
    /// The lock file could not be opened or written.
    #[error("cannot take the scrape lock {path}: {source}")]
    Io {
        /// The lock file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The lock file of an SQLite database file: `<db file>.scrape.lock`.
pub fn lock_path(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".scrape.lock");
    PathBuf::from(name)
}

/// Takes the scrape lock of `db_file` for this process and writes its pid into it, or says who
/// holds it.
pub fn take(db_file: &Path) -> Result<ScrapeLock, LockError> {
    let path = lock_path(db_file);
    let io = |source| LockError::Io {
        path: path.display().to_string(),
        source,
    };
    // Not truncated on open: the holder's pid must stay readable for the refusal.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let locked = file.try_lock();
    match locked {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            return Err(LockError::Held {
                db: db_file.display().to_string(),
                pid: if pid.is_empty() { "unknown" } else { pid }.to_string(),
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(ScrapeLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_file_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("odds.db");
        let held = take(&db).unwrap();
        assert_eq!(held.path(), dir.path().join("odds.db.scrape.lock"));
        let pid = std::fs::read_to_string(held.path()).unwrap();
        assert_eq!(pid, std::process::id().to_string());
        let refused = take(&db).unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains(&format!("(pid {})", std::process::id())),
            "{message}"
        );
        assert!(message.contains("odds.db"), "{message}");
        assert!(message.contains("oddswatch tui"), "{message}");
        drop(held);
        let again = take(&db).expect("released when the holder is dropped");
        drop(again);
    }

    #[test]
    fn another_file_has_its_own_lock() {
        let dir = tempfile::tempdir().unwrap();
        let _a = take(&dir.path().join("a.db")).unwrap();
        let _b = take(&dir.path().join("b.db")).unwrap();
    }
}
