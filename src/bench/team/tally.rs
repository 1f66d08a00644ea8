//! Every warning and error the code under test logs, counted: the pipeline, the store, the live
//! feed and the API report their failures (a pool timeout, a refused connection, a retried or
//! dead-lettered batch) through `tracing`, not to their caller. The team bench runs on its own
//! runtime whose threads log through [`Tally`], which counts `WARN` and `ERROR` events by message
//! and hands every event on to the process's subscriber unchanged.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// Warnings and errors logged, by level and text.
#[derive(Debug, Clone, Default)]
pub struct Logged {
    /// `(level, target: message)` → times.
    pub by_message: BTreeMap<(Level, String), u64>,
}

impl Logged {
    /// Events of `level`, and of those the ones whose text contains `needle`.
    pub fn count(&self, level: Level, needle: Option<&str>) -> u64 {
        self.by_message
            .iter()
            .filter(|((l, text), _)| *l == level && needle.is_none_or(|n| text.contains(n)))
            .map(|(_, n)| n)
            .sum()
    }
}

/// A subscriber that counts `WARN` and `ERROR` events and forwards everything to `inner`.
pub struct Tally {
    inner: Dispatch,
    logged: Arc<Mutex<Logged>>,
}

impl Tally {
    /// Counts into a fresh [`Logged`] and forwards to `inner`.
    pub fn new(inner: Dispatch) -> (Tally, Arc<Mutex<Logged>>) {
        let logged = Arc::new(Mutex::new(Logged::default()));
        (
            Tally {
                inner,
                logged: logged.clone(),
            },
            logged,
        )
    }
}

fn counted(metadata: &Metadata<'_>) -> bool {
    metadata.is_event() && *metadata.level() <= Level::WARN
}

impl Subscriber for Tally {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        let inner = self.inner.register_callsite(metadata);
        if counted(metadata) && inner.is_never() {
            // Asked per event, so the process's subscriber never sees what its filter refused.
            Interest::sometimes()
        } else {
            inner
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // The inner subscriber's hint cannot be read through a `Dispatch`: no hint, so the
        // per-callsite interest above decides.
        None
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // The inner subscriber is asked first: per-layer filters note their verdict for the
        // event that follows.
        self.inner.enabled(metadata) || counted(metadata)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values);
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows);
    }

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        if counted(metadata) {
            let mut text = MessageText(String::new());
            event.record(&mut text);
            let key = (
                *metadata.level(),
                format!("{}: {}", metadata.target(), text.0),
            );
            if let Ok(mut logged) = self.logged.lock() {
                *logged.by_message.entry(key).or_default() += 1;
            }
        }
        if self.inner.enabled(metadata) {
            self.inner.event(event);
        }
    }

    fn enter(&self, span: &Id) {
        self.inner.enter(span);
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }
}

/// The message of an event (its `message` field), with its `error` field when it has one: the
/// text says what failed, the error why, so both are kept apart from other fields (ids, paths)
/// that would split one failure into many lines.
struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.0, "{value:?}");
            }
            "error" => {
                let _ = write!(self.0, " (error: {value:?})");
            }
            _ => {}
        }
    }
}

/// What has been counted so far, readable while the work runs: a bench takes it at the end of
/// its measured window, so what its teardown logs is told apart.
#[derive(Clone)]
pub struct SoFar(Arc<Mutex<Logged>>);

impl SoFar {
    /// The warnings and errors logged until now.
    pub fn now(&self) -> Logged {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// Runs `work` on a runtime of its own whose threads log through a [`Tally`] over the calling
/// thread's subscriber; returns what it returned and the warnings and errors logged meanwhile.
/// Progress lines `work` sends on its channel are handed to `progress` as they come; `work`
/// may read the counts so far through its [`SoFar`].
pub async fn run_counted<T, W, F>(work: W, progress: impl Fn(&str)) -> (T, Logged)
where
    T: Send + 'static,
    W: FnOnce(tokio::sync::mpsc::UnboundedSender<String>, SoFar) -> F + Send + 'static,
    F: std::future::Future<Output = T>,
{
    let outer = tracing::dispatcher::get_default(Dispatch::clone);
    let (tally, logged) = Tally::new(outer);
    let so_far = SoFar(logged.clone());
    let dispatch = Dispatch::new(tally);
    let (say, mut said) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (done_tx, mut done) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("team-bench".into())
        .spawn(move || {
            let on_threads = dispatch.clone();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("team-bench-worker")
                .on_thread_start(move || {
                    // For the thread's whole life: the guard is never dropped.
                    std::mem::forget(tracing::dispatcher::set_default(&on_threads));
                })
                .build()
                .expect("a tokio runtime for the team bench");
            let _guard = tracing::dispatcher::set_default(&dispatch);
            let out = runtime.block_on(work(say, so_far));
            // Tasks still sleeping (pollers, simulator timers) are dropped, not awaited.
            runtime.shutdown_timeout(std::time::Duration::from_secs(5));
            let _ = done_tx.send(out);
        })
        .expect("a thread for the team bench");
    let out = loop {
        tokio::select! {
            Some(line) = said.recv() => progress(&line),
            out = &mut done => break out,
        }
    };
    while let Ok(line) = said.try_recv() {
        progress(&line);
    }
    let out = out.expect("the team bench thread ended without a result (it panicked)");
    let logged = logged.lock().map(|l| l.clone()).unwrap_or_default();
    (out, logged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_and_errors_are_counted_by_text_and_the_rest_passes() {
        let (tally, logged) = Tally::new(Dispatch::none());
        let dispatch = Dispatch::new(tally);
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!("fine");
            tracing::warn!(error = "pool timed out", attempt = 1, "storing failed");
            tracing::warn!(error = "pool timed out", attempt = 2, "storing failed");
            tracing::error!("batch lost");
        });
        let logged = logged.lock().unwrap().clone();
        assert_eq!(logged.count(Level::WARN, None), 2);
        assert_eq!(logged.count(Level::ERROR, None), 1);
        assert_eq!(logged.count(Level::WARN, Some("pool timed out")), 2);
        assert_eq!(logged.by_message.len(), 2, "{:?}", logged.by_message);
        assert_eq!(logged.count(Level::INFO, None), 0);
    }

    #[tokio::test]
    async fn work_on_the_counted_runtime_is_counted_also_in_spawned_tasks() {
        let (window, logged) = run_counted(
            |say, so_far| async move {
                let _ = say.send("step".into());
                tokio::spawn(async { tracing::error!("from a task") })
                    .await
                    .unwrap();
                let window = so_far.now();
                tracing::warn!("in the teardown");
                window
            },
            |_| {},
        )
        .await;
        assert_eq!(logged.count(Level::ERROR, Some("from a task")), 1);
        assert_eq!(logged.count(Level::WARN, None), 1);
        assert_eq!(window.count(Level::ERROR, None), 1, "read while it ran");
        assert_eq!(
            window.count(Level::WARN, None),
            0,
            "the teardown came after"
        );
    }
}
