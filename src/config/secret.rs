//! Secrets that never reach logs or `Debug` output.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a redacted secret shows instead.
pub const REDACTED: &str = "<redacted>";

/// A string that must not be logged: database URLs (which may carry a password), API keys,
/// tokens. `Debug`, `Display` and `Serialize` all redact; use [`Secret::expose`] to read it.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { REDACTED })
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { REDACTED })
    }
}

/// A database URL with its password replaced, safe to log or print:
/// `postgres://trader:hunter2@db/odds` → `postgres://trader:<redacted>@db/odds`.
///
/// The URL is parsed, not pattern-matched, so a password holding a raw `/`, `?` or `#` (which
/// ends the authority early) is still found. When it does not parse as `scheme://…@host`, or the
/// parse looks split (an `@` after the authority), everything between the scheme and the last
/// `@` is hidden (`postgres:<redacted>@host/db`); without an `@`, an authority holding a `:`
/// (it may be `user:password`) is hidden too. A `password=` query parameter is always redacted.
/// SQLite URLs carry no credentials and are shown as they are.
pub fn redact_url(url: &str) -> String {
    if url.starts_with("sqlite:") {
        return url.to_string();
    }
    match url::Url::parse(url) {
        Ok(parsed) if parsed.has_host() && !looks_split(&parsed) => {
            let user = match (parsed.username(), parsed.password()) {
                ("", None) => String::new(),
                (user, None) => format!("{user}@"),
                (user, Some(_)) => format!("{user}:{REDACTED}@"),
            };
            let host = parsed.host_str().unwrap_or_default();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let query = parsed
                .query()
                .map(|q| redact_query_password(&format!("?{q}")))
                .unwrap_or_default();
            let fragment = parsed.fragment().map(|_| "#…").unwrap_or_default();
            format!(
                "{}://{user}{host}{port}{}{query}{fragment}",
                parsed.scheme(),
                parsed.path()
            )
        }
        _ => redact_unparsed(url),
    }
}

/// An `@` after the authority means a raw `/`, `?` or `#` in the password cut it short.
fn looks_split(url: &url::Url) -> bool {
    url.path().contains('@')
        || url.query().is_some_and(|q| q.contains('@'))
        || url.fragment().is_some_and(|f| f.contains('@'))
}

/// The fallback for URLs that do not parse: keep a recognisable scheme and what follows the
/// last `@`, hide the rest.
fn redact_unparsed(url: &str) -> String {
    let (scheme, rest) = match url.find(':') {
        Some(i) if is_scheme(&url[..i]) => url.split_at(i + 1),
        _ => ("", url),
    };
    let after_slashes = rest.trim_start_matches('/');
    let slashes = &rest[..rest.len() - after_slashes.len()];
    match after_slashes.rfind('@') {
        Some(at) => format!(
            "{scheme}{slashes}{REDACTED}@{}",
            redact_query_password(&after_slashes[at + 1..])
        ),
        None => {
            let end = after_slashes
                .find(['/', '?'])
                .unwrap_or(after_slashes.len());
            let (authority, tail) = after_slashes.split_at(end);
            let authority = if authority.contains(':') {
                REDACTED
            } else {
                authority
            };
            format!(
                "{scheme}{slashes}{authority}{}",
                redact_query_password(tail)
            )
        }
    }
}

fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape of URL the hostile pass tried; none may show the password.
    const SHAPES: &[(&str, &str)] = &[
        (
            "postgres://trader:hunter2@db:5432/odds",
            "postgres://trader:<redacted>@db:5432/odds",
        ),
        (
            "postgresql://trader:hunter2@db/odds?sslmode=require",
            "postgresql://trader:<redacted>@db/odds?sslmode=require",
        ),
        (
            "postgres:trader:hunter2@db/odds",
            "postgres:<redacted>@db/odds",
        ),
        ("postgres//trader:hunter2@db/odds", "<redacted>@db/odds"),
        (
            "postgres://trader:hun/ter2@db/odds",
            "postgres://<redacted>@db/odds",
        ),
        (
            "postgres://trader:hun?ter2@db/odds",
            "postgres://<redacted>@db/odds",
        ),
        (
            "postgres://trader:hun#ter2@db/odds",
            "postgres://<redacted>@db/odds",
        ),
        (
            "postgres://trader:1234/hunter2@db/odds",
            "postgres://<redacted>@db/odds",
        ),
        (
            "postgres://trader:hun@ter2@db/odds",
            "postgres://trader:<redacted>@db/odds",
        ),
        (
            "postgres://db/odds?user=trader&password=hunter2",
            "postgres://db/odds?user=trader&password=<redacted>",
        ),
        (
            "postgres://trader:hunter2/odds",
            "postgres://<redacted>/odds",
        ),
        ("postgres://trader@db/odds", "postgres://trader@db/odds"),
        ("sqlite:///tmp/odds.db", "sqlite:///tmp/odds.db"),
    ];

    #[test]
    fn every_url_shape_is_shown_without_its_password() {
        for (url, shown) in SHAPES {
            let redacted = redact_url(url);
            assert_eq!(&redacted, shown, "{url}");
            for fragment in ["hunter2", "hun", "ter2"] {
                assert!(!redacted.contains(fragment), "{url} → {redacted}");
            }
        }
    }
}
