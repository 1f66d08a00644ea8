//! `oddswatch silence …`: silences from the command line (DESIGN §10), the same ones the UI and
//! the API make, list and expire. `--json` prints the API's silence JSON.
//!
//! Choices (DESIGN.md is silent on these):
//! - `add` needs at least one matcher and exactly one end (`--for`, `--until`,
//!   `--until-kickoff`); clap refuses anything else as a usage error (exit 2) before the
//!   database is opened.
//! - Durations are read by [`crate::domain::parse_duration`], as the API reads `"for"`.
//! - A service refusal (an end too far away, "until kickoff" of an event that has started)
//!   exits 2 like any bad argument; an unknown silence id exits 1.

use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use clap::{ArgGroup, Subcommand};
use color_eyre::eyre::Result;

use super::alerts::{checked_text, fmt_time, parse_book, parse_text_filter, user_error};
use super::table;
use crate::api::SilenceJson;
use crate::domain::{
    AlertType, Line, NewSilence, Severity, Silence, SilenceEdit, SilenceEnd, SilenceMatchers,
    format_duration, parse_duration,
};
use crate::service::{AlertService, MAX_REASON_CHARS, now_millis};

/// `oddswatch silence …`
#[derive(Debug, Subcommand)]
pub enum SilenceCommand {
    /// Hide the alerts that match every given matcher, from now until the given end.
    Add(AddArgs),
    /// List the active silences, newest first (--all: ended and expired ones too).
    List {
        /// Ended and expired silences too.
        #[arg(long)]
        all: bool,
        /// Print JSON (the HTTP API's shape) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Change a silence's end or reason.
    Edit(EditArgs),
    /// End a silence now (it stays listed with --all).
    Expire {
        /// Silence id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `silence add`
#[derive(Debug, clap::Args)]
#[command(group(
    ArgGroup::new("matcher")
        .required(true)
        .multiple(true)
        .args(["event", "tournament", "book", "market", "line", "outcome", "alert_type", "max_severity"])
))]
#[command(group(ArgGroup::new("end").required(true).args(["for", "until", "until_kickoff"])))]
pub struct AddArgs {
    /// Only alerts of this event (id, as `alerts list` shows it).
    #[arg(long, value_name = "ID")]
    pub event: Option<i64>,
    /// Only alerts of events in this tournament (exact name, any case).
    #[arg(long, value_parser = parse_text_filter)]
    pub tournament: Option<String>,
    /// Only alerts about this book (slug, e.g. betpawa).
    #[arg(long, value_parser = parse_book)]
    pub book: Option<String>,
    /// Only alerts of this market (canonical id, e.g. 5000).
    #[arg(long, value_parser = parse_book)]
    pub market: Option<String>,
    /// Only alerts of this line (e.g. 2.5, -1.5).
    #[arg(long, allow_negative_numbers = true)]
    pub line: Option<Line>,
    /// Only alerts of this outcome (name, any case).
    #[arg(long, value_parser = parse_text_filter)]
    pub outcome: Option<String>,
    /// Only alerts of this type: price_change, direction_disagreement, availability,
    /// market_move, off_market, margin.
    #[arg(long = "type")]
    pub alert_type: Option<AlertType>,
    /// Only alerts at or below this severity (warning, elevated, critical): a more severe one
    /// still gets through.
    #[arg(long)]
    pub max_severity: Option<Severity>,
    /// How long: 90s, 30m, 2h, 1d, 1h30m.
    #[arg(long = "for", id = "for", value_name = "DURATION", value_parser = parse_for)]
    pub for_: Option<Duration>,
    /// Until this time (RFC 3339, e.g. 2030-06-01T18:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    pub until: Option<DateTime<Utc>>,
    /// Until the kickoff of the event (needs --event).
    #[arg(long, requires = "event")]
    pub until_kickoff: bool,
    /// Why, for the rest of the desk (at most 500 characters).
    #[arg(long, value_parser = parse_reason)]
    pub reason: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `silence edit`
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("end").args(["for", "until", "until_kickoff"])))]
pub struct EditArgs {
    /// Silence id.
    pub id: i64,
    /// A new length, counted from the silence's start: 90s, 30m, 2h, 1d, 1h30m.
    #[arg(long = "for", id = "for", value_name = "DURATION", value_parser = parse_for)]
    pub for_: Option<Duration>,
    /// A new end time (RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    pub until: Option<DateTime<Utc>>,
    /// End at the kickoff of the silenced event.
    #[arg(long)]
    pub until_kickoff: bool,
    /// A new reason.
    #[arg(long, value_parser = parse_reason)]
    pub reason: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_for(raw: &str) -> Result<Duration, String> {
    parse_duration(raw).map_err(|e| e.to_string())
}

fn parse_until(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}; write an RFC 3339 time such as 2030-06-01T18:00:00Z"))
}

