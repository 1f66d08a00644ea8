//! `oddswatch status`: the scraper team (DESIGN §11) — daemons, their shards and lease expiries,
//! last cycle per daemon, book health — as a table, or as JSON with `--json`.
//!
//! Exit codes, for monitoring scripts: 0 when every shard has a live owner; 1 when a shard has
//! none or no daemon runs; 2 when the team cannot be read (bad configuration, database down).
//!
//! Host names, versions, ids and book errors come from other processes' rows: every such text is
//! escaped for the terminal ([`crate::tui::clip`]'s `escape_unsafe`, as `cli/terminal_safe.rs`
//! does) before it is printed, and the JSON goes through [`TerminalSafe`] on a terminal.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde_json::{Value, json};

use super::terminal_safe::TerminalSafe;
use crate::config::{Config, redact_url};
use crate::domain::{DaemonRow, TeamStatus};
use crate::health::{BookHealth, HealthLevel, book_health_from_runs};
use crate::store::{DbRole, Store};
use crate::tui::clip::escape_unsafe;

/// Runs whose per-book results make up the book health shown (the failure streak and the last
/// success look this far back).
const BOOK_RUNS: u32 = 30;

/// `oddswatch status`
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `oddswatch status`.
pub async fn run(config: &Config, args: StatusArgs) -> Result<ExitCode> {
    let url = config.database_url();
    let shown = redact_url(&url);
    let read = async {
        // One connection: a status read is two queries in a row.
        let store = Store::open_as(&url, 1, DbRole::General).await?;
        let team = store.team_status().await;
        let books = store.recent_book_runs(BOOK_RUNS).await;
        // The notification targets are part of the desk's health (DESIGN §12).
        let notify = store.notify_states().await;
        store.close().await;
        let notify = crate::service::target_statuses(&config.notify, notify?);
        Ok::<_, crate::store::StoreError>((team?, books?, notify))
    };
    let (team, runs, notify) = match read.await {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: cannot read the scraper team from {shown}: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let books = book_health_from_runs(&runs);
    let healthy = team.summary().is_healthy()
        && !notify
            .iter()
            .any(crate::service::NotifyTargetStatus::is_unhealthy);
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    if args.json {
        let mut document = json_document(&team, &books, &shown);
        if !notify.is_empty() {
            document["notify"] = serde_json::to_value(&notify)?;
        }
        let text = serde_json::to_string_pretty(&document)?;
        if terminal {
            writeln!(TerminalSafe::new(&mut out), "{text}")?;
        } else {
            writeln!(out, "{text}")?;
        }
    } else {
        let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        write!(out, "{}", table(&team, &books, &shown, colour))?;
        write!(out, "{}", notify_table(&notify, colour))?;
    }
    out.flush().wrap_err("writing the status")?;
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A daemon's state: `live`, `stopped` (it stopped cleanly) or `gone` (silent past its lease).
pub fn daemon_state(daemon: &DaemonRow) -> &'static str {
    if daemon.live {
        "live"
    } else if daemon.stopped_at.is_some() {
        "stopped"
    } else {
        "gone"
    }
}

/// The earliest expiry of the leases `daemon_id` holds: when it loses a shard unless it renews.
fn first_expiry(team: &TeamStatus, daemon_id: &str) -> Option<DateTime<Utc>> {
    team.leases
        .iter()
        .filter(|l| l.owner.as_deref() == Some(daemon_id))
        .filter_map(|l| l.expires_at)
        .filter(|at| *at > team.now)
        .min()
}

/// Text from another process, safe to print on a terminal.
fn safe(text: &str) -> String {
    escape_unsafe(text, &[])
}

/// The `--json` document. Stable: keys are only ever added. Times are RFC 3339 (UTC).
pub fn json_document(team: &TeamStatus, books: &[BookHealth], database: &str) -> Value {
    let summary = team.summary();
    let daemons: Vec<Value> = team
        .daemons
        .iter()
        .map(|d| {
            let held = team.shards_of(&d.id);
            json!({
                "id": d.id,
                "host": d.host,
                "pid": d.pid,
                "version": d.version,
                "state": daemon_state(d),
                "live": d.live,
                "configured_shards": d.shards,
                "started_at": d.started_at,
                "last_seen": d.last_seen,
                "stopped_at": d.stopped_at,
                "shards": held,
                "shard_ranges": TeamStatus::compact_ranges(&held),
                "leases_expire_at": first_expiry(team, &d.id),
                "last_cycle": d.last_cycle_at.map(|at| json!({
                    "at": at,
                    "ms": d.last_cycle_ms,
                    "events": d.last_cycle_events,
                    "alerts": d.last_cycle_alerts,
                })),
            })
        })
        .collect();
    let leases: Vec<Value> = team
        .leases
        .iter()
        .map(|l| {
            json!({
                "shard": l.shard,
                "owner": l.owner,
                "epoch": l.epoch,
                "expires_at": l.expires_at,
                "last_scraped_at": l.last_scraped_at,
                "owned": team.live_owner(l.shard).is_some(),
            })
        })
        .collect();
    let books: Vec<Value> = books
        .iter()
        .map(|b| {
            json!({
                "book": b.book,
                "level": b.level.as_str(),
                "last_success": b.last_success,
                "last_error": b.last_error,
                "consecutive_failures": b.consecutive_failures,
            })
        })
        .collect();
    json!({
        "database": database,
        "now": team.now,
        "healthy": summary.is_healthy(),
        "summary": {
            "text": summary.text(),
            "scrapers": summary.scrapers,
            "owned": summary.owned,
            "shards": summary.shards,
            "unowned": summary.unowned,
        },
        "daemons": daemons,
        "leases": leases,
        "books": books,
    })
}

/// `12s ago` / `in 25s` / `3m ago`, against the database's `now`.
fn relative(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    let span = |s: i64| match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        _ => format!("{}h", s / 3600),
    };
    if secs >= 0 {
        format!("in {}", span(secs))
    } else {
        format!("{} ago", span(-secs))
    }
}

