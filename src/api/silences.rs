//! `/api/silences`: silences as Alertmanager has them (DESIGN §10), shared by every face. The
//! handlers parse and check the request, call the alert service as the acting user, and shape
//! the answer; no SQL here.
//!
//! Choices (DESIGN.md is silent on these):
//! - A silence's matchers are **nested** under `matchers` (`{"matchers": {"eventId": 7,
//!   "marketId": "5000"}}`), in requests and answers alike: the same object, with the same names
//!   as an alert's fields, so a client can build one from an alert. Unset matchers are left out.
//! - The end is exactly one of `for` (a duration: `90s`, `30m`, `2h`, `1d`, `1h30m`), `until`
//!   (RFC 3339) or `untilKickoff: true`.
//! - A body that is JSON but not of the documented shape (an unknown field, a matcher of the
//!   wrong type, a bad duration, two ends) is a 400 saying why, not the 422 of the alert
//!   endpoints: a silence has more ways to be wrong and each deserves its own message.
//! - `POST` answers 201 with the silence; `DELETE` expires it (it stays listed with `all=true`)
//!   and answers 200 with the silence as it now is; deleting an ended silence changes nothing.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::ApiState;
use super::doc::ActingUser;
use super::error::{ApiError, ErrorBody};
use super::routes::acting_user;
use crate::domain::{
    NewSilence, Silence, SilenceEdit, SilenceEnd, SilenceMatchers, parse_duration,
};
use crate::service::{MAX_REASON_CHARS, check_text, now_millis};

/// A silence as the API and the CLI's `--json` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Silence)]
pub struct SilenceJson {
    /// Database id.
    pub id: i64,
    /// What it matches: every set matcher must match; unset ones are left out.
    pub matchers: SilenceMatchers,
    /// When it started to apply.
    pub starts_at: DateTime<Utc>,
    /// When it stops applying (as made or last edited; `expiredAt` may end it earlier).
    pub ends_at: DateTime<Utc>,
    /// Why (may be empty).
    pub reason: String,
    /// Who made it.
    pub created_by: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was expired by hand or by housekeeping, or null.
    pub expired_at: Option<DateTime<Utc>>,
    /// Who expired it (`system` for housekeeping), or null.
    pub expired_by: Option<String>,
    /// Whether it applies now (started, not ended, not expired).
    pub active: bool,
}

impl SilenceJson {
    /// The JSON of `silence`, `active` as of `now`.
    pub fn at(silence: &Silence, now: DateTime<Utc>) -> Self {
        SilenceJson {
            id: silence.id,
            matchers: silence.matchers.clone(),
            starts_at: silence.starts_at,
            ends_at: silence.ends_at,
            reason: silence.reason.clone(),
            created_by: silence.created_by.clone(),
            created_at: silence.created_at,
            expired_at: silence.expired_at,
            expired_by: silence.expired_by.clone(),
            active: silence.is_active(now),
        }
    }
}

impl From<&Silence> for SilenceJson {
    fn from(silence: &Silence) -> Self {
        SilenceJson::at(silence, now_millis())
    }
}

/// Body of `POST /api/silences`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateSilence {
    /// What to silence; at least one matcher.
    pub matchers: SilenceMatchers,
    /// How long from now: `90s`, `30m`, `2h`, `1d`, `1h30m`. Exactly one of `for`, `until` and
    /// `untilKickoff`.
    #[serde(rename = "for", default)]
    #[schema(example = "2h")]
    pub for_: Option<String>,
    /// Until this instant (RFC 3339).
    #[serde(default)]
    #[schema(example = "2030-06-01T18:00:00Z")]
    pub until: Option<String>,
    /// Until the kickoff of the silenced event (needs the `eventId` matcher).
    #[serde(default)]
    pub until_kickoff: bool,
    /// Why, for the rest of the desk (at most 500 characters, no control characters).
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub reason: Option<String>,
}

/// Body of `PATCH /api/silences/{id}`: a new end (at most one of `for`, `until`,
/// `untilKickoff`), a new reason, or both.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EditSilence {
    /// A new length, counted from the silence's start (`startsAt`), not from now.
    #[serde(rename = "for", default)]
    #[schema(example = "30m")]
    pub for_: Option<String>,
    /// A new end instant (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
    /// End at the kickoff of the silenced event.
    #[serde(default)]
    pub until_kickoff: bool,
    /// A new reason.
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub reason: Option<String>,
}

