//! Query-string parsing with messages that name the parameter and the valid values — an unknown
//! value is a 400, never a silently empty list.

use std::str::FromStr;

use super::error::ApiError;
use crate::domain::{AlertFilter, AlertSort, MAX_PAGE_LIMIT, Page, SilencedFilter};
use crate::service::{MAX_BOOKMAKER_CHARS, MAX_TEXT_FILTER_CHARS, check_text};

/// Parameters `GET /api/alerts` accepts.
pub const LIST_PARAMS: &[&str] = &[
    "status",
    "severity",
    "alertType",
    "pattern",
    "eventId",
    "bookmaker",
    "q",
    "silenced",
    "sort",
    "limit",
    "offset",
];

/// Parameters of `GET /api/events/{id}/alerts`.
pub const EVENT_PARAMS: &[&str] = &[
    "status",
    "severity",
    "alertType",
    "pattern",
    "bookmaker",
    "silenced",
    "sort",
    "limit",
    "offset",
];

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 50;

/// A parsed list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    /// Filters.
    pub filter: AlertFilter,
    /// Order.
    pub sort: AlertSort,
    /// Page.
    pub page: Page,
}

/// The values of a list parameter: repeated, or comma-separated. Every piece must be a valid
/// value: an empty one (`status=`, `new,`) is refused like any other, as the document says.
fn values<'a>(params: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    params
        .iter()
        .filter(move |(k, _)| k == key)
        .flat_map(|(_, v)| v.split(','))
}

/// An enum value spelled exactly as the OpenAPI document lists it. (The CLI forgives case and
/// spaces; the API holds to its document, so that what the document calls invalid is refused.)
fn exact<T: FromStr<Err = String> + std::fmt::Display>(key: &str, v: &str) -> Result<T, ApiError> {
    match v.parse::<T>() {
        Ok(parsed) if parsed.to_string() == v => Ok(parsed),
        Ok(parsed) => Err(ApiError::bad_request(format!(
            "invalid {key} {v:?}: write it exactly as {:?}",
            parsed.to_string()
        ))),
        Err(e) => Err(ApiError::bad_request(format!("invalid {key}: {e}"))),
    }
}

/// A whole number written in plain digits (a leading `-` where `signed`): no sign `+`, no
/// spaces, as the document's integer type reads.
fn plain_integer<T: FromStr>(v: &str, signed: bool) -> Option<T> {
    let digits = if signed {
        v.strip_prefix('-').unwrap_or(v)
    } else {
        v
    };
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| v.parse().ok())
        .flatten()
}

fn single<'a>(params: &'a [(String, String)], key: &str) -> Result<Option<&'a str>, ApiError> {
    let mut found = params
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(ApiError::bad_request(format!(
            "parameter {key} may be given once"
        )));
    }
    Ok(first)
}

fn enums<T: FromStr<Err = String> + std::fmt::Display>(
    params: &[(String, String)],
    key: &str,
) -> Result<Vec<T>, ApiError> {
    values(params, key).map(|v| exact(key, v)).collect()
}

/// The `silenced` parameter (default `hide`).
pub fn silenced(params: &[(String, String)]) -> Result<SilencedFilter, ApiError> {
    Ok(single(params, "silenced")?
        .map(|v| exact("silenced", v))
        .transpose()?
        .unwrap_or_default())
}

/// Parses the query of an endpoint whose only parameter is `silenced` (the stream, the stats).
pub fn parse_silenced_only(params: &[(String, String)]) -> Result<SilencedFilter, ApiError> {
    if let Some((unknown, _)) = params.iter().find(|(k, _)| k != "silenced") {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter {unknown:?}; valid parameters: silenced"
        )));
    }
    silenced(params)
}

