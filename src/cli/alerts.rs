//! `oddswatch alerts …`: scripting access to the alert service.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use color_eyre::eyre::Result;

use super::table;
use crate::domain::AckOutcome;
use crate::domain::{
    AlertFilter, AlertPayload, AlertSort, AlertType, Line, MAX_PAGE_LIMIT, Page, Pattern, Percent,
    Severity, SilencedFilter, Status,
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
    /// Write every alert matching the list's filters, in its sort order, as CSV, a JSON array
    /// or JSON lines (streamed: any number of alerts in little memory).
    Export(super::export::ExportArgs),
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
    /// Counts by status, severity and type, and how many alerts are silenced.
    Stats {
        /// Count silenced alerts too (include) or only them (only); hide leaves them out.
        #[arg(long, default_value_t = SilencedFilter::Hide, value_name = "hide|include|only")]
        silenced: SilencedFilter,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Which alerts, in which order: the filters and sort shared by `alerts list` and
/// `alerts export`, so both select the same alerts from the same flags.
#[derive(Debug, Default, clap::Args)]
pub struct FilterArgs {
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
    /// Silenced alerts: hide (the default), include (list them too, marked in STATUS), only.
    #[arg(long, default_value_t = SilencedFilter::Hide, value_name = "hide|include|only")]
    pub silenced: SilencedFilter,
    /// Sort order: detected (newest first), severity, kickoff (soonest first), change (largest first).
    #[arg(long, default_value_t = AlertSort::Detected)]
    pub sort: AlertSort,
}

impl FilterArgs {
    /// The service's filter for these flags (the sort is [`FilterArgs::sort`]).
    pub fn filter(&self) -> AlertFilter {
        AlertFilter {
            statuses: self.status.clone(),
            severities: self.severity.clone(),
            alert_types: self.alert_type.clone(),
            bookmaker: self.book.clone(),
            event_id: self.event,
            text: self.text.clone(),
            pattern: self.pattern,
            silenced: self.silenced,
            event_text: None,
        }
    }
}

/// Filters and paging of `alerts list`.
#[derive(Debug, Default, clap::Args)]
pub struct ListArgs {
    /// Which alerts, in which order.
    #[command(flatten)]
    pub select: FilterArgs,
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
pub(super) fn checked_text(raw: &str, max: usize) -> Result<String, String> {
    check_text("value", raw, max)
        .map(|()| raw.to_string())
        .map_err(|e| match e {
            ServiceError::InvalidArgument { value, allowed, .. } => format!("{value}: {allowed}"),
            other => other.to_string(),
        })
}

pub(super) fn parse_text_filter(raw: &str) -> Result<String, String> {
    checked_text(raw, MAX_TEXT_FILTER_CHARS)
}

pub(super) fn parse_book(raw: &str) -> Result<String, String> {
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
        AlertsCommand::Export(args) => super::export::run(service, args).await,
        AlertsCommand::Show { id, json } => super::show::run(service, id, json).await,
        AlertsCommand::Ack { ids, comment } => {
            let outcomes = service.acknowledge(&ids, comment.as_deref()).await;
            report_ack(service, outcomes, "acknowledged")
        }
        AlertsCommand::Unack { ids, comment } => {
            let outcomes = service.unacknowledge(&ids, comment.as_deref()).await;
            report_ack(service, outcomes, "unacknowledged")
        }
        AlertsCommand::Stats { silenced, json } => {
            let stats = service.stats_of(silenced).await?;
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
                println!("silenced: {}", stats.silenced);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn list(service: &AlertService, args: ListArgs) -> Result<ExitCode> {
    let filter = args.select.filter();
    let page = Page {
        limit: args.limit,
        offset: args.offset,
        after: None,
        backwards: false,
    };
    let result = match service.list(&filter, args.select.sort, &page).await {
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
                status_text(a),
                truncate(&a.event_name, 34),
                truncate(&a.market_name, 24),
                a.line.map(fmt_line).unwrap_or_default(),
                a.outcome_name.clone().unwrap_or_default(),
                a.bookmaker.clone(),
                move_text(&a.payload),
                change_text(&a.payload),
                fmt_age(now, a.detected_at),
                a.occurrences.to_string(),
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
        "SEEN",
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
        "\n{first}–{} of {} (new {}, acknowledged {}, past {}; silenced {}{})",
        page.offset + result.alerts.len() as u64,
        result.total,
        result.counts.new,
        result.counts.acknowledged,
        result.counts.past,
        result.counts.silenced,
        match filter.silenced {
            SilencedFilter::Hide if result.counts.silenced > 0 => ", hidden: --silenced include",
            _ => "",
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The STATUS column: the status, `↑` when the alert escalated, `silenced` when a silence hides
/// it (listed only with `--silenced include|only`).
fn status_text(a: &crate::domain::Alert) -> String {
    let mut text = a.status.as_str().to_string();
    if a.escalated {
        text.push_str(" ↑");
    }
    if a.silenced_by.is_some() {
        text.push_str(", silenced");
    }
    text
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
pub(super) fn user_error(e: ServiceError) -> Result<ExitCode> {
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

/// A percentage with its sign, exact: `+91.55%`, `-2.81%`, `+0.00%`.
pub(super) fn signed_pct(p: Percent) -> String {
    let sign = if p.hundredths() < 0 { "" } else { "+" };
    format!("{sign}{p}%")
}

/// The list's `Δ%` column: the alerted book's change, or what stands for it in a type without
/// one — the edge of an off-market price, the margin of a margin alert, the movers' median of
/// a market move (its home change is usually none: the home book did not follow).
pub(super) fn change_text(payload: &AlertPayload) -> String {
    match payload {
        AlertPayload::MarketMove(m) => format!("median {}", signed_pct(m.median_change_pct)),
        AlertPayload::OffMarket(o) => format!("edge {}", signed_pct(o.edge_pct)),
        AlertPayload::Margin(m) => format!("margin {}", signed_pct(m.margin_pct)),
        other => other
            .change_pct()
            .map(|c| format!("{:+.2}%", c.as_f64()))
            .unwrap_or_default(),
    }
}

pub(super) fn move_text(payload: &AlertPayload) -> String {
    match (payload, payload.price_move(), payload.availability()) {
        (AlertPayload::OffMarket(o), _, _) => {
            format!("{:.2} (fair {:.2})", o.price.as_f64(), o.fair_odds.as_f64())
        }
        (_, Some(m), _) => format!("{:.2} → {:.2}", m.old.as_f64(), m.new.as_f64()),
        (_, None, Some(flip)) => flip.change.to_string(),
        (_, None, None) => String::new(),
    }
}

pub(super) fn fmt_line(line: Line) -> String {
    line.to_string()
}

pub(super) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub(super) fn fmt_secs(secs: i64) -> String {
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

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}
