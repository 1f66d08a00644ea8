//! What bounds a cycle in time: each book's budget, and the stop request.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::sources::{Feed, FeedError};

/// A book's budget when its config section is missing (feeds built by hand in tests).
pub(super) const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

/// One book's time budget in this cycle: the time the cycle spends waiting for this book alone,
/// once every other working book's share of the same phase (discovery, or one batch's fetches)
/// is done — or the whole phase when it is the only working book. Once that reaches the budget,
/// the book's calls still running are cut and its later calls fail at once. A book is never
/// charged for waiting on another, so a healthy book keeps its budget however slow the others
/// are. Books whose budget is spent or whose circuit breaker is open do not count as working:
/// their calls fail at once and must not make the others look slow.
///
/// Backstop: whatever the charges, every call is cut once the sum of all books' budgets has
/// passed since the cycle's start (several books stuck at once charge nobody until all but one
/// are done; their budgets, spent one after the other, can never take longer than that).
pub(super) struct Budget {
    pub(super) book: String,
    pub(super) budget: Duration,
    backstop: Instant,
    charge: Mutex<Charge>,
    cut: watch::Sender<Option<Instant>>,
}

#[derive(Default)]
struct Charge {
    charged: Duration,
    since: Option<Instant>,
}

impl Budget {
    /// `budget` for `book` in a cycle that started at `cycle_start`, where `all_budgets` is the
    /// sum of every book's budget.
    pub(super) fn new(
        book: String,
        budget: Duration,
        cycle_start: Instant,
        all_budgets: Duration,
    ) -> Self {
        Budget {
            book,
            budget,
            backstop: cycle_start + all_budgets,
            charge: Mutex::new(Charge::default()),
            cut: watch::channel(None).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Charge> {
        self.charge.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Budget left now.
    pub(super) fn remaining(&self) -> Duration {
        let charge = self.lock();
        let running = charge.since.map_or(Duration::ZERO, |s| {
            Instant::now().saturating_duration_since(s)
        });
        self.budget.saturating_sub(charge.charged + running)
    }

    /// The cycle waits for this book alone from `since`: charge it, and cut its calls when the
    /// budget left runs out.
    fn wait_alone_from(&self, since: Instant) {
        let mut charge = self.lock();
        if charge.since.is_none() {
            charge.since = Some(since);
            let at = since + self.budget.saturating_sub(charge.charged);
            self.cut.send_replace(Some(at));
        }
    }

    /// The book's share of the phase is done at `now`.
    fn phase_done(&self, now: Instant) {
        let mut charge = self.lock();
        if let Some(since) = charge.since.take() {
            charge.charged += now.saturating_duration_since(since);
        }
        self.cut.send_replace(None);
    }

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
        if self.remaining().is_zero() || Instant::now() >= self.backstop {
            return Err(spent());
        }
        let mut cut_at = self.cut.subscribe();
        let backstop = self.backstop;
        let cut = async move {
            loop {
                let at = (*cut_at.borrow_and_update()).map_or(backstop, |a| a.min(backstop));
                tokio::select! {
                    () = tokio::time::sleep_until(at) => return,
                    changed = cut_at.changed() => if changed.is_err() {
                        tokio::time::sleep_until(backstop).await;
                        return;
                    },
                }
            }
        };
        tokio::select! {
            biased;
            result = work => result,
            () = cut => Err(spent()),
        }
    }
}

/// A book's part of one phase: its feed index, whether it is working (budget left, breaker not
/// open), and the work.
pub(super) type Share<'a, T> = (usize, bool, BoxFuture<'a, T>);

/// Runs one phase of the cycle: every book's share at once, charging the budget of the last
/// working book still running (see [`Budget`]). Returns the shares' outputs in the order they
/// finished.
pub(super) async fn run_phase<T>(budgets: &[Budget], shares: Vec<Share<'_, T>>) -> Vec<T> {
    let mut working: BTreeSet<usize> = shares
        .iter()
        .filter(|(_, works, _)| *works)
        .map(|(i, _, _)| *i)
        .collect();
    let charge_alone = |working: &BTreeSet<usize>, now: Instant| {
        if let [alone] = working.iter().collect::<Vec<_>>()[..] {
            budgets[*alone].wait_alone_from(now);
        }
    };
    charge_alone(&working, Instant::now());
    let mut running: FuturesUnordered<_> = shares
        .into_iter()
        .map(|(i, _, work)| work.map(move |output| (i, output)))
        .collect();
    let mut outputs = Vec::new();
    while let Some((i, output)) = running.next().await {
        let now = Instant::now();
        if working.remove(&i) {
            budgets[i].phase_done(now);
            charge_alone(&working, now);
        }
        outputs.push(output);
    }
    outputs
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

/// The message of [`stopped_error`].
const STOPPED: &str = "interrupted: shutting down";

/// What a book's discovery reports when shutdown interrupted it.
pub(super) fn stopped_error(book: &str) -> FeedError {
    FeedError::Network {
        book: book.to_string(),
        what: "discovery".into(),
        message: STOPPED.into(),
    }
}

/// Whether `error` is [`stopped_error`]'s: the process stopping, not the book failing.
pub(super) fn is_stopped_error(error: &FeedError) -> bool {
    matches!(error, FeedError::Network { what, message, .. } if what == "discovery" && message == STOPPED)
}
