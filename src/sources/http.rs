//! The HTTP policy every adapter shares: per-attempt timeout, a deadline over the whole call
//! (retries, waits and body included), bounded concurrency, spacing between requests, retries
//! with exponential backoff and jitter, `Retry-After` honoured by every request of the book at
//! once, a circuit breaker ([`super::breaker`]), a response-size cap enforced while streaming
//! plus a cap on the book's body bytes in flight, and counters. Adapters only say which path to
//! fetch and which type to decode into.
//!
//! Choices: the in-flight byte cap counts the buffers of bodies being read (their capacity, not
//! just their length) and is released when the body is handed to the adapter, which decodes it
//! at once; a response that would pass the cap fails (as too large) rather than waiting, since
//! waiting for bytes held by other slow responses could only end at the deadline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::breaker::{Breaker, BreakerState, RetryAfterGate};
use super::error::FeedError;
pub use super::policy::HttpPolicy;
use super::stats::BookStats;
use crate::config::Secret;

/// A current desktop browser's user-agent: the books serve browsers, not bots.
pub const BROWSER_USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// Longest `what` kept in error messages; BetPawa's query strings are long.
const MAX_WHAT_CHARS: usize = 200;

/// A successful response: headers and the (decompressed) body.
#[derive(Debug)]
pub struct Fetched {
    /// What was requested, for error context.
    pub what: String,
    /// Response headers (The Odds API's quota lives here).
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// One book's HTTP client with its policy and counters.
#[derive(Debug)]
pub struct BookClient {
    book: String,
    base_url: String,
    http: reqwest::Client,
    policy: HttpPolicy,
    permits: Semaphore,
    next_start: Mutex<Option<Instant>>,
    stats: Arc<BookStats>,
    breaker: Breaker,
    retry_after: RetryAfterGate,
    /// One permit per body byte held while reading (see the module's choices).
    inflight: Semaphore,
    /// Body buffer bytes actually allocated by responses being read (the peak goes to stats);
    /// measured apart from the semaphore, so the figure shows what the cap achieves.
    buffered: AtomicU64,
}

/// The bytes one response's body buffer adds to [`BookClient::buffered`], given back on drop.
struct Buffered<'a> {
    gauge: &'a AtomicU64,
    bytes: u64,
}

