//! Text formats shared by the views: ages, countdowns, prices, changes.

use chrono::{DateTime, Utc};

use crate::domain::{Alert, AlertPayload, AvailabilityChange, Line, Percent};

/// How long ago `at` was, in at most four characters: `now`, `5m`, `2h05`, `13h`, `3d`.
pub fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let minutes = (now - at).num_minutes().max(0);
    match minutes {
        0 => "now".into(),
        1..=59 => format!("{minutes}m"),
        60..=599 => format!("{}h{:02}", minutes / 60, minutes % 60),
        600..=1439 => format!("{}h", minutes / 60),
        _ => format!("{}d", minutes / 1440),
    }
}

/// Time to kickoff, to the minute: `12m`, `1h05`, `2d03h`, or `live` once started.
pub fn countdown(now: DateTime<Utc>, kickoff: DateTime<Utc>) -> String {
    let seconds = (kickoff - now).num_seconds();
    if seconds <= 0 {
        return "live".into();
    }
    let minutes = (seconds + 59) / 60;
    match minutes {
        0..=59 => format!("{minutes}m"),
        60..=1439 => format!("{}h{:02}", minutes / 60, minutes % 60),
        _ => format!("{}d{:02}h", minutes / 1440, (minutes % 1440) / 60),
    }
}

/// Seconds to a moment, for the next-cycle countdown: `8s`, `2m05s`, `due`.
pub fn seconds_until(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let s = (at - now).num_seconds();
    match s {
        ..=0 => "due".into(),
        1..=59 => format!("{s}s"),
        _ => format!("{}m{:02}s", s / 60, s % 60),
    }
}

/// The market's short name: `"1X2 | Full Time"` → `"1X2"`.
pub fn market(alert: &Alert) -> &str {
    alert.market_name.split('|').next().unwrap_or("").trim()
}

/// The market's abbreviated name for narrow tables: `"Over/Under"` → `"O/U"`.
pub fn market_short(alert: &Alert) -> &str {
    match market(alert) {
        "Over/Under" => "O/U",
        "Asian Handicap" => "AH",
        "Double Chance" => "DC",
        "Both Teams To Score" => "BTTS",
        "3-Way Handicap" => "3W HC",
        "Draw No Bet" => "DNB",
        "Odd/Even" => "O/E",
        other => other,
    }
}

/// A line as text, or empty.
pub fn line(line: Option<Line>) -> String {
    line.map_or_else(String::new, |l| l.to_string())
}

/// A price with two decimals (three when needed), or `-`.
pub fn price(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if ((v * 1000.0).round() as i64) % 10 != 0 => format!("{v:.3}"),
        Some(v) => format!("{v:.2}"),
    }
}

/// `2.00→2.30`, or the availability change for availability alerts (`12 suspended` when an
/// event-level alert stands for 12 markets).
pub fn old_new(alert: &Alert) -> String {
    match &alert.payload {
        AlertPayload::Availability(flip) => {
            let change = match flip.change {
                AvailabilityChange::Suspended => "suspended",
                AvailabilityChange::Returned => "returned",
            };
            match flip.markets_affected {
                Some(n) => format!("{n} {change}"),
                None => change.into(),
            }
        }
        // Prices display with two decimals, three when needed (as [`price`]).
        AlertPayload::PriceChange(m) => format!("{}→{}", m.old, m.new),
        AlertPayload::DirectionDisagreement(d) => format!("{}→{}", d.home.old, d.home.new),
        AlertPayload::MarketMove(m) => format!("{}→{}", m.home.old, m.home.new),
        AlertPayload::OffMarket(o) => format!("{} fair {}", o.price, o.fair_odds),
        AlertPayload::Margin(m) => format!("margin {}%", m.margin_pct),
    }
}

/// The detail pane's availability line: `suspended`, `returned after 12m`, and for an
/// event-level alert how many of the event's markets it stands for
/// (`returned: 37 markets of the event after 15m`). `None` for other alerts.
pub fn offered(alert: &Alert) -> Option<String> {
    let flip = alert.payload.availability()?;
    let gone = flip
        .unavailable_secs
        .map_or_else(String::new, |s| format!(" after {}m", s / 60));
    let markets = flip.markets_affected.map_or_else(String::new, |n| {
        let plural = if n == 1 { "" } else { "s" };
        format!(": {n} market{plural} of the event")
    });
    Some(format!("{}{markets}{gone}", flip.change))
}

/// The signed change, e.g. `+15.00%`, or empty.
pub fn change(value: Option<Percent>) -> String {
    value.map_or_else(String::new, |v| format!("{:+.2}%", v.as_f64()))
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cuts text to `width` characters with an ellipsis.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = text.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn event_level_availability_says_how_many_markets() {
        use crate::domain::testing::AlertBuilder;
        let suspended = AlertBuilder::new().suspended();
        let alert = suspended.clone().stored(1);
        assert_eq!(old_new(&alert), "suspended");
        assert_eq!(offered(&alert).as_deref(), Some("suspended"));
        let alert = suspended.event_level(37).stored(1);
        assert_eq!(old_new(&alert), "37 suspended");
        assert_eq!(
            offered(&alert).as_deref(),
            Some("suspended: 37 markets of the event")
        );
        let alert = AlertBuilder::new()
            .returned(Some(900))
            .event_level(1)
            .stored(1);
        assert_eq!(old_new(&alert), "1 returned");
        assert_eq!(
            offered(&alert).as_deref(),
            Some("returned: 1 market of the event after 15m")
        );
    }

    #[test]
    fn a_price_move_shows_three_decimals_only_when_needed() {
        use crate::domain::testing::AlertBuilder;
        let alert = AlertBuilder::new().prices(1.605, 1.5).stored(1);
        assert_eq!(old_new(&alert), "1.605→1.50");
        assert_eq!(change(alert.change_pct()), "-6.54%");
        assert_eq!(price(Some(1.605)), "1.605");
        assert_eq!(price(Some(1.5)), "1.50");
    }

    #[test]
    fn ages_and_countdowns_are_shown_to_the_minute() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        assert_eq!(age(now, now - Duration::seconds(30)), "now");
        assert_eq!(age(now, now - Duration::minutes(5)), "5m");
        assert_eq!(age(now, now - Duration::minutes(125)), "2h05");
        assert_eq!(countdown(now, now + Duration::minutes(90)), "1h30");
        assert_eq!(countdown(now, now - Duration::minutes(1)), "live");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(price(Some(1.605)), "1.605");
        assert_eq!(price(Some(2.0)), "2.00");
        assert_eq!(change(Some(Percent::from_hundredths(-1000))), "-10.00%");
    }
}
