//! The connection loop under the router: it accepts connections, bounds how many are open, gives
//! each one a deadline for its request head, and makes sure the answers hyper writes on its own
//! (for requests it cannot parse) are JSON like every other error.
//!
//! Choices (DESIGN.md is silent on these):
//! - **Protocol errors as JSON.** hyper answers a request it cannot parse — a bad request line or
//!   header, `Content-Length: -5`, garbage (400), a request target over 65,534 bytes (414), a
//!   head over its buffer or with more than 100 headers (431) — itself, before any router, with
//!   an empty body, and then closes the connection. [`JsonErrors`] wraps the socket and rewrites
//!   exactly those answers: a response head with status ≥ 400 and `content-length: 0`, which no
//!   handler of ours produces (every handler error is `{"error": …}`). The status stays; the
//!   body says what was wrong and the limit.
//! - **Header-read timeout: 10 s** ([`HEADER_READ_TIMEOUT`]) from the connection's start (and
//!   from the end of the previous request on a kept-alive one) to the end of the request head.
//!   A client that sends half a request is closed without an answer; it has not asked anything.
//! - **At most 1,024 connections at once** ([`MAX_CONNECTIONS`]). One over the limit is answered
//!   `503 {"error": …}` with `Retry-After: 1` and closed — a visible refusal, counted in the log —
//!   rather than left waiting unseen in the accept queue.
//! - **HTTP/1.1 only.** `axum::serve` also spoke HTTP/2 with prior knowledge; no client of this
//!   API uses it, and hyper's protocol sniffing waits for the first bytes without any deadline,
//!   which is the slow-client hole this module closes.
//! - **Shutdown** stops accepting, lets requests in flight finish, and waits at most 5 s for
//!   open connections (a live event stream never ends by itself).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::MAX_BODY_BYTES;

/// Time a client has to send its request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 1024;

/// How long shutdown waits for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Limits on the connections of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections served at once; more are answered 503.
    pub max_connections: usize,
    /// Time a client has to send its request head before the connection is closed.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: MAX_CONNECTIONS,
            header_read_timeout: HEADER_READ_TIMEOUT,
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refused = Arc::new(AtomicU64::new(0));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let Ok(permit) = open.clone().try_acquire_owned() else {
            let n = refused.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                limit = limits.max_connections,
                refused = n,
                "connection limit reached; answering 503"
            );
            tokio::spawn(refuse(stream, limits.max_connections));
            continue;
        };
        let io = TokioIo::new(JsonErrors::new(stream));
        let connection =
            graceful.watch(builder.serve_connection(io, TowerToHyperService::new(router.clone())));
        tokio::spawn(async move {
            // Errors here are the client's (reset, timeout, unparsable request already answered).
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "API connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!("API connections still open after the shutdown grace; closing them");
    }
    Ok(())
}

/// Answers a connection over the limit with a JSON 503 and closes it.
async fn refuse(mut stream: TcpStream, limit: usize) {
    let body = serde_json::json!({
        "error": format!("too many connections (the limit is {limit}); try again shortly")
    })
    .to_string();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sent so closing does not reset the connection under the answer.
        let mut sink = [0u8; 4096];
        while tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await? > 0 {}
        io::Result::Ok(())
    })
    .await;
}

/// The error message for an answer hyper wrote on its own.
fn protocol_error_message(status: u16) -> String {
    match status {
        400 => "malformed HTTP request: the request line, a header name or value, or \
                Content-Length could not be parsed"
            .to_string(),
        413 => {
            format!("request body too large: at most 64 KiB ({MAX_BODY_BYTES} bytes) are accepted")
        }
        414 => "request target too long: the path and query may be at most 65534 bytes".into(),
        431 => "request headers too large: at most 100 headers and about 400 KiB in the request \
                head"
            .into(),
        other => format!("the request could not be processed (HTTP {other})"),
    }
}

/// If `written` is a whole response head with status ≥ 400 and an empty body (what hyper writes
/// for a request it cannot parse), the same answer with a JSON body.
fn rewrite_bare_error(written: &[u8]) -> Option<Vec<u8>> {
    let head_end = written.windows(4).position(|w| w == b"\r\n\r\n")?;
    if head_end + 4 != written.len() {
        return None;
    }
    let head = std::str::from_utf8(&written[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())?;
    let headers: Vec<&str> = lines.collect();
    let header = |name: &str| {
        headers.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    };
    if status < 400 || header("content-length") != Some("0") || header("content-type").is_some() {
        return None;
    }
    let body = serde_json::json!({ "error": protocol_error_message(status) }).to_string();
    let mut answer = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for line in headers {
        let name = line.split_once(':').map_or("", |(k, _)| k.trim());
        if !name.eq_ignore_ascii_case("content-length") {
            answer.push_str(line);
            answer.push_str("\r\n");
        }
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    Some(answer.into_bytes())
}

/// A connection whose empty-bodied error answers are rewritten as JSON (see the module doc).
pub struct JsonErrors<S> {
    inner: S,
    /// A rewritten answer not yet fully written, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

impl<S> JsonErrors<S> {
    /// Wraps a connection.
    pub fn new(inner: S) -> Self {
        JsonErrors {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> JsonErrors<S> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrors<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrors<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        if let Some(answer) = rewrite_bare_error(buf) {
            this.pending = answer;
            // The caller's bytes are taken; what is left of ours goes out on the next write,
            // flush or shutdown.
            if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_error_heads_get_a_json_body_and_other_answers_pass_untouched() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\
                     date: Sun, 06 Dec 2026 07:00:00 GMT\r\n\r\n";
        let answer = String::from_utf8(rewrite_bare_error(bare).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert!(head.contains("date: Sun, 06 Dec 2026"), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(
            json["error"].as_str().unwrap().contains("100 headers"),
            "{body}"
        );

        for untouched in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\n\r\n{\"error\":1}",
            b"{\"alerts\": []}",
        ] {
            assert!(rewrite_bare_error(untouched).is_none());
        }
    }
}
