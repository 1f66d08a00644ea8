//! What bounds a cycle in time: each book's budget, and the stop request.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use crate::sources::{Feed, FeedError};

/// A book's budget when its config section is missing (feeds built by hand in tests).
pub(super) const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

/// One book's time budget in this cycle.
pub(super) struct Budget {
    pub(super) book: String,
    pub(super) budget: Duration,
    pub(super) ends: tokio::time::Instant,
}

impl Budget {
    /// Runs `work` unless the budget is spent; cuts it off when the budget runs out. A cut-off
    /// call is a failed call of the book (counted in its stats, like any other failure).
    pub(super) async fn within<T>(
        &self,
        feed: &Feed,
        what: &str,
        work: impl Future<Output = Result<T, FeedError>>,
    ) -> Result<T, FeedError> {
        let spent = || {
            let e = FeedError::BudgetSpent {
                book: self.book.clone(),
                what: what.to_string(),
                budget: self.budget,
            };
            feed.stats().record_failure(&e);
            e
        };
        // Not even started (and no request sent) once the budget is gone.
        if tokio::time::Instant::now() >= self.ends {
            return Err(spent());
        }
        match tokio::time::timeout_at(self.ends, work).await {
            Ok(result) => result,
            Err(_) => Err(spent()),
        }
    }
}

/// `work`'s output, or `None` as soon as `stop` turns true (dropping `work`, which cancels its
/// requests). A closed stop channel never stops anything.
pub(super) async fn until_stopped<T>(
    stop: &watch::Receiver<bool>,
    work: impl Future<Output = T>,
) -> Option<T> {
    let mut stop = stop.clone();
    if *stop.borrow_and_update() {
        return None;
    }
    let stopped = async move {
        loop {
            if stop.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
            if *stop.borrow_and_update() {
                return;
            }
        }
    };
    tokio::select! {
        biased;
        output = work => Some(output),
        () = stopped => None,
    }
}

/// What a book's discovery reports when shutdown interrupted it.
pub(super) fn stopped_error(book: &str) -> FeedError {
    FeedError::Network {
        book: book.to_string(),
        what: "discovery".into(),
        message: "interrupted: shutting down".into(),
    }
}
