//! The HTTP JSON API (axum), compatible with the reference system: camelCase JSON everywhere,
//! RFC 3339 timestamps in UTC, every error as `{"error": "..."}`. Handlers call the alert
//! service; they contain no queries. Binds 127.0.0.1 unless configured, and then only with a
//! bearer token.
//!
//! Choices (DESIGN.md is silent on these):
//! - `Authorization`: the scheme `Bearer` in any case (RFC 9110 §11.1), then exactly one space,
//!   then the token compared byte for byte — `Bearer  t` carries the token `" t"` and is
//!   refused. (Trailing whitespace is not part of a header value, RFC 9110 §5.5; the HTTP parser
//!   drops it before this check.) The comparison takes a time that depends only on the length
//!   the client sent.
//! - A database failure answers 503 only when the database cannot be reached (connection,
//!   pool timeout, PostgreSQL classes 08/53/57P, SQLite busy or locked); any other database
//!   error is a 500, logged, without SQL or driver text in the answer.
//! - Connection handling (protocol errors as JSON, header timeout, connection limit): see
//!   `server.rs`.

mod doc;
mod error;
mod notify;
mod params;
mod routes;
mod server;
mod silences;
mod stream;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use tokio::sync::watch;
use utoipa::OpenApi;

pub use doc::ApiDoc;
pub use error::{ApiError, ErrorBody};
pub use routes::USER_HEADER;
pub(crate) use server::serve_connections as serve_router;
pub use server::{ConnectionLimits, HEADER_READ_TIMEOUT, MAX_CONNECTIONS};
pub use silences::SilenceJson;

use crate::health::PipelineStatus;
use crate::live::ChangeFeed;
use crate::service::AlertService;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    /// The alert service (acting as the configured user unless a request names one).
    pub service: AlertService,
    /// Live changes for the stream.
    pub feed: ChangeFeed,
    /// The pipeline running in this process, if any.
    pub status: Option<watch::Receiver<PipelineStatus>>,
    /// Bearer token required on every request, if set.
    pub token: Option<String>,
}

/// The API's routes over `state`.
pub fn router(state: ApiState) -> Router {
    // What is recorded from now on shows on `/metrics`.
    crate::metrics::install();
    Router::new()
        .route("/api/alerts", get(routes::list_alerts))
        .route("/api/alerts/stats", get(routes::stats))
        .route("/api/alerts/stream", get(stream::stream))
        .route("/api/alerts/acknowledge", post(routes::bulk_acknowledge))
        .route(
            "/api/alerts/{id}",
            get(routes::get_alert).patch(routes::patch_alert),
        )
        .route(
            "/api/alerts/{id}/occurrences",
            get(routes::alert_occurrences),
        )
        .route(
            "/api/silences",
            get(silences::list_silences).post(silences::create_silence),
        )
        .route(
            "/api/silences/{id}",
            get(silences::get_silence)
                .patch(silences::patch_silence)
                .delete(silences::delete_silence),
        )
        .route("/api/events/{id}/alerts", get(routes::event_alerts))
        .route("/api/notify/targets", get(notify::targets))
        .route("/api/notify/targets/{name}/resume", post(notify::resume))
        .route(
            "/api/notify/rules",
            get(notify::rules).post(notify::add_rule),
        )
        .route("/api/notify/rules/{id}", delete(notify::delete_rule))
        .route("/api/health", get(routes::health))
        .route("/api/openapi.json", get(openapi))
        .route("/metrics", get(crate::metrics::server::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn openapi() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}

async fn not_found(request: Request) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!("no such endpoint: {}", request.uri().path()),
    }
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    }
}

/// Whether `given` is `expected`, in a time that depends only on the length of `given` (which the
/// client chose): neither the bytes nor the length of the token can be learnt from timings.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut differ = u8::from(given.len() != expected.len());
    for (i, g) in given.iter().enumerate() {
        // Cycling through `expected` keeps the work independent of its length.
        let e = if expected.is_empty() {
            0
        } else {
            expected[i % expected.len()]
        };
        differ |= g ^ e;
    }
    differ == 0
}

/// The token of an `Authorization: Bearer TOKEN` header: the scheme in any case (RFC 9110),
/// one space, then the token exactly as sent — no trimming, so `"Bearer  t"` and `"Bearer t "`
/// carry tokens `" t"` and `"t "`, which do not match `t`.
fn bearer_token(value: &HeaderValue) -> Option<&[u8]> {
    let bytes = value.as_bytes();
    let scheme = bytes.get(..7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then(|| &bytes[7..])
}

async fn require_token(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    match &state.token {
        Some(token) if !authorized(request.headers(), token) => unauthorized(),
        _ => next.run(request).await,
    }
}

/// Whether `headers` carry `Authorization: Bearer TOKEN` with exactly `token`.
pub(crate) fn authorized(headers: &axum::http::HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(bearer_token)
        .is_some_and(|given| same_secret(given, token.as_bytes()))
}

/// The answer to a request without the right bearer token: 401 with `WWW-Authenticate`.
pub(crate) fn unauthorized() -> Response {
    let mut response = ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: "missing or wrong bearer token".into(),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Why the API could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A non-loopback address without a token.
    #[error(
        "refusing to serve on {0} without api.token: only 127.0.0.1 may be used without a token"
    )]
    TokenRequired(SocketAddr),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Binds `addr` (refusing non-loopback addresses without a token) and returns the listener and
/// the address actually bound (port 0 picks a free port).
pub async fn bind(
    addr: SocketAddr,
    has_token: bool,
) -> Result<(tokio::net::TcpListener, SocketAddr), ServeError> {
    if !addr.ip().is_loopback() && !has_token {
        return Err(ServeError::TokenRequired(addr));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    Ok((listener, local))
}

/// Serves the API on `listener` until `shutdown` resolves, with the default connection limits.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ConnectionLimits::default(), shutdown).await
}

/// Serves the API on `listener` within `limits` until `shutdown` resolves.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: ApiState,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve_connections(listener, router(state), limits, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_the_token_exact() {
        let token = |v: &str| bearer_token(&HeaderValue::from_str(v).unwrap()).map(<[u8]>::to_vec);
        assert_eq!(token("Bearer s3cret"), Some(b"s3cret".to_vec()));
        assert_eq!(token("bearer s3cret"), Some(b"s3cret".to_vec()));
        assert_eq!(token("BEARER s3cret"), Some(b"s3cret".to_vec()));
        assert_eq!(token("Bearer  s3cret"), Some(b" s3cret".to_vec()));
        assert_eq!(token("Basic s3cret"), None);
        assert_eq!(token("Bearer"), None);
        assert!(same_secret(b"s3cret", b"s3cret"));
        for wrong in [
            &b"s3cret "[..],
            b" s3cret",
            b"s3cre",
            b"s3cretx",
            b"",
            b"S3CRET",
        ] {
            assert!(!same_secret(wrong, b"s3cret"), "{wrong:?}");
        }
    }
}