/// Reads a JSON body into `T`, answering 400 with serde's reason (an unknown field, a wrong
/// type) when it is JSON of another shape.
fn body_of<T: DeserializeOwned>(
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<T, ApiError> {
    serde_json::from_value(body?.0)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

/// The end given by `for`, `until` and `untilKickoff`: at most one; `None` when none is.
fn end_of(
    for_: Option<&str>,
    until: Option<&str>,
    until_kickoff: bool,
) -> Result<Option<SilenceEnd>, ApiError> {
    let given: Vec<&str> = [
        for_.map(|_| "for"),
        until.map(|_| "until"),
        until_kickoff.then_some("untilKickoff"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.len() > 1 {
        return Err(ApiError::bad_request(format!(
            "give one end of the silence: for, until or untilKickoff (got {})",
            given.join(" and ")
        )));
    }
    if let Some(text) = for_ {
        let length =
            parse_duration(text).map_err(|e| ApiError::bad_request(format!("invalid for: {e}")))?;
        return Ok(Some(SilenceEnd::For(length)));
    }
    if let Some(text) = until {
        let at = DateTime::parse_from_rfc3339(text).map_err(|e| {
            ApiError::bad_request(format!(
                "invalid until {text:?}: {e}; write an RFC 3339 time such as \
                 2030-06-01T18:00:00Z"
            ))
        })?;
        return Ok(Some(SilenceEnd::At(at.with_timezone(&Utc))));
    }
    Ok(until_kickoff.then_some(SilenceEnd::UntilKickoff))
}

fn checked_reason(reason: Option<String>) -> Result<Option<String>, ApiError> {
    if let Some(reason) = &reason {
        check_text("reason", reason, MAX_REASON_CHARS)?;
    }
    Ok(reason)
}

/// Query parameters of `GET /api/silences`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // only read by the document
pub struct SilenceQuery {
    /// `true` to list ended and expired silences too (default `false`: the active ones).
    all: Option<bool>,
}

/// The silences, newest first.
#[utoipa::path(
    get, path = "/api/silences", tag = "silences",
    params(SilenceQuery),
    responses(
        (status = 200, description = "the active silences, or every silence with all=true; newest first", body = Vec<SilenceJson>),
        (status = 400, description = "a parameter is unknown, repeated, or all is not true or false", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_silences(
    State(state): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<SilenceJson>>, ApiError> {
    let params = query?.0;
    if let Some((unknown, _)) = params.iter().find(|(k, _)| k != "all") {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter {unknown:?}; valid parameters: all"
        )));
    }
    let all = match params.as_slice() {
        [] => false,
        [(_, v)] if v == "true" => true,
        [(_, v)] if v == "false" => false,
        [(_, v)] => {
            return Err(ApiError::bad_request(format!(
                "invalid all {v:?}: valid values: true, false"
            )));
        }
        _ => return Err(ApiError::bad_request("parameter all may be given once")),
    };
    let silences = state.service.silences(all).await?;
    let now = now_millis();
    Ok(Json(
        silences.iter().map(|s| SilenceJson::at(s, now)).collect(),
    ))
}

/// Make a silence, starting now, as the acting user; the `new` alerts it matches are hidden at
/// once.
#[utoipa::path(
    post, path = "/api/silences", tag = "silences",
    params(ActingUser),
    request_body = CreateSilence,
    responses(
        (status = 201, description = "the silence made", body = SilenceJson),
        (status = 400, description = "the body is not of the documented shape (an unknown field, a wrong type), no matcher is set, the end is missing, given twice, malformed or out of range, untilKickoff lacks an eventId, or the reason or user header is invalid; the message says which", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_silence(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body: CreateSilence = body_of(body)?;
    if body.matchers.is_empty() {
        return Err(ApiError::bad_request(
            "a silence needs at least one matcher: eventId, tournament, bookmaker, marketId, \
             line, outcome or alertType (maxSeverity only narrows them)",
        ));
    }
    let Some(end) = end_of(
        body.for_.as_deref(),
        body.until.as_deref(),
        body.until_kickoff,
    )?
    else {
        return Err(ApiError::bad_request(
            "a silence needs an end: for (e.g. \"2h\"), until (RFC 3339) or untilKickoff: true",
        ));
    };
    let reason = checked_reason(body.reason)?.unwrap_or_default();
    let service = state.service.as_user(acting_user(&state, &headers)?);
    let silence = service
        .create_silence(NewSilence {
            matchers: body.matchers,
            end,
            reason,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(SilenceJson::from(&silence))).into_response())
}

/// One silence.
#[utoipa::path(
    get, path = "/api/silences/{id}", tag = "silences",
    params(("id" = i64, Path, format = Int64, description = "silence id")),
    responses(
        (status = 200, body = SilenceJson),
        (status = 400, description = "the id is not a 64-bit integer", body = ErrorBody),
        (status = 404, description = "no silence has this id", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_silence(
    State(state): State<ApiState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<SilenceJson>, ApiError> {
    let silence = state.service.silence(id?.0).await?;
    Ok(Json(SilenceJson::from(&silence)))
}

/// Change a silence's end or reason, as the acting user (audited).
#[utoipa::path(
    patch, path = "/api/silences/{id}", tag = "silences",
    params(("id" = i64, Path, format = Int64, description = "silence id"), ActingUser),
    request_body = EditSilence,
    responses(
        (status = 200, description = "the silence as it is now", body = SilenceJson),
        (status = 400, description = "the body is not of the documented shape, changes nothing, gives two ends, a malformed or out-of-range end, or the silence has ended; the message says which", body = ErrorBody),
        (status = 404, description = "no silence has this id", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn patch_silence(
    State(state): State<ApiState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<SilenceJson>, ApiError> {
    let id = id?.0;
    let body: EditSilence = body_of(body)?;
    let edit = SilenceEdit {
        end: end_of(
            body.for_.as_deref(),
            body.until.as_deref(),
            body.until_kickoff,
        )?,
        reason: checked_reason(body.reason)?,
    };
    if edit == SilenceEdit::default() {
        return Err(ApiError::bad_request(
            "nothing to change: give a new end (for, until or untilKickoff) or a reason",
        ));
    }
    let service = state.service.as_user(acting_user(&state, &headers)?);
    let silence = service.edit_silence(id, edit).await?;
    Ok(Json(SilenceJson::from(&silence)))
}

/// Expire a silence now, as the acting user (audited). It stays listed with `all=true`.
#[utoipa::path(
    delete, path = "/api/silences/{id}", tag = "silences",
    params(("id" = i64, Path, format = Int64, description = "silence id"), ActingUser),
    responses(
        (status = 200, description = "the expired silence (unchanged if it had already ended)", body = SilenceJson),
        (status = 400, description = "the id is not a 64-bit integer, or the user header is invalid", body = ErrorBody),
        (status = 404, description = "no silence has this id", body = ErrorBody),
        (status = 503, description = "the database is unavailable", body = ErrorBody),
    )
)]
pub async fn delete_silence(
    State(state): State<ApiState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<SilenceJson>, ApiError> {
    let id = id?.0;
    let service = state.service.as_user(acting_user(&state, &headers)?);
    let silence = service.expire_silence(id).await?;
    Ok(Json(SilenceJson::from(&silence)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn one_end_at_most_and_each_form_checked() {
        assert_eq!(
            end_of(Some("1h30m"), None, false).unwrap(),
            Some(SilenceEnd::For(Duration::minutes(90)))
        );
        assert_eq!(
            end_of(None, Some("2030-06-01T20:00:00+02:00"), false).unwrap(),
            Some(SilenceEnd::At(
                "2030-06-01T18:00:00Z".parse::<DateTime<Utc>>().unwrap()
            ))
        );
        assert_eq!(
            end_of(None, None, true).unwrap(),
            Some(SilenceEnd::UntilKickoff)
        );
        assert_eq!(end_of(None, None, false).unwrap(), None);
        let e = end_of(Some("2h"), Some("2030-06-01T18:00:00Z"), false).unwrap_err();
        assert!(e.message.contains("got for and until"), "{}", e.message);
        let e = end_of(Some("2h"), None, true).unwrap_err();
        assert!(e.message.contains("for and untilKickoff"), "{}", e.message);
        let e = end_of(Some("2 hours"), None, false).unwrap_err();
        assert!(
            e.message
                .starts_with("invalid for: invalid duration \"2 hours\"")
                && e.message.contains("1h30m"),
            "{}",
            e.message
        );
        let e = end_of(None, Some("tomorrow"), false).unwrap_err();
        assert!(e.message.contains("RFC 3339"), "{}", e.message);
    }

    #[test]
    fn an_unknown_field_or_a_wrong_type_is_a_400_naming_it() {
        let body = |v: serde_json::Value| body_of::<CreateSilence>(Ok(Json(v)));
        let e = body(serde_json::json!({"matchers": {"eventId": 1}, "for": "2h", "silly": 1}))
            .unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.contains("unknown field `silly`"), "{}", e.message);
        let e = body(serde_json::json!({"matchers": {"event": 1}, "for": "2h"})).unwrap_err();
        assert!(e.message.contains("unknown field `event`"), "{}", e.message);
        let e =
            body(serde_json::json!({"matchers": {"alertType": "nope"}, "for": "2h"})).unwrap_err();
        assert!(
            e.message.contains("unknown variant `nope`"),
            "{}",
            e.message
        );
        let ok = body(serde_json::json!({"matchers": {"eventId": 1, "line": 2.5}, "for": "2h"}))
            .unwrap();
        assert_eq!(ok.matchers.event_id, Some(1));
        assert_eq!(ok.for_.as_deref(), Some("2h"));
    }
}
