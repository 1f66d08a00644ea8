//! What `y` and `Y` copy (issue 16): the selected alert as one line of text, or as the API's
//! JSON. Pure; the terminal puts it on the clipboard with OSC 52.
//!
//! Choices (DESIGN.md is silent on these):
//! - The line gives the kickoff as an absolute UTC time, not a countdown: a pasted line is read
//!   later, when "in 2h05" would be wrong.
//! - Prices keep their exact digits (two decimals, three when the book quotes three), as the
//!   detail pane shows them; percentages are signed with two decimals.
//! - Names come from bookmaker feeds, so they may hold anything. OSC 52 itself is safe (the
//!   text travels base64-encoded), but the text is pasted into chats and terminals afterwards:
//!   in the line, a line break or tab becomes a space and any other control character (or a
//!   bidirectional override, which reorders what the reader sees) is shown as a visible
//!   `\u{…}` escape, so the line stays one line and cannot drive a terminal. The JSON escapes
//!   the same characters as `\uXXXX`, which parses back to the same text.

use crate::domain::{Alert, AlertJson, AlertPayload, Percent, Status};
use crate::tui::view::format;

/// The alert as one line of text, as a trader pastes it into a chat, e.g.
/// `WARNING price_change · Arsenal v Chelsea (Premier League) · KO 2030-06-02 12:00 UTC ·
/// 1X2 | Full Time: 1 · betpawa 2.00→2.30 (+15.00%) · new · alert #7`.
pub fn line(alert: &Alert) -> String {
    let mut parts = vec![
        format!(
            "{} {}",
            alert.severity.as_str().to_uppercase(),
            alert.alert_type()
        ),
        match &alert.tournament {
            Some(tournament) => format!("{} ({tournament})", alert.event_name),
            None => alert.event_name.clone(),
        },
        format!("KO {}", alert.event_kickoff.format("%Y-%m-%d %H:%M UTC")),
        market(alert),
        format!("{} {}", alert.bookmaker, figure(&alert.payload)),
    ];
    parts.extend(context(&alert.payload));
    parts.push(status(alert));
    parts.push(format!("alert #{}", alert.id));
    one_line(&parts.join(" · "))
}

/// The alert as the API's JSON (one object, one line): the same fields and values as
/// `GET /api/alerts/{id}`, with the characters [`line`] would escape written as `\uXXXX`.
pub fn json(alert: &Alert) -> String {
    let text = serde_json::to_string(&AlertJson::from(alert))
        // Serialising a struct of strings, numbers and enums into a String cannot fail; keep
        // the copy working (an empty object) rather than panic in the UI if it ever does.
        .unwrap_or_else(|_| "{}".into());
    // Outside strings the JSON is ASCII, so every character replaced here is inside a string,
    // where `\uXXXX` is the same character to a parser.
    escape_unsafe(&text, &[])
}