/// The table `oddswatch status` prints. `colour`: ANSI red and green around the health words
/// (the words say it all without colour: `UNHEALTHY`, `UNOWNED`).
/// The notification targets under the team (nothing when none is configured): a paused or
/// failing one in red with its last error.
pub fn notify_table(targets: &[crate::service::NotifyTargetStatus], colour: bool) -> String {
    if targets.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nnotifications:\n");
    for t in targets {
        let state = if colour && t.is_unhealthy() {
            format!("\x1b[31m{:<9}\x1b[0m", t.state)
        } else {
            format!("{:<9}", t.state)
        };
        let s = &t.stored;
        out.push_str(&format!(
            "  {:<16} {state} {} waiting · {} delivered · {} given up",
            t.name, s.pending, s.delivered, s.expired
        ));
        if let (true, Some(e)) = (t.is_unhealthy(), &s.last_error) {
            out.push_str(&format!(
                " · {} failures in a row: {e}",
                s.consecutive_failures
            ));
            if s.paused_at.is_some() {
                out.push_str(&format!(" · `oddswatch notify resume {}`", t.name));
            }
        }
        out.push('\n');
    }
    out
}

pub fn table(team: &TeamStatus, books: &[BookHealth], database: &str, colour: bool) -> String {
    let red = |s: &str| {
        if colour {
            format!("\x1b[31m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let green = |s: &str| {
        if colour {
            format!("\x1b[32m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let summary = team.summary();
    let mut out = String::new();
    let verdict = if summary.is_healthy() {
        green("healthy")
    } else {
        red("UNHEALTHY")
    };
    out.push_str(&format!("team:     {} — {verdict}\n", summary.text()));
    out.push_str(&format!("database: {}\n", safe(database)));
    out.push_str(&format!(
        "at:       {} (the database's clock)\n\n",
        team.now.format("%Y-%m-%d %H:%M:%S UTC")
    ));
    if team.daemons.is_empty() {
        out.push_str("daemons:  none has run on this database (start `oddswatch scrape`)\n");
    } else {
        let header = [
            "STATE",
            "HOST",
            "PID",
            "VERSION",
            "STARTED",
            "LAST SEEN",
            "SHARDS",
            "LEASES END",
            "LAST CYCLE",
        ];
        let rows: Vec<[String; 9]> = team
            .daemons
            .iter()
            .map(|d| {
                let held = team.shards_of(&d.id);
                let cycle = match d.last_cycle_at {
                    Some(at) => format!(
                        "{} · {} ms · {} events · {} alerts",
                        at.format("%H:%M:%S"),
                        d.last_cycle_ms.map_or("?".into(), |v| v.to_string()),
                        d.last_cycle_events.map_or("?".into(), |v| v.to_string()),
                        d.last_cycle_alerts.map_or("?".into(), |v| v.to_string()),
                    ),
                    None => "none yet".into(),
                };
                [
                    daemon_state(d).to_string(),
                    safe(&d.host),
                    d.pid.to_string(),
                    safe(&d.version),
                    d.started_at.format("%m-%d %H:%M").to_string(),
                    relative(team.now, d.last_seen),
                    TeamStatus::compact_ranges(&held),
                    first_expiry(team, &d.id).map_or("-".into(), |at| relative(team.now, at)),
                    cycle,
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<String>, states: Option<&str>| {
            let mut text = String::from(" ");
            for (i, cell) in cells.iter().enumerate() {
                let padded = if i + 1 == cells.len() {
                    cell.clone()
                } else {
                    format!("{cell:<w$}  ", w = widths[i])
                };
                // Only the state column is coloured: a gone daemon in red, a live one green.
                text.push_str(&match (i, states) {
                    (0, Some("live")) => green(&padded),
                    (0, Some("gone")) => red(&padded),
                    _ => padded,
                });
            }
            text.trim_end().to_string() + "\n"
        };
        out.push_str(&line(header.iter().map(|h| h.to_string()).collect(), None));
        for row in rows {
            let state = row[0].clone();
            out.push_str(&line(row.to_vec(), Some(&state)));
        }
    }
    if !summary.unowned.is_empty() {
        out.push_str(&format!(
            "\n{} shards {}: no live daemon holds their lease, nobody scrapes their events\n",
            red("UNOWNED"),
            TeamStatus::compact_ranges(&summary.unowned),
        ));
    }
    out.push_str(&format!("\nbooks (last {BOOK_RUNS} runs):"));
    if books.is_empty() {
        out.push_str(" no finished run yet\n");
    } else {
        out.push('\n');
        let width = books
            .iter()
            .map(|b| b.book.chars().count())
            .max()
            .unwrap_or(0);
        for b in books {
            let level = format!("{:<8}", b.level.as_str());
            let level = match b.level {
                HealthLevel::Ok => green(&level),
                HealthLevel::Down => red(&level),
                _ => level,
            };
            let mut text = format!(" {:<width$}  {level}", safe(&b.book));
            if let Some(at) = b.last_success {
                text.push_str(&format!("  last success {}", relative(team.now, at)));
            }
            if b.consecutive_failures > 0 {
                text.push_str(&format!(
                    "  {} failing cycle{} in a row",
                    b.consecutive_failures,
                    if b.consecutive_failures == 1 { "" } else { "s" }
                ));
            }
            if let Some(error) = &b.last_error {
                text.push_str(&format!("  last error: {}", safe(error)));
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