impl Drop for Buffered<'_> {
    fn drop(&mut self) {
        self.gauge.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

enum AttemptError {
    Retryable(FeedError, Option<Duration>),
    Fatal(FeedError),
}

impl BookClient {
    /// A client for `book` at `base_url` sending `headers` (plus a browser user-agent) on every
    /// request.
    pub fn new(
        book: &str,
        base_url: &str,
        policy: HttpPolicy,
        headers: &[(&'static str, &'static str)],
    ) -> Result<Self, FeedError> {
        let mut default_headers = HeaderMap::new();
        for (name, value) in headers {
            default_headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let http = reqwest::Client::builder()
            .user_agent(BROWSER_USER_AGENT)
            .default_headers(default_headers)
            .gzip(true)
            .connect_timeout(policy.timeout)
            .build()
            .map_err(|e| FeedError::Network {
                book: book.to_string(),
                what: "building the HTTP client".into(),
                message: describe(&e),
            })?;
        Ok(BookClient {
            book: book.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            http,
            permits: Semaphore::new(policy.concurrency.max(1)),
            breaker: Breaker::new(policy.breaker_failures),
            retry_after: RetryAfterGate::default(),
            inflight: Semaphore::new(
                usize::try_from(policy.max_inflight_bytes)
                    .unwrap_or(usize::MAX)
                    .min(Semaphore::MAX_PERMITS),
            ),
            buffered: AtomicU64::new(0),
            policy,
            next_start: Mutex::new(None),
            stats: Arc::new(BookStats::default()),
        })
    }

    /// Book slug.
    pub fn book(&self) -> &str {
        &self.book
    }

    /// The policy in force.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }

    /// The book's counters.
    pub fn stats(&self) -> &Arc<BookStats> {
        &self.stats
    }

    /// Where the book's circuit breaker stands.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// A new cycle starts: an open breaker lets one probe through.
    pub fn begin_cycle(&self) {
        self.breaker.next_cycle();
    }

    /// When the book's `Retry-After` ends, while it holds requests back.
    pub fn held_until(&self) -> Option<tokio::time::Instant> {
        self.retry_after.not_before()
    }

    /// `GET base_url + path_and_query`.
    pub async fn get(&self, path_and_query: &str) -> Result<Fetched, FeedError> {
        self.send(Method::GET, path_and_query, None, None).await
    }

    /// `GET` with one secret query parameter (an API key) that never appears in errors or logs.
    pub async fn get_with_secret(
        &self,
        path_and_query: &str,
        secret_param: (&str, &Secret),
    ) -> Result<Fetched, FeedError> {
        self.send(Method::GET, path_and_query, None, Some(secret_param))
            .await
    }

    /// `POST` a JSON body.
    pub async fn post_json(&self, path: &str, body: Vec<u8>) -> Result<Fetched, FeedError> {
        self.send(Method::POST, path, Some(body), None).await
    }

    /// Decodes JSON into `T`; on failure reports the JSON path that failed.
    pub fn decode<T: DeserializeOwned>(&self, fetched: &Fetched) -> Result<T, FeedError> {
        decode_json(&self.book, &fetched.what, &fetched.body)
    }

    /// Runs `parse` (decoding and mapping a body) and adds its time to the book's parse time,
    /// which the cycle reports apart from the wait for the network.
    pub fn timed_parse<T>(&self, parse: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let parsed = parse();
        self.stats.record_parse(started.elapsed());
        parsed
    }

    /// Counts `result`'s error, if any, exactly once; adapters wrap each public call in it.
    pub fn counted<T>(&self, result: Result<T, FeedError>) -> Result<T, FeedError> {
        if let Err(e) = &result {
            self.stats.record_failure(e);
        }
        result
    }

    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        secret_param: Option<(&str, &Secret)>,
    ) -> Result<Fetched, FeedError> {
        let what: String = format!("{method} {path_and_query}")
            .chars()
            .take(MAX_WHAT_CHARS)
            .collect();
        let mut url = reqwest::Url::parse(&format!("{}{}", self.base_url, path_and_query))
            .map_err(|e| FeedError::Network {
                book: self.book.clone(),
                what: what.clone(),
                message: format!("invalid URL: {e}"),
            })?;
        if let Some((name, secret)) = secret_param {
            url.query_pairs_mut().append_pair(name, secret.expose());
        }
        if self.breaker.state() == BreakerState::Open {
            return Err(self.circuit_open(&what));
        }
        let call = self.send_with_retries(method, url, body, &what);
        match tokio::time::timeout(self.policy.deadline, call).await {
            Ok(result) => result,
            Err(_) => Err(FeedError::Timeout {
                book: self.book.clone(),
                what: what.clone(),
                after: self.policy.deadline,
            }),
        }
    }

    fn circuit_open(&self, what: &str) -> FeedError {
        FeedError::CircuitOpen {
            book: self.book.clone(),
            what: what.to_string(),
            failures: self.breaker.threshold(),
        }
    }

    async fn send_with_retries(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<Vec<u8>>,
        what: &str,
    ) -> Result<Fetched, FeedError> {
        let mut retry_after = None;
        let mut retry = 0;
        loop {
            if retry > 0 {
                self.stats.record_retry();
                tokio::time::sleep(self.policy.backoff(retry - 1, retry_after)).await;
            }
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(body) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            match self.attempt(request, what).await {
                Ok(fetched) => return Ok(fetched),
                // Once other calls opened the breaker, retrying this one only adds load.
                Err(AttemptError::Retryable(e, wait))
                    if retry < self.policy.retries
                        && self.breaker.state() != BreakerState::Open =>
                {
                    tracing::debug!(book = %self.book, error = %e, retry, "retrying");
                    retry_after = wait;
                    retry += 1;
                }
                Err(AttemptError::Retryable(e, _) | AttemptError::Fatal(e)) => return Err(e),
            }
        }
    }

    async fn attempt(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<Fetched, AttemptError> {
        let _permit = self.permits.acquire().await.map_err(|_| {
            AttemptError::Fatal(self.network(what, "client is shutting down".into()))
        })?;
        self.wait_for_slot().await;
        // A `Retry-After` another request received holds this one too.
        self.retry_after.wait().await;
        // Every attempt passes the breaker, so calls queued for a permit while others opened it
        // are not sent either, and retries stop as soon as it opens.
        let Some(pass) = self.breaker.admit() else {
            return Err(AttemptError::Fatal(self.circuit_open(what)));
        };
        self.stats.record_request();
        let started = Instant::now();
        let exchange = async {
            let response = request.send().await.map_err(|e| self.transport(what, &e))?;
            let status = response.status();
            if !status.is_success() {
                let wait = retry_after(response.headers());
                if let Some(wait) = wait {
                    self.retry_after
                        .hold_for(wait.min(self.policy.retry_after_max));
                }
                let error = FeedError::Status {
                    book: self.book.clone(),
                    what: what.to_string(),
                    status: status.as_u16(),
                };
                return Err(if is_retryable_status(status) {
                    AttemptError::Retryable(error, wait)
                } else {
                    AttemptError::Fatal(error)
                });
            }
            let headers = response.headers().clone();
            let body = self.read_capped(response, what).await?;
            Ok((headers, body))
        };
        let outcome = tokio::time::timeout(self.policy.timeout, exchange)
            .await
            .map_err(|_| {
                AttemptError::Retryable(
                    FeedError::Timeout {
                        book: self.book.clone(),
                        what: what.to_string(),
                        after: self.policy.timeout,
                    },
                    None,
                )
            })
            .and_then(|exchanged| exchanged);
        let (headers, body) = match outcome {
            Ok(exchanged) => {
                pass.succeeded();
                exchanged
            }
            Err(AttemptError::Retryable(e, wait)) => {
                self.breaker_failure(pass, &e);
                return Err(AttemptError::Retryable(e, wait));
            }
            Err(AttemptError::Fatal(e)) => {
                self.breaker_failure(pass, &e);
                return Err(AttemptError::Fatal(e));
            }
        };
        let took = started.elapsed();
        self.stats.record_response(took, body.len());
        crate::metrics::record_book_latency(&self.book, took);
        Ok(Fetched {
            what: what.to_string(),
            headers,
            body,
        })
    }

    /// Reports an attempt's failure to the breaker (if it says the book is unwell).
    fn breaker_failure(&self, pass: super::breaker::Pass<'_>, error: &FeedError) {
        if !is_book_failure(error) {
            pass.succeeded();
        } else if pass.failed() {
            tracing::warn!(book = %self.book, error = %error, failures = self.breaker.threshold(), "circuit breaker opened: nothing more is sent to this book until next cycle's probe");
        }
    }

    /// Reads the body chunk by chunk and stops as soon as it exceeds the cap, so an endless or
    /// huge response never sits in memory whole.
    async fn read_capped(
        &self,
        mut response: reqwest::Response,
        what: &str,
    ) -> Result<Vec<u8>, AttemptError> {
        let limit = self.policy.max_body_bytes;
        let too_large = || {
            AttemptError::Fatal(FeedError::BodyTooLarge {
                book: self.book.clone(),
                what: what.to_string(),
                limit,
            })
        };
        let declared = response.content_length();
        if declared.is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let mut held: Option<SemaphorePermit<'_>> = None;
        let mut buffered = Buffered {
            gauge: &self.buffered,
            bytes: 0,
        };
        let mut body = Vec::new();
        self.reserve_inflight(
            &mut body,
            &mut held,
            &mut buffered,
            declared.unwrap_or(64 * 1024).min(limit) as usize,
            what,
        )?;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(what, &e))?
        {
            let needed = body.len() + chunk.len();
            if needed as u64 > limit {
                return Err(too_large());
            }
            if needed > body.capacity() {
                let grown = needed.max(body.capacity() * 2).min(limit as usize);
                self.reserve_inflight(&mut body, &mut held, &mut buffered, grown, what)?;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Grows `body` to `capacity` bytes if the book's in-flight cap allows it.
    fn reserve_inflight<'s>(
        &'s self,
        body: &mut Vec<u8>,
        held: &mut Option<SemaphorePermit<'s>>,
        buffered: &mut Buffered<'s>,
        capacity: usize,
        what: &str,
    ) -> Result<(), AttemptError> {
        let grow = capacity.saturating_sub(body.capacity());
        if grow == 0 {
            return Ok(());
        }
        let permit = u32::try_from(grow)
            .ok()
            .and_then(|n| self.inflight.try_acquire_many(n).ok())
            .ok_or_else(|| {
                AttemptError::Fatal(FeedError::BodyTooLarge {
                    book: self.book.clone(),
                    what: format!("{what} (with the book's other responses being read)"),
                    limit: self.policy.max_inflight_bytes,
                })
            })?;
        match held {
            Some(held) => held.merge(permit),
            None => *held = Some(permit),
        }
        let before = body.capacity();
        body.reserve_exact(capacity - body.len());
        let added = body.capacity().saturating_sub(before) as u64;
        buffered.bytes += added;
        let now = self.buffered.fetch_add(added, Ordering::Relaxed) + added;
        self.stats.record_inflight_bytes(now);
        Ok(())
    }

    async fn wait_for_slot(&self) {
        if self.policy.delay.is_zero() {
            return;
        }
        let wait = {
            let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let start = next.map_or(now, |n| n.max(now));
            *next = Some(start + self.policy.delay);
            start - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    fn transport(&self, what: &str, error: &reqwest::Error) -> AttemptError {
        if error.is_timeout() {
            return AttemptError::Retryable(
                FeedError::Timeout {
                    book: self.book.clone(),
                    what: what.to_string(),
                    after: self.policy.timeout,
                },
                None,
            );
        }
        AttemptError::Retryable(self.network(what, describe(error)), None)
    }

    fn network(&self, what: &str, message: String) -> FeedError {
        FeedError::Network {
            book: self.book.clone(),
            what: what.to_string(),
            message,
        }
    }
}

/// Decodes `body` as `T`, naming the JSON path where it failed.
pub fn decode_json<T: DeserializeOwned>(
    book: &str,
    what: &str,
    body: &[u8],
) -> Result<T, FeedError> {
    let malformed = |path: String, message: String| FeedError::Malformed {
        book: book.to_string(),
        what: what.to_string(),
        path,
        message,
    };
    // Path tracking slows every parse down; bodies are almost always well-formed, so parse
    // plainly first and only re-parse with tracking to say where a broken body broke.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| malformed(e.path().to_string(), e.inner().to_string()))?;
    deserializer
        .end()
        .map_err(|e| malformed(".".into(), e.to_string()))?;
    Ok(value)
}

/// Whether an error says the book is unwell (what the circuit breaker counts): no answer in
/// time, no connection, 5xx, throttling, oversized bodies. A 404 or a business error is an
/// answer.
fn is_book_failure(error: &FeedError) -> bool {
    match error {
        FeedError::Network { .. } | FeedError::Timeout { .. } | FeedError::BodyTooLarge { .. } => {
            true
        }
        FeedError::Status { status, .. } => {
            StatusCode::from_u16(*status).is_ok_and(is_retryable_status)
        }
        _ => false,
    }
}

/// 5xx are the server's trouble; 429 and 403 are how these books say "slow down".
fn is_retryable_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::FORBIDDEN
}

/// `Retry-After` in seconds (the HTTP-date form is rare on these feeds and ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The error and its causes, without the URL (which may carry an API key).
fn describe(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    if let Some(url) = error.url() {
        message = message.replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_statuses_are_retried_and_client_errors_are_not() {
        for code in [500, 502, 503, 429, 403] {
            assert!(is_retryable_status(StatusCode::from_u16(code).unwrap()));
        }
        for code in [400, 401, 404] {
            assert!(!is_retryable_status(StatusCode::from_u16(code).unwrap()));
        }
    }

    #[test]
    fn malformed_json_names_the_failing_path() {
        #[derive(serde::Deserialize, Debug)]
        struct Outcome {
            #[allow(dead_code)]
            odds: f64,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Market {
            #[allow(dead_code)]
            outcomes: Vec<Outcome>,
        }
        let body = br#"{"outcomes":[{"odds":1.5},{"odds":"x"}]}"#;
        let error = decode_json::<Market>("sportybet", "GET /e", body).unwrap_err();
        match error {
            FeedError::Malformed { path, .. } => assert_eq!(path, "outcomes[1].odds"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
