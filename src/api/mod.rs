//! The HTTP JSON API (axum), compatible with the reference system: camelCase JSON everywhere,
//! RFC 3339 timestamps in UTC, every error as `{"error": "..."}`. Handlers call the alert
//! service; they contain no queries. Binds 127.0.0.1 unless configured, and then only with a
//! bearer token.

mod doc;
mod error;
mod params;
mod routes;
mod stream;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::watch;
use utoipa::OpenApi;

pub use doc::ApiDoc;
pub use error::{ApiError, ErrorBody};
pub use routes::USER_HEADER;

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
    Router::new()
        .route("/api/alerts", get(routes::list_alerts))
        .route("/api/alerts/stats", get(routes::stats))
        .route("/api/alerts/stream", get(stream::stream))
        .route("/api/alerts/acknowledge", post(routes::bulk_acknowledge))
        .route(
            "/api/alerts/{id}",
            get(routes::get_alert).patch(routes::patch_alert),
        )
        .route("/api/events/{id}/alerts", get(routes::event_alerts))
        .route("/api/health", get(routes::health))
        .route("/api/openapi.json", get(openapi))
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

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn require_token(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let Some(token) = &state.token else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(given) if same_secret(given.as_bytes(), token.as_bytes()) => next.run(request).await,
        _ => {
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
    }
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

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