fn parse_reason(raw: &str) -> Result<String, String> {
    checked_text(raw, MAX_REASON_CHARS)
}

/// The one end of `--for`, `--until`, `--until-kickoff` (clap lets at most one through).
fn end_of(
    for_: Option<Duration>,
    until: Option<DateTime<Utc>>,
    until_kickoff: bool,
) -> Option<SilenceEnd> {
    for_.map(SilenceEnd::For)
        .or(until.map(SilenceEnd::At))
        .or(until_kickoff.then_some(SilenceEnd::UntilKickoff))
}

/// Runs one `silence` subcommand.
pub async fn run(service: &AlertService, cmd: SilenceCommand) -> Result<ExitCode> {
    match cmd {
        SilenceCommand::Add(args) => {
            let json = args.json;
            let new = NewSilence {
                matchers: SilenceMatchers {
                    event_id: args.event,
                    tournament: args.tournament,
                    bookmaker: args.book,
                    market_id: args.market,
                    line: args.line,
                    outcome: args.outcome,
                    alert_type: args.alert_type,
                    max_severity: args.max_severity,
                },
                end: end_of(args.for_, args.until, args.until_kickoff)
                    .expect("clap requires one end"),
                reason: args.reason.unwrap_or_default(),
            };
            match service.create_silence(new).await {
                Ok(silence) => print_one(&silence, json, "added"),
                Err(e) => user_error(e),
            }
        }
        SilenceCommand::List { all, json } => {
            let silences = match service.silences(all).await {
                Ok(silences) => silences,
                Err(e) => return user_error(e),
            };
            let now = now_millis();
            if json {
                let body: Vec<SilenceJson> =
                    silences.iter().map(|s| SilenceJson::at(s, now)).collect();
                println!("{}", serde_json::to_string_pretty(&body)?);
                return Ok(ExitCode::SUCCESS);
            }
            if silences.is_empty() {
                println!("no {}silences", if all { "" } else { "active " });
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = silences
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        state(s, now),
                        matchers_text(&s.matchers),
                        ends_text(s, now),
                        s.created_by.clone(),
                        s.reason.clone(),
                    ]
                })
                .collect();
            let headers = ["ID", "STATE", "MATCHES", "ENDS", "BY", "REASON"];
            print!("{}", table::render(&headers, &rows));
            Ok(ExitCode::SUCCESS)
        }
        SilenceCommand::Edit(args) => {
            let edit = SilenceEdit {
                end: end_of(args.for_, args.until, args.until_kickoff),
                reason: args.reason,
            };
            if edit == SilenceEdit::default() {
                eprintln!(
                    "error: nothing to change: give --for, --until, --until-kickoff or --reason"
                );
                return Ok(ExitCode::from(2));
            }
            match service.edit_silence(args.id, edit).await {
                Ok(silence) => print_one(&silence, args.json, "changed"),
                Err(e) => user_error(e),
            }
        }
        SilenceCommand::Expire { id, json } => match service.expire_silence(id).await {
            Ok(silence) => print_one(&silence, json, "expired"),
            Err(e) => user_error(e),
        },
    }
}

/// Prints one silence after `verb` (added, changed, expired): JSON, or a line and its details.
fn print_one(silence: &Silence, json: bool, verb: &str) -> Result<ExitCode> {
    let now = now_millis();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&SilenceJson::at(silence, now))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let by = match verb {
        "expired" => silence.expired_by.as_deref().unwrap_or("?"),
        _ => silence.created_by.as_str(),
    };
    println!(
        "silence {} {verb} ({} by {by})",
        silence.id,
        state(silence, now)
    );
    println!("  matches  {}", matchers_text(&silence.matchers));
    println!("  ends     {}", ends_text(silence, now));
    if !silence.reason.is_empty() {
        println!("  reason   {}", silence.reason);
    }
    Ok(ExitCode::SUCCESS)
}

