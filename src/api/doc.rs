//! The OpenAPI document, generated from the handlers' annotations and the types' schemas so it
//! cannot drift from the code. It declares every parameter's enum and bounds, every status an
//! operation can answer with the error body's schema, the bearer token, and the shape of the live
//! stream's events. `tests/api_contract.rs` checks real answers against it.
//!
//! The parameter types below exist for the document: requests are parsed by `params::parse_list`,
//! which accepts exactly what they declare (plus comma-separated lists, a convenience the
//! document mentions in the descriptions).

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::error::ErrorBody;
use super::{MAX_BODY_BYTES, notify, routes, silences, stream};
use crate::domain::{AlertSort, AlertType, Pattern, Severity, SilencedFilter, Status};

/// Query parameters of `GET /api/alerts`. Text parameters refuse control characters
/// (PostgreSQL cannot store NUL, and no name or comment needs one).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // only read by the document
pub struct ListQuery {
    /// Only these statuses (repeat the parameter, or separate values by commas).
    #[param(style = Form, explode, inline)]
    status: Option<Vec<Status>>,
    /// Only these severities.
    #[param(style = Form, explode, inline)]
    severity: Option<Vec<Severity>>,
    /// Only these alert types.
    #[param(rename = "alertType", style = Form, explode, inline)]
    alert_type: Option<Vec<AlertType>>,
    /// Only `off_market` alerts of this palpable-error pattern.
    #[param(inline)]
    pattern: Option<Pattern>,
    /// Only this event (its database id).
    #[param(rename = "eventId", format = Int64)]
    event_id: Option<i64>,
    /// Only alerts about this book (its slug).
    #[param(max_length = 64, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    bookmaker: Option<String>,
    /// Text in the event, team, tournament or market names (case-insensitive).
    #[param(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    q: Option<String>,
    /// Silenced alerts (DESIGN §10): `hide` (default) leaves them out of the list and the
    /// counts, `include` lists them too, `only` lists nothing else. `silencedCount` counts them
    /// whatever this says.
    #[param(inline)]
    silenced: Option<SilencedFilter>,
    /// Order of the list (default `detected`: newest first).
    #[param(inline)]
    sort: Option<AlertSort>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// Rows to skip.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_u64, format = Int64)]
    offset: Option<u64>,
}

/// Query parameters of `GET /api/events/{id}/alerts`: the list's, less the event and the text.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // only read by the document
pub struct EventQuery {
    /// Only these statuses (repeat the parameter, or separate values by commas).
    #[param(style = Form, explode, inline)]
    status: Option<Vec<Status>>,
    /// Only these severities.
    #[param(style = Form, explode, inline)]
    severity: Option<Vec<Severity>>,
    /// Only these alert types.
    #[param(rename = "alertType", style = Form, explode, inline)]
    alert_type: Option<Vec<AlertType>>,
    /// Only `off_market` alerts of this palpable-error pattern.
    #[param(inline)]
    pattern: Option<Pattern>,
    /// Only alerts about this book (its slug).
    #[param(max_length = 64, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    bookmaker: Option<String>,
    /// Silenced alerts (DESIGN §10): `hide` (default) leaves them out of the list and the
    /// counts, `include` lists them too, `only` lists nothing else. `silencedCount` counts them
    /// whatever this says.
    #[param(inline)]
    silenced: Option<SilencedFilter>,
    /// Order of the list (default `detected`: newest first).
    #[param(inline)]
    sort: Option<AlertSort>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// Rows to skip.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_u64, format = Int64)]
    offset: Option<u64>,
}

/// The acting user of an acknowledgement or a silence (default: the server's configured user).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // only read by the document
pub struct ActingUser {
    /// Who acts: 1 to 64 printable characters (surrounding spaces are ignored).
    #[param(
        rename = "X-Oddswatch-User",
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    user: Option<String>,
}

/// One event of `GET /api/alerts/stream` (Server-Sent Events). On the wire each is
/// `event: <event>`, `id: <alert id>` (for `alert` and `update`) and one `data:` line of JSON.
#[derive(serde::Serialize, ToSchema)]
#[allow(dead_code)] // only read by the document
#[serde(tag = "event", content = "data", rename_all = "lowercase")]
pub enum StreamEvent {
    /// A new alert.
    Alert(crate::domain::AlertJson),
    /// An alert whose status changed (acknowledged, unacknowledged, past); the alert as it is now.
    Update(crate::domain::AlertJson),
    /// Many alerts changed at once (a silence made or expired among them), or the client fell
    /// behind: read the list again. Data `{}`.
    Reload(EmptyObject),
}

/// Query parameters of `GET /api/alerts/stream` and `GET /api/alerts/stats`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // only read by the document
pub struct SilencedQuery {
    /// Silenced alerts: `hide` (default) leaves them out, `include` keeps them, `only` keeps
    /// nothing else.
    #[param(inline)]
    silenced: Option<SilencedFilter>,
}

/// `{}`.
#[derive(serde::Serialize, ToSchema)]
#[allow(dead_code)] // only read by the document
pub struct EmptyObject {}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "oddswatch",
        description = "Risk alerts of a sportsbook trading desk. Every error is JSON `{\"error\": \"...\"}`. \
When the server has a token (`api.token`), every request needs `Authorization: Bearer <token>` \
(the scheme in any case) and is otherwise answered 401."
    ),
    paths(
        routes::list_alerts,
        routes::stats,
        routes::get_alert,
        routes::patch_alert,
        routes::bulk_acknowledge,
        routes::alert_occurrences,
        routes::event_alerts,
        routes::health,
        stream::stream,
        silences::list_silences,
        silences::create_silence,
        silences::get_silence,
        silences::patch_silence,
        silences::delete_silence,
        notify::targets,
        notify::resume,
        notify::rules,
        notify::add_rule,
        notify::delete_rule,
    ),
    components(schemas(
        crate::domain::AlertJson,
        crate::domain::OccurrenceJson,
        silences::SilenceJson,
        ErrorBody,
        StreamEvent,
        EmptyObject
    )),
    modifiers(&CommonAnswers)
)]
pub struct ApiDoc;

/// Adds what every operation can answer — 401 when a token is set, 405 for another method on its
/// path — and the size, media type and body answers of the operations that take a body.
struct CommonAnswers;

fn error(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        let too_large = format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024);
        for item in openapi.paths.paths.values_mut() {
            for (method, operation) in [
                ("get", item.get.as_mut()),
                ("patch", item.patch.as_mut()),
                ("post", item.post.as_mut()),
                ("delete", item.delete.as_mut()),
            ] {
                let Some(operation) = operation else { continue };
                let answers = &mut operation.responses.responses;
                answers.insert(
                    "401".into(),
                    error("a token is set and the request lacks it or has another"),
                );
                answers.insert(
                    "405".into(),
                    error("the method is not one this path accepts"),
                );
                if method == "patch" || method == "post" {
                    answers.insert("413".into(), error(&too_large));
                    answers.insert(
                        "415".into(),
                        error("the body is not sent as Content-Type: application/json"),
                    );
                    answers.insert(
                        "422".into(),
                        error("the body is not JSON of the documented shape"),
                    );
                }
                operation.security = Some(vec![
                    utoipa::openapi::security::SecurityRequirement::new::<&str, [&str; 0], &str>(
                        "bearer",
                        [],
                    ),
                    utoipa::openapi::security::SecurityRequirement::default(),
                ]);
            }
        }
    }
}
