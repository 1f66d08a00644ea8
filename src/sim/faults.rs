//! Fault injection: a seeded fraction of feed responses go wrong in the ways real books do.
//!
//! Without a kind list ([`Faults::kinds`] empty) the five historical kinds are rolled with equal
//! odds, exactly as before (`slow`, `server-error`, `too-many-requests`, `truncated`,
//! `malformed`); with one, only the listed kinds are rolled (equally likely), and an optional
//! book limits faults to that book's endpoints.
//!
//! Choices: `reshaped` only changes event bodies (a list or discovery response rolled
//! `reshaped` is served unchanged, since those never carried markets); the rate applies per
//! response whether or not the roll changes it. A book filter skips the dice for other books,
//! so their responses are never faulty.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A kind of fault, as `oddswatch sim --fault` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// The right answer, late (`slow`).
    Slow,
    /// 503 (`server-error`).
    ServerError,
    /// 429 with `Retry-After: 1` (`too-many-requests`).
    TooManyRequests,
    /// The first half of the body (`truncated`).
    Truncated,
    /// An HTML error page with status 200 (`malformed`).
    Malformed,
    /// The body a few bytes at a time, slowly, for minutes (`drip`).
    Drip,
    /// 429 with `Retry-After: 5` (`retry-after`).
    RetryAfter,
    /// An event body without its markets (`reshaped`).
    Reshaped,
    /// A chunked body of ≈ 50 MB without `Content-Length` (`oversize`).
    Oversize,
}

impl FaultKind {
    /// Every kind, in CLI order.
    pub const ALL: [FaultKind; 9] = [
        FaultKind::Slow,
        FaultKind::ServerError,
        FaultKind::TooManyRequests,
        FaultKind::Truncated,
        FaultKind::Malformed,
        FaultKind::Drip,
        FaultKind::RetryAfter,
        FaultKind::Reshaped,
        FaultKind::Oversize,
    ];

    /// The name `--fault` takes.
    pub const fn name(self) -> &'static str {
        match self {
            FaultKind::Slow => "slow",
            FaultKind::ServerError => "server-error",
            FaultKind::TooManyRequests => "too-many-requests",
            FaultKind::Truncated => "truncated",
            FaultKind::Malformed => "malformed",
            FaultKind::Drip => "drip",
            FaultKind::RetryAfter => "retry-after",
            FaultKind::Reshaped => "reshaped",
            FaultKind::Oversize => "oversize",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown fault {raw:?}; allowed: {}", names.join(", "))
            })
    }
}

/// The books `--fault-book` accepts: the three simulated books and The Odds API endpoint.
pub const FAULT_BOOKS: [&str; 4] = ["betpawa", "sportybet", "bet9ja", "theoddsapi"];

/// How the slow kinds behave; tests shrink them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultTiming {
    /// How long `slow` stalls a response.
    pub slow: Duration,
    /// Bytes per `drip` chunk.
    pub drip_bytes: usize,
    /// Pause between two `drip` chunks.
    pub drip_every: Duration,
    /// Size of an `oversize` body.
    pub oversize_bytes: u64,
}

impl Default for FaultTiming {
    fn default() -> Self {
        FaultTiming {
            slow: Duration::from_millis(1500),
            drip_bytes: 8,
            drip_every: Duration::from_secs(1),
            oversize_bytes: 50_000_000,
        }
    }
}

/// What goes wrong with one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// The right answer, late.
    Slow(Duration),
    /// 503.
    ServerError,
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
    /// The first half of the body (with a matching length, so it parses as broken JSON).
    Truncated,
    /// An HTML error page with status 200.
    Malformed,
    /// The body `bytes` at a time, one chunk per `every`.
    Drip { bytes: usize, every: Duration },
    /// 429 with `Retry-After: 5`.
    RetryAfter,
    /// An event body without its markets.
    Reshaped,
    /// A chunked body of `bytes` without `Content-Length`.
    Oversize { bytes: u64 },
}

/// What kind of body a response carries (decides what `reshaped` removes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyKind {
    /// Discovery: sport lists, competition lists.
    Listing,
    /// One event's odds (The Odds API: its odds response).
    Event,
}

/// The fault dice; its own seeded stream so faults never disturb the market's moves.
#[derive(Debug)]
pub(super) struct Faults {
    rng: SmallRng,
    pub(super) rate: f64,
    /// Kinds rolled; empty means the five historical kinds.
    pub(super) kinds: Vec<FaultKind>,
    /// Only this book's responses are faulty, when set.
    pub(super) book: Option<String>,
    /// Only event bodies are faulty (discovery answers cleanly), when set.
    pub(super) events_only: bool,
    timing: FaultTiming,
}

impl Faults {
    pub(super) fn new(
        seed: u64,
        rate: f64,
        kinds: Vec<FaultKind>,
        book: Option<String>,
        timing: FaultTiming,
    ) -> Self {
        let mut kinds = kinds;
        kinds.sort();
        kinds.dedup();
        Faults {
            rng: SmallRng::seed_from_u64(seed.wrapping_add(0xfa17)),
            rate: rate.clamp(0.0, 1.0),
            kinds,
            book,
            events_only: false,
            timing,
        }
    }