/// `active`, `expired` (by hand or housekeeping) or `ended` (its end passed).
fn state(s: &Silence, now: DateTime<Utc>) -> String {
    if s.is_active(now) {
        "active".into()
    } else if s.expired_at.is_some_and(|at| at < s.ends_at) {
        "expired".into()
    } else if now < s.starts_at {
        "pending".into()
    } else {
        "ended".into()
    }
}

/// The matchers in words: `event 12, market 5000, line 2.5, severity <= elevated`.
fn matchers_text(m: &SilenceMatchers) -> String {
    let mut parts = Vec::new();
    if let Some(id) = m.event_id {
        parts.push(format!("event {id}"));
    }
    if let Some(t) = &m.tournament {
        parts.push(format!("tournament {t}"));
    }
    if let Some(b) = &m.bookmaker {
        parts.push(format!("book {b}"));
    }
    if let Some(market) = &m.market_id {
        parts.push(format!("market {market}"));
    }
    if let Some(line) = m.line {
        parts.push(format!("line {line}"));
    }
    if let Some(o) = &m.outcome {
        parts.push(format!("outcome {o}"));
    }
    if let Some(t) = m.alert_type {
        parts.push(format!("type {t}"));
    }
    if let Some(s) = m.max_severity {
        parts.push(format!("severity <= {s}"));
    }
    parts.join(", ")
}

/// When it ends or ended, with how far that is from now: `2030-06-01 14:00:00 UTC (in 2h)`.
fn ends_text(s: &Silence, now: DateTime<Utc>) -> String {
    let end = s.expired_at.map_or(s.ends_at, |e| e.min(s.ends_at));
    let relative = if end > now {
        format!("in {}", format_duration(end - now))
    } else {
        format!("{} ago", format_duration(now - end))
    };
    format!("{} ({relative})", fmt_time(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn silence(ends_in_mins: i64, expired_after_mins: Option<i64>) -> Silence {
        let start = Utc.with_ymd_and_hms(2030, 6, 1, 12, 0, 0).unwrap();
        Silence {
            id: 3,
            matchers: SilenceMatchers {
                event_id: Some(12),
                market_id: Some("5000".into()),
                line: Some(Line::from_milli(2500)),
                max_severity: Some(Severity::Elevated),
                ..SilenceMatchers::default()
            },
            starts_at: start,
            ends_at: start + Duration::minutes(ends_in_mins),
            reason: "line moved by hand".into(),
            created_by: "alice".into(),
            created_at: start,
            expired_at: expired_after_mins.map(|m| start + Duration::minutes(m)),
            expired_by: expired_after_mins.map(|_| "bob".into()),
        }
    }

    #[test]
    fn a_silence_reads_as_its_matchers_its_end_and_its_state() {
        let now = Utc.with_ymd_and_hms(2030, 6, 1, 12, 30, 0).unwrap();
        let active = silence(120, None);
        assert_eq!(
            matchers_text(&active.matchers),
            "event 12, market 5000, line 2.5, severity <= elevated"
        );
        assert_eq!(state(&active, now), "active");
        assert_eq!(
            ends_text(&active, now),
            "2030-06-01 14:00:00 UTC (in 1h30m)"
        );
        let expired = silence(120, Some(10));
        assert_eq!(state(&expired, now), "expired");
        assert_eq!(
            ends_text(&expired, now),
            "2030-06-01 12:10:00 UTC (20m ago)"
        );
        assert_eq!(state(&silence(20, None), now), "ended");
    }

    #[test]
    fn the_end_flags_give_one_end() {
        assert_eq!(
            end_of(Some(Duration::hours(2)), None, false),
            Some(SilenceEnd::For(Duration::hours(2)))
        );
        assert_eq!(end_of(None, None, true), Some(SilenceEnd::UntilKickoff));
        assert_eq!(end_of(None, None, false), None);
    }
}
