//! Text formats shared by the views: ages, countdowns, prices, changes.

use chrono::{DateTime, Utc};

use crate::domain::{
    Alert, AlertPayload, AvailabilityChange, Direction, Line, OutcomeQuote, Percent,
};

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

/// The table's Old→New column: the alerted book's `2.00→2.30`, or the availability change
/// (`12 suspended` when an event-level alert stands for 12 markets). For the market-aware types
/// it is the label of the figure beside it ([`figure`]): `2.30 edge` (our price and the bettor's
/// edge against it), `2.00 mkt` (our price now and the market's median move), `margin`.
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
        AlertPayload::MarketMove(m) => format!("{} mkt", m.home.new),
        AlertPayload::OffMarket(o) => format!("{} edge", o.price),
        AlertPayload::Margin(_) => "margin".into(),
    }
}

/// The table's Δ% column, at most 7 characters: the alerted book's change for a price move, the
/// movers' median with its arrow for a `market_move` (`↓9.00%`: the market's move, not ours),
/// the edge for an `off_market`, the margin for a `margin`; empty for availability.
pub fn figure(alert: &Alert) -> String {
    match &alert.payload {
        AlertPayload::PriceChange(m) => compact_pct(m.change_pct),
        AlertPayload::DirectionDisagreement(d) => compact_pct(d.home.change_pct),
        AlertPayload::MarketMove(m) => {
            let digits = compact_pct(m.median_change_pct.abs());
            format!("{}{}", arrow(m.direction), digits.trim_start_matches('+'))
        }
        AlertPayload::OffMarket(o) => compact_pct(o.edge_pct),
        AlertPayload::Margin(m) => compact_pct(m.margin_pct),
        AlertPayload::Availability(_) => String::new(),
    }
}

/// What the alert is measured against, for the wide table's Competitor column and the grouped
/// rows: the competitor of a disagreement, the movers of a `market_move`, the consensus fair
/// odds and any palpable-error pattern of an `off_market`, the prices of a `margin`.
pub fn context(alert: &Alert) -> Option<String> {
    match &alert.payload {
        AlertPayload::DirectionDisagreement(_) => alert.competitor_detail(),
        AlertPayload::MarketMove(m) => {
            let books = m
                .movers
                .iter()
                .map(|b| b.bookmaker.as_str())
                .collect::<Vec<_>>();
            Some(format!("moved: {}", books.join(", ")))
        }
        AlertPayload::OffMarket(o) => Some(match o.pattern {
            Some(pattern) => format!("fair {} · palp {pattern}", o.fair_odds),
            None => format!("fair {} · {} books", o.fair_odds, o.books.len()),
        }),
        AlertPayload::Margin(m) => Some(quotes(&m.prices)),
        AlertPayload::PriceChange(_) | AlertPayload::Availability(_) => None,
    }
}

/// A market's prices as `1 2.50  X 3.40  2 3.60`.
pub fn quotes(prices: &[OutcomeQuote]) -> String {
    prices
        .iter()
        .map(|q| format!("{} {}", q.outcome, q.price))
        .collect::<Vec<_>>()
        .join("  ")
}

/// The arrow of a direction.
pub const fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "↑",
        Direction::Down => "↓",
    }
}

/// A signed percentage in at most 7 characters, from its exact hundredths: two decimals below
/// 100 % (`+10.14%`), one below 1000 % (`+857.8%`), none above (`+1234%`), rounded half away
/// from zero, so a palpable error's edge still fits the table's column with its `%`.
pub fn compact_pct(value: Percent) -> String {
    let h = value.hundredths();
    let sign = if h < 0 { '-' } else { '+' };
    let a = h.unsigned_abs();
    if a < 10_000 {
        return format!("{sign}{}.{:02}%", a / 100, a % 100);
    }
    let tenths = (a + 5) / 10;
    if tenths < 10_000 {
        return format!("{sign}{}.{}%", tenths / 10, tenths % 10);
    }
    format!("{sign}{}%", (a + 50) / 100)
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

/// How many detections an alert folds, in at most three characters: empty for one, `×7`,
/// `×42`, `99+` (the detail pane gives the exact number).
pub fn repeats(occurrences: u32) -> String {
    match occurrences {
        0 | 1 => String::new(),
        2..=99 => format!("×{occurrences}"),
        _ => "99+".into(),
    }
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
    fn a_percentage_fits_seven_characters_with_its_sign_and_percent() {
        let cases = [
            (1014, "+10.14%"),
            (0, "+0.00%"),
            (-281, "-2.81%"),
            (-9999, "-99.99%"),
            (10_000, "+100.0%"),
            (85_775, "+857.8%"),
            (-85_774, "-857.7%"),
            (99_995, "+1000%"),
            (123_456, "+1235%"),
        ];
        for (hundredths, text) in cases {
            assert_eq!(compact_pct(Percent::from_hundredths(hundredths)), text);
            assert!(text.chars().count() <= 7);
        }
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