    /// Rolls for one response of `book` (a slug of [`FAULT_BOOKS`]) carrying a `kind` body.
    pub(super) fn roll(&mut self, book: &str, kind: BodyKind) -> Option<Fault> {
        if self.book.as_deref().is_some_and(|only| only != book) {
            return None;
        }
        if self.events_only && kind != BodyKind::Event {
            return None;
        }
        if self.rate <= 0.0 || !self.rng.gen_bool(self.rate) {
            return None;
        }
        if self.kinds.is_empty() {
            // The historical dice, unchanged: the same seed gives the same faults as before.
            return Some(match self.rng.gen_range(0..5) {
                0 => Fault::Slow(self.timing.slow),
                1 => Fault::ServerError,
                2 => Fault::TooManyRequests,
                3 => Fault::Truncated,
                _ => Fault::Malformed,
            });
        }
        let kind = self.kinds[self.rng.gen_range(0..self.kinds.len())];
        Some(match kind {
            FaultKind::Slow => Fault::Slow(self.timing.slow),
            FaultKind::ServerError => Fault::ServerError,
            FaultKind::TooManyRequests => Fault::TooManyRequests,
            FaultKind::Truncated => Fault::Truncated,
            FaultKind::Malformed => Fault::Malformed,
            FaultKind::Drip => Fault::Drip {
                bytes: self.timing.drip_bytes.max(1),
                every: self.timing.drip_every,
            },
            FaultKind::RetryAfter => Fault::RetryAfter,
            FaultKind::Reshaped => Fault::Reshaped,
            FaultKind::Oversize => Fault::Oversize {
                bytes: self.timing.oversize_bytes,
            },
        })
    }
}

