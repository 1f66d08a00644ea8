//! Waiting for the signals that should stop a long-running command cleanly: SIGINT (Ctrl-C or
//! `kill -INT`), SIGTERM and SIGHUP (the terminal or the SSH session went away). Each of them
//! ends the command through its normal path and exit code; none kills it outright.

use std::future::Future;

/// Starts listening now and returns a future that resolves on the first SIGINT, SIGTERM or
/// SIGHUP. Call it early: a signal that arrives before a handler is installed still has its
/// default action (SIGHUP and SIGTERM end the process with 129 and 143).
pub fn listen() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let streams: Vec<Signal> = [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ]
        .into_iter()
        .filter_map(|kind| match signal(kind) {
            Ok(stream) => Some(stream),
            Err(e) => {
                tracing::warn!(signal = ?kind, error = %e, "cannot listen for a stop signal");
                None
            }
        })
        .collect();
        async move {
            if streams.is_empty() {
                return std::future::pending().await;
            }
            let waits = streams.into_iter().map(|mut stream| {
                Box::pin(async move {
                    stream.recv().await;
                })
            });
            futures::future::select_all(waits).await;
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Resolves on SIGINT (Ctrl-C), SIGTERM or SIGHUP, listening from the first poll.
pub async fn signal() {
    listen().await;
}
