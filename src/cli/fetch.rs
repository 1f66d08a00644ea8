//! `oddswatch fetch`: scrape one book once (discovery plus every event, or one event) and print
//! the normalised events and the failure counts. For checking a feed by hand.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use color_eyre::eyre::eyre;
use serde::Serialize;

use crate::config::{BookConfig, Config};
use crate::domain::EventOdds;
use crate::sources::{BookSnapshot, FailureKind, Feed, FeedKind, HttpPolicy, StatsSnapshot};

/// A book the `fetch` command can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BookArg {
    /// BetPawa.
    Betpawa,
    /// SportyBet.
    Sportybet,
    /// Bet9ja.
    Bet9ja,
    /// The Odds API v4.
    Theoddsapi,
}

impl From<BookArg> for FeedKind {
    fn from(book: BookArg) -> FeedKind {
        match book {
            BookArg::Betpawa => FeedKind::BetPawa,
            BookArg::Sportybet => FeedKind::SportyBet,
            BookArg::Bet9ja => FeedKind::Bet9ja,
            BookArg::Theoddsapi => FeedKind::TheOddsApi,
        }
    }
}

/// `oddswatch fetch --book NAME [--base-url URL] [--event ID] [--json]`
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// The book to fetch.
    #[arg(long, value_enum)]
    pub book: BookArg,
    /// Base URL of the feed (default: the book's `base_url` from the config).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Fetch only this event (the book's own id) instead of running discovery.
    #[arg(long)]
    pub event: Option<String>,
    /// Print `{"events": [...], "failures": {...}}` instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// One book's events in the JSON output.
#[derive(Debug, Serialize)]
struct BookEvent<'a> {
    book: &'a str,
    #[serde(flatten)]
    event: &'a EventOdds,
}

/// What `--json` prints (through [`to_json`], which makes the field names camelCase).
#[derive(Debug, Serialize)]
struct FetchReport<'a> {
    events: Vec<BookEvent<'a>>,
    failures: BTreeMap<FailureKind, u64>,
    errors: Vec<String>,
    stats: &'a StatsSnapshot,
    elapsed_ms: u128,
}

/// The report as pretty JSON with camelCase field names, like every other `--json` and the HTTP
/// API. The domain types keep their snake_case serde names (dead letters and the reference cycle
/// files are written with them), so the renaming happens here. The keys of `failures` are failure
/// kinds — values, like the keys of `byType` in the API — and stay as they are.
fn to_json(report: &FetchReport<'_>) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&camel_case_fields(serde_json::to_value(report)?))
}

fn camel_case_fields(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| {
                    let value = if key == "failures" {
                        value
                    } else {
                        camel_case_fields(value)
                    };
                    (camel_case(&key), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_fields).collect()),
        other => other,
    }
}

fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs the command: exit 0 when everything was fetched, 2 when some events failed, 1 when
/// the book could not be read at all.
pub async fn run(config: &Config, args: FetchArgs) -> color_eyre::Result<ExitCode> {
    let kind = FeedKind::from(args.book);
    let book_config: BookConfig = config
        .books
        .get(kind.slug())
        .cloned()
        .ok_or_else(|| eyre!("no [books.{}] section in the configuration", kind.slug()))?;
    if kind == FeedKind::TheOddsApi
        && book_config
            .api_key
            .as_ref()
            .is_none_or(|k| k.expose().trim().is_empty())
    {
        return Err(eyre!(
            "books.theoddsapi.api_key is empty: set it in the config file or \
             ODDSWATCH_BOOKS_THEODDSAPI_API_KEY"
        ));
    }
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| book_config.base_url.clone());
    let feed = Feed::with_policy(
        kind,
        &book_config,
        &base_url,
        HttpPolicy::from_book(&book_config),
    )?;
    let started = Instant::now();
    let result = match &args.event {
        Some(event) => feed.scrape_event(event).await,
        None => feed.scrape().await,
    };
    let elapsed = started.elapsed();
    let stats = feed.stats().snapshot();
    let scrapes = match result {
        Ok(scrapes) => scrapes,
        Err(e) => {
            if args.json {
                let report = FetchReport {
                    events: Vec::new(),
                    failures: stats.failures.clone(),
                    errors: vec![e.to_string()],
                    stats: &stats,
                    elapsed_ms: elapsed.as_millis(),
                };
                emit(&to_json(&report)?);
            } else {
                emit(&render_summary(&[], &stats, elapsed));
                eprintln!("error: {e}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    if args.json {
        let report = FetchReport {
            events: scrapes
                .iter()
                .flat_map(|s| {
                    s.events.iter().map(|event| BookEvent {
                        book: &s.book,
                        event,
                    })
                })
                .collect(),
            failures: stats.failures.clone(),
            errors: scrapes
                .iter()
                .flat_map(|s| s.failures.iter().map(ToString::to_string))
                .collect(),
            stats: &stats,
            elapsed_ms: elapsed.as_millis(),
        };
        emit(&to_json(&report)?);
    } else {
        emit(&render_summary(&scrapes, &stats, elapsed));
        if args.event.is_some() {
            for scrape in &scrapes {
                for event in &scrape.events {
                    emit(render_markets(event).trim_end());
                }
            }
        }
    }
    let failed = scrapes.iter().any(|s| !s.failures.is_empty());
    Ok(ExitCode::from(if failed { 2 } else { 0 }))
}

/// Prints a block of output; a closed pipe (`| head`) ends output quietly instead of panicking.
fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// One line per event, then totals and failure counts.
pub fn render_summary(
    scrapes: &[BookSnapshot],
    stats: &StatsSnapshot,
    elapsed: Duration,
) -> String {
    let mut out = String::new();
    let mut events = 0;
    let mut markets = 0;
    for scrape in scrapes {
        for e in &scrape.events {
            events += 1;
            markets += e.markets.len();
            let kickoff = e
                .kickoff
                .map(|k| k.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "kickoff unknown".into());
            let _ = writeln!(
                out,
                "{:<10} {:<12} {:<44} {}  {:>3} markets  {}",
                scrape.book,
                e.event_key,
                format!("{} v {}", e.home_team, e.away_team),
                kickoff,
                e.markets.len(),
                e.tournament.as_deref().unwrap_or("")
            );
        }
    }
    let secs = elapsed.as_secs_f64();
    let _ = writeln!(
        out,
        "\n{events} events, {markets} markets in {secs:.2} s; {} requests, {} retries, {:.1} MB read ({:.1} MB/s)",
        stats.requests,
        stats.retries,
        stats.bytes as f64 / 1e6,
        if secs > 0.0 {
            stats.bytes as f64 / 1e6 / secs
        } else {
            0.0
        }
    );
    let _ = writeln!(
        out,
        "skipped: {} unmapped markets, {} events without a SportRadar id",
        stats.markets_unmapped, stats.events_without_sportradar_id
    );
    if stats.failures.is_empty() {
        let _ = write!(out, "failures: none");
    } else {
        let counts: Vec<String> = stats
            .failures
            .iter()
            .map(|(kind, n)| format!("{} {n}", kind.as_str()))
            .collect();
        let _ = write!(out, "failures: {}", counts.join(", "));
    }
    if let Some(quota) = stats.quota {
        let show = |v: Option<u64>| v.map_or("?".to_string(), |v| v.to_string());
        let _ = write!(
            out,
            "\nquota: {} remaining, {} used, last request cost {}",
            show(quota.remaining),
            show(quota.used),
            show(quota.last)
        );
    }
    out
}

/// Every market of one event, one line each.
pub fn render_markets(event: &EventOdds) -> String {
    let mut out = String::new();
    for m in &event.markets {
        let line = m.line.map(|l| format!(" {l}")).unwrap_or_default();
        let outcomes: Vec<String> = m
            .outcomes
            .iter()
            .map(|o| {
                format!(
                    "{} {}{}",
                    o.name,
                    o.price,
                    if o.active { "" } else { " (suspended)" }
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  {:<34} {}",
            format!("{}{line}", m.market_name),
            outcomes.join("  ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MarketOdds, OutcomeOdds};

    fn scrape() -> BookSnapshot {
        BookSnapshot {
            book: "sportybet".into(),
            events: vec![EventOdds {
                event_key: "61300947".into(),
                book_event_id: "sr:match:61300947".into(),
                home_team: "Debreceni".into(),
                away_team: "Ferencvaros".into(),
                tournament: Some("NB I".into()),
                country: None,
                kickoff: chrono::DateTime::from_timestamp(1_796_146_200, 0),
                markets: vec![MarketOdds {
                    market_id: "5000".into(),
                    market_name: "Over/Under | Full Time".into(),
                    line: Some("2.5".parse().unwrap()),
                    outcomes: vec![
                        OutcomeOdds {
                            name: "Over".into(),
                            price: "1.85".parse().unwrap(),
                            active: true,
                        },
                        OutcomeOdds {
                            name: "Under".into(),
                            price: "1.95".parse().unwrap(),
                            active: false,
                        },
                    ],
                }],
            }],
            failures: Vec::new(),
        }
    }

    #[test]
    fn summary_lists_each_event_and_the_failure_counts() {
        let mut stats = StatsSnapshot {
            requests: 12,
            bytes: 2_000_000,
            ..StatsSnapshot::default()
        };
        stats.failures.insert(FailureKind::Timeout, 2);
        let text = render_summary(&[scrape()], &stats, Duration::from_secs(2));
        assert!(text.contains("sportybet  61300947"), "{text}");
        assert!(text.contains("Debreceni v Ferencvaros"));
        assert!(text.contains("2026-12-01 17:30 UTC"));
        assert!(text.contains(
            "1 events, 1 markets in 2.00 s; 12 requests, 0 retries, 2.0 MB read (1.0 MB/s)"
        ));
        assert!(text.ends_with("failures: timeout 2"), "{text}");
    }

    #[test]
    fn market_lines_show_line_prices_and_suspensions() {
        let text = render_markets(&scrape().events[0]);
        assert!(text.contains("Over/Under | Full Time 2.5"), "{text}");
        assert!(text.contains("Over 1.85  Under 1.95 (suspended)"), "{text}");
    }

    #[test]
    fn json_report_has_events_with_their_book_and_failures_by_kind() {
        let scrapes = [scrape()];
        let mut stats = StatsSnapshot::default();
        stats.failures.insert(FailureKind::EventGone, 1);
        let report = FetchReport {
            events: scrapes[0]
                .events
                .iter()
                .map(|event| BookEvent {
                    book: "sportybet",
                    event,
                })
                .collect(),
            failures: stats.failures.clone(),
            errors: vec![],
            stats: &stats,
            elapsed_ms: 5,
        };
        let value: serde_json::Value = serde_json::from_str(&to_json(&report).unwrap()).unwrap();
        assert_eq!(value["events"][0]["book"], "sportybet");
        assert_eq!(value["events"][0]["eventKey"], "61300947");
        assert_eq!(value["events"][0]["bookEventId"], "sr:match:61300947");
        assert_eq!(value["events"][0]["homeTeam"], "Debreceni");
        assert_eq!(value["events"][0]["markets"][0]["marketId"], "5000");
        assert_eq!(value["events"][0]["markets"][0]["line"], 2.5);
        assert_eq!(value["elapsedMs"], 5);
        assert_eq!(value["stats"]["latency"]["p50Ms"], 0.0);
        assert_eq!(value["stats"]["marketsUnmapped"], 0);
        assert_eq!(
            value["failures"]["event_gone"], 1,
            "failure kinds are values"
        );
        let text = to_json(&report).unwrap();
        assert!(!text.contains("_key") && !text.contains("_ms"), "{text}");
    }
}