fn json(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn too_many_requests(seconds: &'static str) -> Response {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
    response
}

/// The body `bytes` at a time, a pause before each chunk; a stream, so no `Content-Length`.
fn drip(body: Vec<u8>, bytes: usize, every: Duration) -> Body {
    let chunks: Vec<Bytes> = body
        .chunks(bytes.max(1))
        .map(Bytes::copy_from_slice)
        .collect();
    let stream = futures::stream::unfold(chunks.into_iter(), move |mut rest| async move {
        let chunk = rest.next()?;
        tokio::time::sleep(every).await;
        Some((Ok::<_, std::io::Error>(chunk), rest))
    });
    Body::from_stream(stream)
}

/// `{"padding":"xxx…"}` of about `bytes`, streamed in 64 KiB chunks (chunked encoding).
fn oversize(bytes: u64) -> Body {
    const CHUNK: usize = 64 * 1024;
    let filler = Bytes::from(vec![b'x'; CHUNK]);
    let chunks = bytes.div_ceil(CHUNK as u64);
    let head = futures::stream::once(async {
        Ok::<_, std::io::Error>(Bytes::from_static(b"{\"padding\":\""))
    });
    let middle = futures::stream::iter((0..chunks).map(move |_| Ok(filler.clone())));
    let tail = futures::stream::once(async { Ok(Bytes::from_static(b"\"}")) });
    use futures::StreamExt;
    Body::from_stream(head.chain(middle).chain(tail))
}

/// The event body of `book` without its markets (The Odds API: every bookmaker's `markets`).
pub(super) fn reshape(book: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    match book {
        "betpawa" => {
            value.as_object_mut()?.remove("markets");
        }
        "sportybet" => {
            value.get_mut("data")?.as_object_mut()?.remove("markets");
        }
        "bet9ja" => {
            value.get_mut("D")?.as_object_mut()?.remove("O");
        }
        _ => {
            for event in value.as_array_mut()? {
                let Some(bookmakers) = event.get_mut("bookmakers").and_then(|b| b.as_array_mut())
                else {
                    continue;
                };
                for bookmaker in bookmakers {
                    if let Some(b) = bookmaker.as_object_mut() {
                        b.remove("markets");
                    }
                }
            }
        }
    }
    serde_json::to_vec(&value).ok()
}

/// The response for `body`, spoilt by `fault` if any.
pub(super) async fn apply(
    fault: Option<Fault>,
    book: &str,
    kind: BodyKind,
    status: StatusCode,
    mut body: Vec<u8>,
) -> Response {
    match fault {
        None => json(status, body),
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            json(status, body)
        }
        Some(Fault::ServerError) => {
            (StatusCode::SERVICE_UNAVAILABLE, "upstream unavailable").into_response()
        }
        Some(Fault::TooManyRequests) => too_many_requests("1"),
        Some(Fault::RetryAfter) => too_many_requests("5"),
        Some(Fault::Truncated) => {
            body.truncate(body.len() / 2);
            json(status, body)
        }
        Some(Fault::Malformed) => {
            (StatusCode::OK, "<html><body>502 Bad Gateway</body></html>").into_response()
        }
        Some(Fault::Drip { bytes, every }) => json(status, drip(body, bytes, every)),
        Some(Fault::Oversize { bytes }) => json(status, oversize(bytes)),
        Some(Fault::Reshaped) => match kind {
            BodyKind::Event if status.is_success() => {
                let reshaped = reshape(book, &body).unwrap_or(body);
                json(status, reshaped)
            }
            _ => json(status, body),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy(seed: u64, rate: f64) -> Faults {
        Faults::new(seed, rate, Vec::new(), None, FaultTiming::default())
    }

    #[test]
    fn fault_rate_zero_never_faults_and_one_always_does() {
        let mut none = legacy(1, 0.0);
        assert!((0..1000).all(|_| none.roll("betpawa", BodyKind::Event).is_none()));
        let mut all = legacy(1, 1.0);
        let rolls: Vec<_> = (0..1000)
            .map(|_| all.roll("theoddsapi", BodyKind::Event))
            .collect();
        assert!(rolls.iter().all(Option::is_some));
        for kind in [
            Fault::ServerError,
            Fault::TooManyRequests,
            Fault::Truncated,
            Fault::Malformed,
        ] {
            assert!(rolls.contains(&Some(kind)), "{kind:?} never rolled");
        }
        assert!(
            !rolls.iter().any(|f| matches!(
                f,
                Some(
                    Fault::Drip { .. }
                        | Fault::Oversize { .. }
                        | Fault::Reshaped
                        | Fault::RetryAfter
                )
            )),
            "without --fault only the historical kinds are rolled"
        );
    }

    #[test]
    fn a_fault_rate_between_hits_about_that_fraction() {
        let mut some = legacy(3, 0.2);
        let hits = (0..10_000)
            .filter(|_| some.roll("theoddsapi", BodyKind::Event).is_some())
            .count();
        assert!((1_700..2_300).contains(&hits), "{hits}");
    }

    #[test]
    fn fault_names_parse_exactly_and_unknown_ones_list_the_allowed() {
        for kind in FaultKind::ALL {
            assert_eq!(kind.name().parse::<FaultKind>(), Ok(kind));
        }
        let error = "dripping".parse::<FaultKind>().unwrap_err();
        assert!(
            error.contains("dripping") && error.contains("retry-after"),
            "{error}"
        );
    }

    #[test]
    fn listed_kinds_are_the_only_ones_rolled() {
        let mut faults = Faults::new(
            7,
            1.0,
            vec![FaultKind::Drip, FaultKind::RetryAfter],
            None,
            FaultTiming::default(),
        );
        let rolls: Vec<_> = (0..200)
            .map(|_| faults.roll("theoddsapi", BodyKind::Event).unwrap())
            .collect();
        assert!(rolls.iter().any(|f| matches!(f, Fault::Drip { .. })));
        assert!(rolls.contains(&Fault::RetryAfter));
        assert!(
            rolls
                .iter()
                .all(|f| matches!(f, Fault::Drip { .. } | Fault::RetryAfter))
        );
    }

    #[test]
    fn a_fault_book_spares_the_other_books() {
        let mut faults = Faults::new(
            7,
            1.0,
            vec![FaultKind::ServerError],
            Some("sportybet".into()),
            FaultTiming::default(),
        );
        assert_eq!(faults.roll("betpawa", BodyKind::Event), None);
        assert_eq!(faults.roll("theoddsapi", BodyKind::Event), None);
        assert_eq!(
            faults.roll("sportybet", BodyKind::Event),
            Some(Fault::ServerError)
        );
        faults.events_only = true;
        assert_eq!(faults.roll("sportybet", BodyKind::Listing), None);
        assert_eq!(
            faults.roll("sportybet", BodyKind::Event),
            Some(Fault::ServerError)
        );
    }

    #[test]
    fn reshaped_bodies_lose_their_markets_and_keep_the_rest() {
        let betpawa = br#"{"id":"1","markets":[{"a":1}]}"#;
        let out: serde_json::Value =
            serde_json::from_slice(&reshape("betpawa", betpawa).unwrap()).unwrap();
        assert_eq!(out, serde_json::json!({"id": "1"}));
        let sporty = br#"{"bizCode":10000,"data":{"eventId":"sr:match:1","markets":[]}}"#;
        let out: serde_json::Value =
            serde_json::from_slice(&reshape("sportybet", sporty).unwrap()).unwrap();
        assert_eq!(out["data"], serde_json::json!({"eventId": "sr:match:1"}));
        let bet9ja = br#"{"R":"OK","D":{"ID":1,"O":{"S_1X2_1":"1.5"}}}"#;
        let out: serde_json::Value =
            serde_json::from_slice(&reshape("bet9ja", bet9ja).unwrap()).unwrap();
        assert_eq!(out["D"], serde_json::json!({"ID": 1}));
        let odds_api = br#"[{"id":"a","bookmakers":[{"key":"x","markets":[]}]}]"#;
        let out: serde_json::Value =
            serde_json::from_slice(&reshape("theoddsapi", odds_api).unwrap()).unwrap();
        assert_eq!(out[0]["bookmakers"][0], serde_json::json!({"key": "x"}));
    }
}
