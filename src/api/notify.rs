//! `/api/notify/…`: the notification targets' health, resuming a paused target, and the rules
//! (listed, added, removed) — DESIGN §12. Targets hold secrets and stay in the config; their
//! URLs are shown as `scheme://host/…`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::ApiState;
use super::doc::ActingUser;
use super::error::{ApiError, ErrorBody};
use super::routes::acting_user;
use crate::domain::NotifyRule;
use crate::service::{NotifyRuleRow, NotifyTargetStatus};

/// The answer of a resume.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resumed {
    /// The target.
    pub name: String,
    /// `false` when the target never had a delivery (nothing to resume).
    pub resumed: bool,
}

/// Every notification target: configured ones with their health, then any with deliveries but
/// no longer configured.
#[utoipa::path(
    get, path = "/api/notify/targets", tag = "notify",
    responses(
        (status = 200, description = "the targets", body = [NotifyTargetStatus]),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn targets(
    State(state): State<ApiState>,
) -> Result<Json<Vec<NotifyTargetStatus>>, ApiError> {
    Ok(Json(state.service.notify_status().await?))
}

/// Clears a target's pause and backoff: its waiting deliveries go out on the next pass.
#[utoipa::path(
    post, path = "/api/notify/targets/{name}/resume", tag = "notify",
    params(("name" = String, Path, description = "a configured target's name")),
    responses(
        (status = 200, description = "resumed (or nothing to resume)", body = Resumed),
        (status = 404, description = "no configured target has this name; the message lists them", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn resume(
    State(state): State<ApiState>,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<Resumed>, ApiError> {
    let name = name?.0;
    match state.service.resume_notify_target(&name).await? {
        Some(resumed) => Ok(Json(Resumed { name, resumed })),
        None => Err(ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!(
                "no notify target {name:?}; configured targets: {}",
                state.service.notify_target_names()
            ),
        }),
    }
}

/// The rules in force: configured ones (no id) and stored ones.
#[utoipa::path(
    get, path = "/api/notify/rules", tag = "notify",
    responses(
        (status = 200, description = "the rules", body = [NotifyRuleRow]),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn rules(State(state): State<ApiState>) -> Result<Json<Vec<NotifyRuleRow>>, ApiError> {
    Ok(Json(state.service.notify_rules().await?))
}

/// Stores a rule as the acting user; every daemon applies it from its next cycle.
#[utoipa::path(
    post, path = "/api/notify/rules", tag = "notify",
    params(ActingUser),
    request_body = NotifyRule,
    responses(
        (status = 201, description = "the stored rule", body = NotifyRuleRow),
        (status = 400, description = "the body is not a rule (an unknown field, severity or type), or names no configured target or book; the message says which and what is allowed", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn add_rule(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let rule: NotifyRule = serde_json::from_value(body?.0)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    let service = state.service.as_user(acting_user(&state, &headers)?);
    let row = service.add_notify_rule(rule).await?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

/// Deletes a stored rule (configured ones are edited in the config).
#[utoipa::path(
    delete, path = "/api/notify/rules/{id}", tag = "notify",
    params(("id" = i64, Path, format = Int64, description = "stored rule id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 400, description = "the id is not a 64-bit integer", body = ErrorBody),
        (status = 404, description = "no stored rule has this id", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn delete_rule(
    State(state): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = id?.0;
    if state.service.delete_notify_rule(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!("no stored notification rule {id}"),
        })
    }
}