/// `text` with every [`unsafe_char`] but those in `keep` written as a JSON-style `\u00XX`
/// escape: inside a JSON string the same character to a parser, and on a terminal visible text.
pub(crate) fn escape_unsafe(text: &str, keep: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unsafe_char(c) && !keep.contains(&c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// `1X2 | Full Time: 1`, `Over/Under | Full Time 2.5: Over`, `All markets`.
fn market(alert: &Alert) -> String {
    let mut text = alert.market_name.clone();
    if let Some(line) = alert.line {
        text.push_str(&format!(" {line}"));
    }
    if let Some(outcome) = &alert.outcome_name {
        text.push_str(&format!(": {outcome}"));
    }
    text
}

/// What the alerted book did: its move and change, its availability, its off-market price and
/// edge, or its margin.
fn figure(payload: &AlertPayload) -> String {
    match payload {
        AlertPayload::PriceChange(m) => format!("{}→{} ({})", m.old, m.new, signed(m.change_pct)),
        AlertPayload::DirectionDisagreement(d) => {
            format!(
                "{}→{} ({})",
                d.home.old,
                d.home.new,
                signed(d.home.change_pct)
            )
        }
        AlertPayload::MarketMove(m) => format!(
            "{}→{} ({}), did not follow",
            m.home.old,
            m.home.new,
            signed(m.home.change_pct)
        ),
        AlertPayload::OffMarket(o) => format!(
            "{}, edge {} vs fair {}",
            o.price,
            signed(o.edge_pct),
            o.fair_odds
        ),
        AlertPayload::Margin(m) => format!("margin {}", signed(m.margin_pct)),
        AlertPayload::Availability(flip) => {
            let mut offered = flip.change.to_string();
            if let Some(n) = flip.markets_affected {
                let plural = if n == 1 { "" } else { "s" };
                offered.push_str(&format!(": {n} market{plural} of the event"));
            }
            if let Some(secs) = flip.unavailable_secs {
                offered.push_str(&format!(" after {}", gone_for(secs)));
            }
            offered
        }
    }
}

/// What the alert is measured against: the competitor of a disagreement, the movers of a
/// market move, the consensus books of an off-market price, the prices of a margin.
fn context(payload: &AlertPayload) -> Option<String> {
    match payload {
        AlertPayload::DirectionDisagreement(d) => {
            let c = &d.competitor;
            Some(format!(
                "vs {} {}→{} {}, gap {}%",
                c.bookmaker,
                c.old,
                c.new,
                format::arrow(c.direction),
                d.gap_pct
            ))
        }
        AlertPayload::MarketMove(m) => {
            let movers: Vec<String> = m
                .movers
                .iter()
                .map(|b| format!("{} {}→{}", b.bookmaker, b.old, b.new))
                .collect();
            Some(format!(
                "market {} median {}: {}",
                format::arrow(m.direction),
                signed(m.median_change_pct),
                movers.join(", ")
            ))
        }
        AlertPayload::OffMarket(o) => {
            let books: Vec<String> = o
                .books
                .iter()
                .map(|b| format!("{} {} (fair {})", b.bookmaker, b.price, b.fair_odds))
                .collect();
            let pattern = o
                .pattern
                .map_or_else(String::new, |p| format!("looks {p}; "));
            Some(format!("{pattern}books {}", books.join(", ")))
        }
        AlertPayload::Margin(m) => {
            let prices: Vec<String> = m
                .prices
                .iter()
                .map(|q| format!("{} {}", q.outcome, q.price))
                .collect();
            Some(format!("prices {}", prices.join(", ")))
        }
        AlertPayload::PriceChange(_) | AlertPayload::Availability(_) => None,
    }
}

/// `new`, `acknowledged by alice`, `past`, with `escalated`, `seen 3×` and the silence.
fn status(alert: &Alert) -> String {
    let mut text = alert.status.to_string();
    // A re-opened alert keeps who acknowledged it before; only say so while it holds.
    match (alert.status, &alert.acknowledged_by) {
        (Status::Acknowledged, Some(by)) => text.push_str(&format!(" by {by}")),
        (Status::Past, Some(by)) => text.push_str(&format!(", acknowledged by {by}")),
        _ => {}
    }
    if alert.escalated {
        text.push_str(", escalated");
    }
    if alert.occurrences > 1 {
        text.push_str(&format!(", seen {}×", alert.occurrences));
    }
    if let Some(silence) = alert.silenced_by {
        text.push_str(&format!(", silenced by silence #{silence}"));
    }
    text
}

/// `+15.00%`, `-2.81%`, `+0.00%`: exact, from the hundredths.
fn signed(p: Percent) -> String {
    let sign = if p.hundredths() < 0 { "" } else { "+" };
    format!("{sign}{p}%")
}

/// How long a market was gone: `45s`, `12m`, `2h05m`.
fn gone_for(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A character that must not reach a chat or a terminal as itself: a control character (C0,
/// DEL, C1), a line or paragraph separator, or a bidirectional embedding, override or isolate.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` as one safe line: breaks and tabs become spaces, other unsafe characters a visible
/// `\u{1b}`-style escape.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if c.is_whitespace() {
            out.push(' ');
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::testing::AlertBuilder;
    use crate::domain::{Pattern, Severity};

    #[test]
    fn a_price_change_reads_as_one_line_with_everything_a_trader_needs() {
        let alert = AlertBuilder::new().stored(7);
        assert_eq!(
            line(&alert),
            "WARNING price_change · Arsenal v Chelsea (Premier League) · KO 2030-06-02 12:00 UTC \
             · 1X2 | Full Time: 1 · betpawa 2.00→2.30 (+15.00%) · new · alert #7"
        );
    }

    #[test]
    fn each_type_shows_its_own_figure_and_context() {
        let disagreement = AlertBuilder::new()
            .prices(2.0, 2.14)
            .disagreement("sportybet", 2.0, 1.9)
            .severity(Severity::Elevated)
            .stored(1);
        assert!(
            line(&disagreement)
                .contains("ELEVATED direction_disagreement · Arsenal v Chelsea (Premier League)"),
            "{}",
            line(&disagreement)
        );
        assert!(
            line(&disagreement)
                .contains("betpawa 2.00→2.14 (+7.00%) · vs sportybet 2.00→1.90 ↓, gap 11.21%"),
            "{}",
            line(&disagreement)
        );
        let moved = AlertBuilder::new()
            .prices(2.0, 2.0)
            .market_move(-9.0, &[("bet9ja", 2.0, 1.84), ("sportybet", 2.0, 1.8)])
            .stored(2);
        assert!(
            line(&moved).contains(
                "betpawa 2.00→2.00 (+0.00%), did not follow · market ↓ median -9.00%: \
                 bet9ja 2.00→1.84, sportybet 2.00→1.80"
            ),
            "{}",
            line(&moved)
        );
        let off = AlertBuilder::new()
            .prices(2.0, 4.0)
            .off_market(91.55, 2.09, Some(Pattern::Swapped))
            .books(&[("sportybet", 2.0, 2.09)])
            .severity(Severity::Critical)
            .stored(3);
        assert!(
            line(&off).contains(
                "betpawa 4.00, edge +91.55% vs fair 2.09 · looks swapped; books sportybet 2.00 \
                 (fair 2.09)"
            ),
            "{}",
            line(&off)
        );
        let margin = AlertBuilder::new()
            .margin(-2.81, &[("1", 2.5), ("X", 3.4), ("2", 3.6)])
            .stored(4);
        assert!(
            line(&margin).contains(
                "1X2 | Full Time · betpawa margin -2.81% · prices 1 2.50, X 3.40, 2 3.60"
            ),
            "{}",
            line(&margin)
        );
        let back = AlertBuilder::new()
            .market("5000", "Over/Under | Full Time")
            .line(2.5)
            .returned(Some(300))
            .stored(5);
        assert!(
            line(&back).contains("Over/Under | Full Time 2.5 · betpawa returned after 5m · new"),
            "{}",
            line(&back)
        );
        let event = AlertBuilder::new().suspended().event_level(37).stored(6);
        assert!(
            line(&event).contains("betpawa suspended: 37 markets of the event · new"),
            "{}",
            line(&event)
        );
    }

    #[test]
    fn the_status_says_who_acknowledged_and_how_noisy_the_alert_was() {
        let at = Utc.with_ymd_and_hms(2030, 6, 1, 12, 5, 0).unwrap();
        let mut alert = AlertBuilder::new()
            .acknowledged("alice", at)
            .status(Status::Acknowledged)
            .stored(9);
        alert.escalated = true;
        alert.occurrences = 3;
        alert.silenced_by = Some(4);
        assert!(
            line(&alert).ends_with(
                "· acknowledged by alice, escalated, seen 3×, silenced by silence #4 · alert #9"
            ),
            "{}",
            line(&alert)
        );
        let past = AlertBuilder::new().status(Status::Past).stored(10);
        assert!(line(&past).ends_with("· past · alert #10"));
        let settled = AlertBuilder::new()
            .acknowledged("bob", at)
            .status(Status::Past)
            .stored(11);
        assert!(line(&settled).ends_with("· past, acknowledged by bob · alert #11"));
        let reopened = AlertBuilder::new().acknowledged("bob", at).stored(12);
        assert!(line(&reopened).ends_with("· new · alert #12"));
    }

    #[test]
    fn hostile_names_cannot_break_the_line_or_reach_the_terminal() {
        let alert = AlertBuilder::new()
            .teams(
                "Arse\nnal\r",
                "Chel\x1b]52;c;cHduZWQ=\x07sea",
                Some("Pre\u{202e}mier\t"),
            )
            .outcome(Some("1\u{9b}31m"))
            .stored(11);
        let text = line(&alert);
        assert!(!text.chars().any(unsafe_char), "{text:?}");
        assert!(!text.contains('\n') && !text.contains('\x1b') && !text.contains('\x07'));
        assert!(
            text.contains(r"Arse nal  v Chel\u{1b}]52;c;cHduZWQ=\u{7}sea (Pre\u{202e}mier )"),
            "{text}"
        );
        assert!(text.contains(r"1X2 | Full Time: 1\u{9b}31m"), "{text}");
    }

    #[test]
    fn the_json_is_the_apis_object_on_one_line_even_with_hostile_names() {
        let alert = AlertBuilder::new()
            .teams(
                "Arse\nnal",
                "Chel\x1b[2Jsea\u{9b}\u{7f}",
                Some("Pre\u{2028}mier"),
            )
            .prices(2.0, 4.0)
            .off_market(91.55, 2.09, Some(Pattern::Swapped))
            .books(&[("sportybet", 2.0, 2.09)])
            .stored(12);
        let text = json(&alert);
        assert!(!text.chars().any(unsafe_char), "{text:?}");
        assert!(text.contains(r"Chel\u001b[2Jsea\u009b\u007f"), "{text}");
        let back: AlertJson = serde_json::from_str(&text).unwrap();
        assert_eq!(back, AlertJson::from(&alert));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            serde_json::to_value(AlertJson::from(&alert)).unwrap(),
        );
        let plain = AlertBuilder::new().stored(13);
        assert_eq!(
            json(&plain),
            serde_json::to_string(&AlertJson::from(&plain)).unwrap(),
            "without such characters it is the API's text byte for byte"
        );
    }
}
