//! `oddswatch alerts …`: scripting access to the alert service.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use color_eyre::eyre::Result;

use super::table;
use crate::domain::AckOutcome;
use crate::domain::{
    Alert, AlertFilter, AlertJson, AlertPayload, AlertSort, AlertType, FlatPayload, Line,
    MAX_PAGE_LIMIT, Page, Pattern, Percent, Price, Severity, SilencedFilter, Status,
};
use crate::service::{
    AlertService, MAX_BOOKMAKER_CHARS, MAX_COMMENT_CHARS, MAX_TEXT_FILTER_CHARS, ServiceError,
    check_text,
};

/// `oddswatch alerts …`
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List alerts, newest first by default.
    List(ListArgs),
    /// Show one alert with every field and its audit trail.
    Show {
        /// Alert id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge alerts (refused once their event has started).
    Ack {
        /// Alert ids.
        #[arg(required = true, num_args = 1..)]
        ids: Vec<i64>,
        /// Comment recorded in the audit trail (at most 1000 characters).
        #[arg(long, value_parser = parse_comment)]
        comment: Option<String>,
    },
    /// Return acknowledged alerts to new.
    Unack {
        /// Alert ids.
        #[arg(required = true, num_args = 1..)]
        ids: Vec<i64>,
        /// Comment recorded in the audit trail (at most 1000 characters).
        #[arg(long, value_parser = parse_comment)]
        comment: Option<String>,
    },
    /// Counts by status, severity and type.
    Stats {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Filters and paging of `alerts list`.
#[derive(Debug, Default, clap::Args)]
pub struct ListArgs {
    /// Only these statuses (repeat or comma-separate): new, acknowledged, past.
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<Status>,
    /// Only these severities: warning, elevated, critical.
    #[arg(long, value_delimiter = ',')]
    pub severity: Vec<Severity>,
    /// Only these types: price_change, direction_disagreement, availability, market_move,
    /// off_market, margin.
    #[arg(long = "type", value_delimiter = ',')]
    pub alert_type: Vec<AlertType>,
    /// Only off_market alerts of this palpable-error pattern: swapped, factor.
    #[arg(long)]
    pub pattern: Option<Pattern>,
    /// Only alerts about this book (slug, e.g. betpawa).
    #[arg(long, value_parser = parse_book)]
    pub book: Option<String>,
    /// Only alerts of this event (id).
    #[arg(long)]
    pub event: Option<i64>,
    /// Text in the event, team, tournament or market name (case-insensitive; at most 200
    /// characters).
    #[arg(long, short = 'q', value_parser = parse_text_filter)]
    pub text: Option<String>,
    /// Sort order: detected (newest first), severity, kickoff (soonest first), change (largest first).
    #[arg(long, default_value_t = AlertSort::Detected)]
    pub sort: AlertSort,
    /// Alerts per page (1–200).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=MAX_PAGE_LIMIT as i64))]
    pub limit: u32,
    /// Alerts to skip (0 to 9223372036854775807).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub offset: u64,
    /// Print JSON (the HTTP API's shape) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A flag's text checked by the service's rules, so a bad value is a usage error (exit 2) that
/// states the limit, before any database is opened.
fn checked_text(raw: &str, max: usize) -> Result<String, String> {
    check_text("value", raw, max)
        .map(|()| raw.to_string())
        .map_err(|e| match e {
            ServiceError::InvalidArgument { value, allowed, .. } => format!("{value}: {allowed}"),
            other => other.to_string(),
        })
}

fn parse_text_filter(raw: &str) -> Result<String, String> {
    checked_text(raw, MAX_TEXT_FILTER_CHARS)
}

fn parse_book(raw: &str) -> Result<String, String> {
    checked_text(raw, MAX_BOOKMAKER_CHARS)
}

fn parse_comment(raw: &str) -> Result<String, String> {
    checked_text(raw, MAX_COMMENT_CHARS)
}

impl AlertsCommand {
    /// The bare `alerts list`.
    pub fn default_list() -> Self {
        AlertsCommand::List(ListArgs {
            limit: 20,
            ..ListArgs::default()
        })
    }
}

/// Runs one `alerts` subcommand; user errors (missing or refused alerts) exit 1 with a message.
pub async fn run(service: &AlertService, cmd: AlertsCommand) -> Result<ExitCode> {
    match cmd {
        AlertsCommand::List(args) => list(service, args).await,
        AlertsCommand::Show { id, json } => match service.get(id).await {
            Ok(alert) => {
                let audit = service.audit(id).await?;
                if json {
                    let mut value = serde_json::to_value(AlertJson::from(&alert))?;
                    value["audit"] = serde_json::to_value(&audit)?;
                    println!("{}", serde_json::to_string_pretty(&value)?);
                } else {
                    print!("{}", describe(&alert));
                    println!("audit trail:");
                    if audit.is_empty() {
                        println!("  (none)");
                    }
                    for entry in audit {
                        let comment = entry.comment.map(|c| format!(" — {c}")).unwrap_or_default();
                        println!(
                            "  {}  {:<13} {}{comment}",
                            fmt_time(entry.at),
                            entry.action,
                            entry.actor
                        );
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => user_error(e),
        },
        AlertsCommand::Ack { ids, comment } => {
            let outcomes = service.acknowledge(&ids, comment.as_deref()).await;
            report_ack(service, outcomes, "acknowledged")
        }
        AlertsCommand::Unack { ids, comment } => {
            let outcomes = service.unacknowledge(&ids, comment.as_deref()).await;
            report_ack(service, outcomes, "unacknowledged")
        }
        AlertsCommand::Stats { json } => {
            let stats = service.stats().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                println!("total: {}", stats.total);
                for (title, map) in [
                    ("status", &stats.by_status),
                    ("severity", &stats.by_severity),
                    ("type", &stats.by_type),
                ] {
                    let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} {v}")).collect();
                    println!("by {title}: {}", parts.join(", "));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn list(service: &AlertService, args: ListArgs) -> Result<ExitCode> {
    let filter = AlertFilter {
        statuses: args.status,
        severities: args.severity,
        alert_types: args.alert_type,
        bookmaker: args.book,
        event_id: args.event,
        text: args.text,
        pattern: args.pattern,
        silenced: SilencedFilter::default(),
    };
    let page = Page {
        limit: args.limit,
        offset: args.offset,
        after: None,
        backwards: false,
    };
    let result = match service.list(&filter, args.sort, &page).await {
        Ok(result) => result,
        Err(e) => return user_error(e),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result.body())?);
        return Ok(ExitCode::SUCCESS);
    }
    let now = Utc::now();
    let rows: Vec<Vec<String>> = result
        .alerts
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                a.severity.as_str().to_uppercase(),
                a.alert_type().as_str().to_string(),
                a.status.as_str().to_string(),
                truncate(&a.event_name, 34),
                truncate(&a.market_name, 24),
                a.line.map(fmt_line).unwrap_or_default(),
                a.outcome_name.clone().unwrap_or_default(),
                a.bookmaker.clone(),
                price_move(a),
                change_column(a),
                fmt_age(now, a.detected_at),
            ]
        })
        .collect();
    let headers = [
        "ID",
        "SEVERITY",
        "TYPE",
        "STATUS",
        "EVENT",
        "MARKET",
        "LINE",
        "OUTCOME",
        "BOOK",
        "OLD → NEW",
        "Δ%",
        "AGE",
    ];
    if rows.is_empty() {
        println!("no alerts match");
    } else {
        print!("{}", table::render(&headers, &rows));
    }
    let first = if result.alerts.is_empty() {
        0
    } else {
        page.offset + 1
    };
    println!(
        "\n{first}–{} of {} (new {}, acknowledged {}, past {})",
        page.offset + result.alerts.len() as u64,
        result.total,
        result.counts.new,
        result.counts.acknowledged,
        result.counts.past
    );
    Ok(ExitCode::SUCCESS)
}

fn report_ack(
    service: &AlertService,
    outcomes: Result<Vec<(i64, AckOutcome)>, ServiceError>,
    verb: &str,
) -> Result<ExitCode> {
    let outcomes = match outcomes {
        Ok(o) => o,
        Err(e) => return user_error(e),
    };
    let mut failed = false;
    for (id, outcome) in outcomes {
        match outcome {
            AckOutcome::Changed => println!("alert {id}: {verb} by {}", service.user()),
            AckOutcome::Unchanged { by: Some(by) } => {
                println!("alert {id}: already {verb} (by {by})")
            }
            AckOutcome::Unchanged { by: None } => println!("alert {id}: already {verb}"),
            AckOutcome::EventStarted => {
                failed = true;
                eprintln!(
                    "alert {id}: refused — the event has started; past alerts cannot be {verb}"
                );
            }
            AckOutcome::NotFound => {
                failed = true;
                eprintln!("alert {id}: not found");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints a service error a user can act on: an invalid argument exits 2 (bad arguments), a
/// missing or refused alert exits 1; database failures propagate.
fn user_error(e: ServiceError) -> Result<ExitCode> {
    match e {
        ServiceError::Store(e) => Err(e.into()),
        e @ ServiceError::InvalidArgument { .. } => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
        other => {
            eprintln!("error: {other}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn describe(a: &Alert) -> String {
    let flat = FlatPayload::from(&a.payload);
    let opt = |v: Option<Price>| v.map_or_else(|| "-".into(), |v| format!("{:.3}", v.as_f64()));
    let mut lines = vec![
        ("id", a.id.to_string()),
        ("status", a.status.to_string()),
        ("severity", a.severity.to_string()),
        ("type", a.alert_type().to_string()),
        (
            "event",
            format!(
                "{} (id {}, SportRadar {})",
                a.event_name, a.event_id, a.sr_id
            ),
        ),
        (
            "tournament",
            a.tournament.clone().unwrap_or_else(|| "-".into()),
        ),
        ("kickoff", fmt_time(a.event_kickoff)),
        ("book", a.bookmaker.clone()),
        ("market", format!("{} ({})", a.market_name, a.market_id)),
        ("line", a.line.map(fmt_line).unwrap_or_else(|| "-".into())),
        (
            "outcome",
            a.outcome_name.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "old → new",
            format!("{} → {}", opt(flat.old_price), opt(flat.new_price)),
        ),
        (
            "change",
            flat.change_pct
                .map_or_else(|| "-".into(), |c| format!("{:+.2}%", c.as_f64())),
        ),
        (
            "competitor",
            a.competitor_detail().unwrap_or_else(|| "-".into()),
        ),
        (
            "gap",
            flat.gap_pct
                .map_or_else(|| "-".into(), |g| format!("{:.2}%", g.as_f64())),
        ),
        ("detected", fmt_time(a.detected_at)),
    ];
    if let Some(flip) = a.payload.availability() {
        let gone = flip
            .unavailable_secs
            .map(|s| format!(" after {}", fmt_secs(s)))
            .unwrap_or_default();
        lines.push(("availability", format!("{}{gone}", flip.change)));
    }
    lines.extend(market_lines(&a.payload));
    if let Some(at) = a.acknowledged_at {
        lines.push((
            "acknowledged",
            format!(
                "{} by {}",
                fmt_time(at),
                a.acknowledged_by.as_deref().unwrap_or("?")
            ),
        ));
    }
    lines
        .iter()
        .map(|(k, v)| format!("{k:<13} {v}\n"))
        .collect()
}

/// The lines `alerts show` adds for the market-wide types (DESIGN §9), after the lines every
/// alert has: a market move's direction, median and each mover; an off-market price's edge,
/// fair odds, pattern and each consensus book; a margin alert's margin and each price.
fn market_lines(payload: &AlertPayload) -> Vec<(&'static str, String)> {
    let price = |p: Price| format!("{:.3}", p.as_f64());
    let mut lines = Vec::new();
    match payload {
        AlertPayload::MarketMove(m) => {
            lines.push(("direction", m.direction.to_string()));
            lines.push(("median", signed_pct(m.median_change_pct)));
            lines.push(("movers", m.movers.len().to_string()));
            for mover in &m.movers {
                lines.push((
                    "  mover",
                    format!(
                        "{} {} → {} ({})",
                        mover.bookmaker,
                        price(mover.old),
                        price(mover.new),
                        signed_pct(mover.change_pct)
                    ),
                ));
            }
        }
        AlertPayload::OffMarket(o) => {
            lines.push(("price", price(o.price)));
            lines.push(("edge", signed_pct(o.edge_pct)));
            lines.push(("fair odds", price(o.fair_odds)));
            lines.push((
                "pattern",
                o.pattern.map_or_else(|| "-".into(), |p| p.to_string()),
            ));
            lines.push(("books", format!("{} counted", o.books.len())));
            for book in &o.books {
                lines.push((
                    "  book",
                    format!(
                        "{} {} (fair {})",
                        book.bookmaker,
                        price(book.price),
                        price(book.fair_odds)
                    ),
                ));
            }
        }
        AlertPayload::Margin(m) => {
            lines.push(("margin", signed_pct(m.margin_pct)));
            for quote in &m.prices {
                lines.push((
                    "  price",
                    format!("{} {}", quote.outcome, price(quote.price)),
                ));
            }
        }
        AlertPayload::PriceChange(_)
        | AlertPayload::DirectionDisagreement(_)
        | AlertPayload::Availability(_) => {}
    }
    lines
}

/// A percentage with its sign, exact: `+91.55%`, `-2.81%`, `+0.00%`.
fn signed_pct(p: Percent) -> String {
    let sign = if p.hundredths() < 0 { "" } else { "+" };
    format!("{sign}{p}%")
}

/// The list's `Δ%` column: the alerted book's change, or what stands for it in a type without
/// one — the edge of an off-market price, the margin of a margin alert, the movers' median of
/// a market move (its home change is usually none: the home book did not follow).
fn change_column(a: &Alert) -> String {
    match &a.payload {
        AlertPayload::MarketMove(m) => format!("median {}", signed_pct(m.median_change_pct)),
        AlertPayload::OffMarket(o) => format!("edge {}", signed_pct(o.edge_pct)),
        AlertPayload::Margin(m) => format!("margin {}", signed_pct(m.margin_pct)),
        other => other
            .change_pct()
            .map(|c| format!("{:+.2}%", c.as_f64()))
            .unwrap_or_default(),
    }
}

fn price_move(a: &Alert) -> String {
    match (&a.payload, a.payload.price_move(), a.payload.availability()) {
        (AlertPayload::OffMarket(o), _, _) => {
            format!("{:.2} (fair {:.2})", o.price.as_f64(), o.fair_odds.as_f64())
        }
        (_, Some(m), _) => format!("{:.2} → {:.2}", m.old.as_f64(), m.new.as_f64()),
        (_, None, Some(flip)) => flip.change.to_string(),
        (_, None, None) => String::new(),
    }
}

fn fmt_line(line: Line) -> String {
    line.to_string()
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn fmt_secs(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn fmt_age(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    fmt_secs((now - t).num_seconds().max(0))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}
