//! Every API error is JSON: `{"error": "..."}` with a status that says whose fault it is.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::ServiceError;

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
            ServiceError::NotFound(_) | ServiceError::SilenceNotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::EventStarted(_) | ServiceError::InvalidArgument { .. } => {
                StatusCode::BAD_REQUEST
            }
            ServiceError::Store(store) if e.database_unavailable() => {
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