/// Parses a list request, accepting only `allowed` parameters.
pub fn parse_list(params: &[(String, String)], allowed: &[&str]) -> Result<ListRequest, ApiError> {
    if let Some((unknown, _)) = params.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter {unknown:?}; valid parameters: {}",
            allowed.join(", ")
        )));
    }
    let event_id = match single(params, "eventId")? {
        Some(v) => Some(plain_integer::<i64>(v, true).ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid eventId {v:?}: must be an integer event id"
            ))
        })?),
        None => None,
    };
    let bookmaker = single(params, "bookmaker")?;
    let text = single(params, "q")?;
    // Checked here too (the service checks again) so the 400 names the query parameter; before
    // trimming, so `bookmaker=%0A` is refused as the document says rather than read as empty.
    if let Some(book) = bookmaker {
        check_text("bookmaker", book, MAX_BOOKMAKER_CHARS)?;
    }
    let bookmaker = bookmaker.map(str::trim).filter(|b| !b.is_empty());
    if let Some(text) = text {
        check_text("q", text, MAX_TEXT_FILTER_CHARS)?;
    }
    let filter = AlertFilter {
        statuses: enums(params, "status")?,
        severities: enums(params, "severity")?,
        alert_types: enums(params, "alertType")?,
        bookmaker: bookmaker.map(str::to_string),
        event_id,
        text: text.map(str::to_string),
        pattern: single(params, "pattern")?
            .map(|v| exact("pattern", v))
            .transpose()?,
        silenced: silenced(params)?,
        event_text: None,
    };
    let sort = match single(params, "sort")? {
        Some(v) => exact("sort", v)?,
        None => AlertSort::default(),
    };
    let limit = match single(params, "limit")? {
        Some(v) => plain_integer::<u32>(v, false)
            .filter(|l| (1..=MAX_PAGE_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "invalid limit {v:?}: must be an integer from 1 to {MAX_PAGE_LIMIT}"
                ))
            })?,
        None => DEFAULT_LIMIT,
    };
    let offset = match single(params, "offset")? {
        Some(v) => plain_integer::<u64>(v, false)
            .filter(|o| *o <= i64::MAX as u64)
            .ok_or_else(|| {
                ApiError::bad_request(format!("invalid offset {v:?}: must be an integer >= 0"))
            })?,
        None => 0,
    };
    Ok(ListRequest {
        filter,
        sort,
        page: Page {
            limit,
            offset,
            after: None,
            backwards: false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Severity, Status};

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn repeated_and_comma_separated_values_combine() {
        let r = parse_list(
            &q(&[
                ("status", "new,acknowledged"),
                ("severity", "critical"),
                ("severity", "warning"),
            ]),
            LIST_PARAMS,
        )
        .unwrap();
        assert_eq!(r.filter.statuses, vec![Status::New, Status::Acknowledged]);
        assert_eq!(
            r.filter.severities,
            vec![Severity::Critical, Severity::Warning]
        );
        assert_eq!(r.page.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn unknown_values_and_parameters_name_what_is_valid() {
        let e = parse_list(&q(&[("severity", "huge")]), LIST_PARAMS).unwrap_err();
        assert!(
            e.message.contains("warning, elevated, critical"),
            "{}",
            e.message
        );
        let e = parse_list(&q(&[("stauts", "new")]), LIST_PARAMS).unwrap_err();
        assert!(
            e.message.contains("\"stauts\"") && e.message.contains("status"),
            "{}",
            e.message
        );
        for (k, v) in [
            ("limit", "0"),
            ("limit", "201"),
            ("limit", "x"),
            ("offset", "-1"),
            ("eventId", "abc"),
            // What the OpenAPI document calls invalid is refused (schemathesis found these).
            ("severity", ""),
            ("status", "new,"),
            ("severity", "CRITICAL"),
            ("sort", " change"),
            ("limit", " 5"),
            ("limit", "+5"),
            ("offset", "+0"),
            ("eventId", "+7"),
            ("bookmaker", "\n"),
        ] {
            assert!(parse_list(&q(&[(k, v)]), LIST_PARAMS).is_err(), "{k}={v}");
        }
        assert!(parse_list(&q(&[("limit", "5"), ("limit", "6")]), LIST_PARAMS).is_err());
        assert!(parse_list(&q(&[("q", "x")]), EVENT_PARAMS).is_err());
    }

    #[test]
    fn the_market_types_and_the_pattern_filter_parse_and_a_bad_one_lists_the_valid_values() {
        use crate::domain::{AlertType, Pattern};
        let r = parse_list(
            &q(&[
                ("alertType", "market_move,off_market"),
                ("alertType", "margin"),
                ("pattern", "factor"),
            ]),
            LIST_PARAMS,
        )
        .unwrap();
        assert_eq!(
            r.filter.alert_types,
            vec![
                AlertType::MarketMove,
                AlertType::OffMarket,
                AlertType::Margin
            ]
        );
        assert_eq!(r.filter.pattern, Some(Pattern::Factor));
        let e = parse_list(&q(&[("alertType", "arbitrage")]), LIST_PARAMS).unwrap_err();
        assert!(
            e.message.contains(
                "price_change, direction_disagreement, availability, market_move, off_market, margin"
            ),
            "{}",
            e.message
        );
        let e = parse_list(&q(&[("pattern", "typo")]), EVENT_PARAMS).unwrap_err();
        assert!(e.message.contains("swapped, factor"), "{}", e.message);
        assert!(
            parse_list(
                &q(&[("pattern", "swapped"), ("pattern", "factor")]),
                LIST_PARAMS
            )
            .is_err()
        );
    }

    #[test]
    fn the_silenced_filter_defaults_to_hide_and_a_bad_value_names_the_parameter() {
        assert_eq!(
            parse_list(&q(&[]), LIST_PARAMS).unwrap().filter.silenced,
            SilencedFilter::Hide
        );
        for (v, want) in [
            ("hide", SilencedFilter::Hide),
            ("include", SilencedFilter::Include),
            ("only", SilencedFilter::Only),
        ] {
            let r = parse_list(&q(&[("silenced", v)]), EVENT_PARAMS).unwrap();
            assert_eq!(r.filter.silenced, want);
            assert_eq!(parse_silenced_only(&q(&[("silenced", v)])).unwrap(), want);
        }
        for bad in ["yes", "", "hide,only"] {
            let e = parse_list(&q(&[("silenced", bad)]), LIST_PARAMS).unwrap_err();
            assert!(
                e.message.starts_with("invalid silenced")
                    && e.message.contains("hide, include, only"),
                "{bad}: {}",
                e.message
            );
        }
        let e = parse_list(&q(&[("silenced", "Include")]), LIST_PARAMS).unwrap_err();
        assert!(
            e.message.contains("exactly as \"include\""),
            "{}",
            e.message
        );
        let e = parse_silenced_only(&q(&[("silenced", "all")])).unwrap_err();
        assert!(
            e.message.contains("invalid silenced") && e.message.contains("hide, include, only"),
            "{}",
            e.message
        );
        let e = parse_silenced_only(&q(&[("status", "new")])).unwrap_err();
        assert!(e.message.contains("\"status\""), "{}", e.message);
        assert!(
            parse_list(
                &q(&[("silenced", "hide"), ("silenced", "only")]),
                LIST_PARAMS
            )
            .is_err()
        );
    }

    #[test]
    fn control_characters_in_text_parameters_are_a_400_naming_the_parameter() {
        for (k, v) in [
            ("q", "\0"),
            ("q", "Arse\0nal"),
            ("q", "a\u{1b}[31m"),
            ("bookmaker", "bet\0pawa"),
            ("bookmaker", "bet\npawa"),
        ] {
            let e = parse_list(&q(&[(k, v)]), LIST_PARAMS).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
            assert!(
                e.message
                    .starts_with(&format!("invalid {k} holding the control character")),
                "{k}={v:?}: {}",
                e.message
            );
        }
        let e = parse_list(&q(&[("q", &"x".repeat(201))]), LIST_PARAMS).unwrap_err();
        assert!(
            e.message
                .contains("invalid q of 201 characters: at most 200"),
            "{}",
            e.message
        );
        assert!(parse_list(&q(&[("q", "Zoë Ålesund")]), LIST_PARAMS).is_ok());
    }
}
