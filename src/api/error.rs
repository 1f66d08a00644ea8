//! Every API error is JSON: `{"error": "..."}` with a status that says whose fault it is.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::ServiceError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Message for the client (never contains secrets or SQL).
    pub message: String,
}

/// The body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong and, where it helps, what is allowed.
    pub error: String,
}

impl ApiError {
    /// A 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status = match &e {
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::EventStarted(_) | ServiceError::InvalidArgument { .. } => {
                StatusCode::BAD_REQUEST
            }
            ServiceError::Store(store) if database_unreachable(store) => {
                tracing::error!(error = %store, "API request failed: the database is unreachable");
                return ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: "the database is unavailable; try again shortly".into(),
                };
            }
            ServiceError::Store(store) => {
                tracing::error!(error = %store, "API request failed in the database");
                return ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "internal error while reading the database; the server log has the \
                              details"
                        .into(),
                };
            }
        };
        ApiError {
            status,
            message: e.to_string(),
        }
    }
}

/// Whether a store error means the database cannot be reached (503, try again) rather than a
/// query it refused (500: a bug, or input that should have been validated).
fn database_unreachable(e: &StoreError) -> bool {
    let source = match e {
        StoreError::Connect { .. } => return true,
        StoreError::Query { source, .. } => source,
        _ => return false,
    };
    match source {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // PostgreSQL: connection exceptions, insufficient resources, operator intervention
            // (shutting down). SQLite: busy or locked beyond the busy timeout.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
                || code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
        }
        _ => false,
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if let JsonRejection::BytesRejection(bytes) = &r {
            if bytes.status() == StatusCode::PAYLOAD_TOO_LARGE {
                return ApiError {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    message: format!(
                        "request body too large: at most 64 KiB ({} bytes) are accepted",
                        super::MAX_BODY_BYTES
                    ),
                };
            }
            return ApiError::bad_request(format!(
                "cannot read the request body: {}",
                r.body_text()
            ));
        }
        let status = match r {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError {
            status,
            message: format!("malformed request body: {}", r.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::bad_request(format!("invalid path parameter: {}", r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request(format!("invalid query string: {}", r.body_text()))
    }
}
