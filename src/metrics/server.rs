//! `/metrics` over HTTP: the handler the API mounts, and the small server `oddswatch scrape`
//! runs on `scrape.metrics_bind` (the API may be off on a scraper, its metrics should not be).
//!
//! The token rule is the API's: when `api.token` is set, a request needs
//! `Authorization: Bearer TOKEN` (checked the same way, in a time that does not reveal the
//! token); a non-loopback `scrape.metrics_bind` needs a token (the configuration refuses it
//! otherwise). Connections go through the API's connection loop (header timeout, limit).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::task::JoinHandle;

use crate::api::ApiError;
use crate::config::Config;

/// `GET /metrics`: the current metrics in the Prometheus text format.
pub async fn metrics() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::CONTENT_TYPE),
        )],
        super::render(),
    )
        .into_response()
}

/// The scrape's metrics server; stops when dropped.
#[derive(Debug)]
pub struct MetricsServer {
    /// The address actually bound.
    pub local: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why the metrics server could not start; the message names `scrape.metrics_bind`.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Not an address with a port (validation normally catches this first).
    #[error(
        "scrape.metrics_bind = {0:?} is not an address with a port, e.g. 127.0.0.1:9464; set it to \"\" to serve no metrics"
    )]
    NotAnAddress(String),
    /// A non-loopback address without a token.
    #[error(
        "scrape.metrics_bind = {0}: binding a non-loopback address requires api.token (clients then send Authorization: Bearer TOKEN)"
    )]
    TokenRequired(SocketAddr),
    /// The address could not be bound (in use, not this host's).
    #[error(
        "cannot serve metrics on scrape.metrics_bind = {addr}: {source}; choose a free address, or \"\" to serve no metrics"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Starts serving `/metrics` on `scrape.metrics_bind` (installing the recorder); `None` when the
/// key is empty (metrics off).
pub async fn start(config: &Config) -> Result<Option<MetricsServer>, StartError> {
    let bind = config.scrape.metrics_bind.trim();
    if bind.is_empty() {
        return Ok(None);
    }
    let addr: SocketAddr = bind
        .parse()
        .map_err(|_| StartError::NotAnAddress(bind.to_string()))?;
    let token = Some(config.api.token.expose().trim().to_string()).filter(|t| !t.is_empty());
    if !addr.ip().is_loopback() && token.is_none() {
        return Err(StartError::TokenRequired(addr));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    super::install();
    let router = router(token);
    let task = tokio::spawn(async move {
        let limits = crate::api::ConnectionLimits::default();
        if let Err(e) =
            crate::api::serve_router(listener, router, limits, std::future::pending()).await
        {
            tracing::error!(error = %e, "the metrics server stopped");
        }
    });
    tracing::info!(%local, "serving metrics on http://{local}/metrics");
    Ok(Some(MetricsServer { local, task }))
}

/// `/metrics` alone, behind the bearer token when one is set.
pub fn router(token: Option<String>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(token, require_token))
}

async fn not_found(request: Request) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!(
            "no such endpoint: {} (this server has /metrics only)",
            request.uri().path()
        ),
    }
}

async fn require_token(
    State(token): State<Option<String>>,
    request: Request,
    next: Next,
) -> Response {
    match token {
        Some(token) if !crate::api::authorized(request.headers(), &token) => {
            crate::api::unauthorized()
        }
        _ => next.run(request).await,
    }
}
