//! `oddswatch alerts show ID`: every field of one alert, its audit trail and its occurrences
//! (each detection folded into it, DESIGN §10), as text or as JSON.
//!
//! The JSON is the API's alert with two lists added: `audit` (the audit trail) and `detections`
//! (what `GET /api/alerts/{id}/occurrences` answers; `occurrences` is already the alert's count).

use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::alerts::{change_text, fmt_line, fmt_secs, fmt_time, move_text, signed_pct, user_error};
use crate::domain::{Alert, AlertJson, AlertPayload, FlatPayload, OccurrenceJson, Price};
use crate::service::AlertService;

/// Runs `alerts show`.
pub async fn run(service: &AlertService, id: i64, json: bool) -> Result<ExitCode> {
    let alert = match service.get(id).await {
        Ok(alert) => alert,
        Err(e) => return user_error(e),
    };
    let audit = service.audit(id).await?;
    let occurrences = match service.occurrences(id).await {
        Ok(occurrences) => occurrences,
        Err(e) => return user_error(e),
    };
    if json {
        let mut value = serde_json::to_value(AlertJson::from(&alert))?;
        value["audit"] = serde_json::to_value(&audit)?;
        let detections: Vec<OccurrenceJson> =
            occurrences.iter().map(OccurrenceJson::from).collect();
        value["detections"] = serde_json::to_value(detections)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
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
    println!("occurrences (oldest first):");
    if occurrences.is_empty() {
        println!("  (none)");
    }
    for o in &occurrences {
        let line = [
            fmt_time(o.detected_at),
            format!("{:<8}", o.severity.as_str()),
            move_text(&o.payload),
            change_text(&o.payload),
        ]
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join("  ");
        println!("  {}", line.trim_end());
    }
    Ok(ExitCode::SUCCESS)
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
        ("last detected", fmt_time(a.last_detected_at)),
        ("occurrences", a.occurrences.to_string()),
        (
            "escalated",
            if a.escalated { "yes" } else { "no" }.to_string(),
        ),
        (
            "silenced by",
            a.silenced_by
                .map_or_else(|| "-".into(), |id| format!("silence {id}")),
        ),
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
