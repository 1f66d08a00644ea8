//! Text formats shared by the views: ages, countdowns, prices, changes.

use chrono::{DateTime, Utc};

use crate::domain::{
    Alert, AlertPayload, AlertType, AvailabilityChange, Direction, Line, OutcomeQuote, Percent,
    Price,
};

/// How a row says its alert type: a glyph plus a letter, so the type reads without colour
/// (`NO_COLOR`, a monochrome terminal): the letter carries the meaning, the glyph helps the eye.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeTag {
    /// The type it stands for.
    pub alert_type: AlertType,
    /// For `availability`, which way the market went (the two read differently to a trader).
    pub change: Option<AvailabilityChange>,
    /// One display column.
    pub glyph: char,
    /// One ASCII letter, unique across the table.
    pub letter: char,
    /// At most 8 characters, for the help legend and the widest table.
    pub label: &'static str,
}

impl TypeTag {
    /// The two-character tag, e.g. `⇅D`.
    pub fn tag(&self) -> String {
        format!("{}{}", self.glyph, self.letter)
    }
}

/// Every tag, in [`AlertType::ALL`] order: the one table the table column, the help legend and
/// the README legend are generated from, so they cannot drift apart.
pub const TYPE_TAGS: [TypeTag; 7] = [
    TypeTag {
        alert_type: AlertType::PriceChange,
        change: None,
        glyph: '±',
        letter: 'P',
        label: "price",
    },
    TypeTag {
        alert_type: AlertType::DirectionDisagreement,
        change: None,
        glyph: '⇅',
        letter: 'D',
        label: "disagree",
    },
    TypeTag {
        alert_type: AlertType::Availability,
        change: Some(AvailabilityChange::Suspended),
        glyph: '⊘',
        letter: 'S',
        label: "susp",
    },
    TypeTag {
        alert_type: AlertType::Availability,
        change: Some(AvailabilityChange::Returned),
        glyph: '↺',
        letter: 'R',
        label: "back",
    },
    TypeTag {
        alert_type: AlertType::MarketMove,
        change: None,
        glyph: '»',
        letter: 'M',
        label: "mkt-move",
    },
    TypeTag {
        alert_type: AlertType::OffMarket,
        change: None,
        glyph: '≠',
        letter: 'O',
        label: "off-mkt",
    },
    TypeTag {
        alert_type: AlertType::Margin,
        change: None,
        glyph: '%',
        letter: 'V',
        label: "margin",
    },
];

/// The tag of an alert's type (and, for availability, of its direction).
pub fn type_tag(alert: &Alert) -> &'static TypeTag {
    let change = alert.payload.availability().map(|f| f.change);
    TYPE_TAGS
        .iter()
        .find(|t| t.alert_type == alert.alert_type() && t.change == change)
        .expect("TYPE_TAGS covers every type and availability change")
}

/// The legend of the type tags in one line: `±P price ⇅D disagree …` (69 characters, so it
/// fits the help overlay's border at 80 columns).
pub fn type_legend() -> String {
    TYPE_TAGS
        .iter()
        .map(|t| format!("{} {}", t.tag(), t.label))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Short names of the known books, for the 80-column table where a competitor shares a cell
/// with its price (`sb 1.90↓`).
const SHORT_BOOKS: [(&str, &str); 3] = [("betpawa", "bp"), ("sportybet", "sb"), ("bet9ja", "b9")];

/// A book's short name: from [`SHORT_BOOKS`], else the slug's first two characters (an
/// unknown book stays recognisable, and the detail pane gives its full name).
pub fn short_book(slug: &str) -> String {
    SHORT_BOOKS.iter().find(|(s, _)| *s == slug).map_or_else(
        || slug.chars().take(2).collect(),
        |(_, short)| (*short).to_string(),
    )
}

/// How many decimals a column of prices needs: 3 when any of them has a third decimal, else 2,
/// so one column never mixes `5.34` with `5.398`.
pub fn decimals(prices: impl IntoIterator<Item = Price>) -> usize {
    if prices.into_iter().any(|p| p.milli() % 10 != 0) {
        3
    } else {
        2
    }
}

/// A price with exactly `decimals` decimals (see [`decimals`]).
pub fn price_in(p: Price, decimals: usize) -> String {
    format!("{:.*}", decimals, p.as_f64())
}

/// The prices in an alert's Old→New cell (see [`old_new`]).
pub fn old_new_prices(alert: &Alert) -> Vec<Price> {
    payload_old_new_prices(&alert.payload)
}

/// The prices a payload shows in an Old→New cell (a detection's own, in the detail pane).
pub fn payload_old_new_prices(payload: &AlertPayload) -> Vec<Price> {
    match payload {
        AlertPayload::PriceChange(m) => vec![m.old, m.new],
        AlertPayload::DirectionDisagreement(d) => vec![d.home.old, d.home.new],
        AlertPayload::MarketMove(m) => vec![m.home.new],
        AlertPayload::OffMarket(o) => vec![o.price],
        AlertPayload::Margin(_) | AlertPayload::Availability(_) => Vec::new(),
    }
}

/// Every price an alert's detail fields show (its moves, fair odds, books and quotes).
pub fn shown_prices(alert: &Alert) -> Vec<Price> {
    match &alert.payload {
        AlertPayload::PriceChange(m) => vec![m.old, m.new],
        AlertPayload::DirectionDisagreement(d) => {
            vec![d.home.old, d.home.new, d.competitor.old, d.competitor.new]
        }
        AlertPayload::MarketMove(m) => {
            let mut out = vec![m.home.old, m.home.new];
            out.extend(m.movers.iter().flat_map(|b| [b.old, b.new]));
            out
        }
        AlertPayload::OffMarket(o) => {
            let mut out = vec![o.price, o.fair_odds];
            out.extend(o.books.iter().flat_map(|b| [b.price, b.fair_odds]));
            out
        }
        AlertPayload::Margin(m) => m.prices.iter().map(|q| q.price).collect(),
        AlertPayload::Availability(_) => Vec::new(),
    }
}

/// The competitor's prices an alert shows (a disagreement's competitor), for its own column.
pub fn competitor_prices(alert: &Alert) -> Vec<Price> {
    alert
        .payload
        .disagreement()
        .map(|d| vec![d.competitor.old, d.competitor.new])
        .unwrap_or_default()
}

/// The 80-column competitor cell: the competitor's short name, its new price and its arrow
/// (`sb 1.90↓`); empty for other types.
pub fn competitor_compact(alert: &Alert, decimals: usize) -> String {
    alert.payload.disagreement().map_or_else(String::new, |d| {
        let c = &d.competitor;
        format!(
            "{} {}{}",
            short_book(&c.bookmaker),
            price_in(c.new, decimals),
            arrow(c.direction)
        )
    })
}

/// A relative time for prose: `just now` within the minute, else `5m ago`, `2h05 ago`.
pub fn ago(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    match age(now, at).as_str() {
        "now" => "just now".into(),
        short => format!("{short} ago"),
    }
}

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
        // An event-level availability alert stands for the whole event.
        crate::domain::EVENT_MARKET_NAME => "event",
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
    old_new_in(alert, decimals(old_new_prices(alert)))
}

/// [`old_new`] with every price at `decimals` decimals, for a column of rows (see [`decimals`]).
pub fn old_new_in(alert: &Alert, decimals: usize) -> String {
    let p = |price: Price| price_in(price, decimals);
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
        AlertPayload::PriceChange(m) => format!("{}→{}", p(m.old), p(m.new)),
        AlertPayload::DirectionDisagreement(d) => {
            format!("{}→{}", p(d.home.old), p(d.home.new))
        }
        AlertPayload::MarketMove(m) => format!("{} mkt", p(m.home.new)),
        AlertPayload::OffMarket(o) => format!("{} edge", p(o.price)),
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
    context_in(alert, decimals(context_prices(alert)))
}

/// The prices in an alert's [`context`].
pub fn context_prices(alert: &Alert) -> Vec<Price> {
    match &alert.payload {
        AlertPayload::DirectionDisagreement(d) => vec![d.competitor.old, d.competitor.new],
        AlertPayload::OffMarket(o) => vec![o.fair_odds],
        AlertPayload::Margin(m) => m.prices.iter().map(|q| q.price).collect(),
        _ => Vec::new(),
    }
}

/// [`context`] with every price at `decimals` decimals, for a column of rows.
pub fn context_in(alert: &Alert, decimals: usize) -> Option<String> {
    let p = |price: Price| price_in(price, decimals);
    match &alert.payload {
        AlertPayload::DirectionDisagreement(d) => {
            let c = &d.competitor;
            Some(format!(
                "{} {} → {} {}",
                c.bookmaker,
                p(c.old),
                p(c.new),
                arrow(c.direction)
            ))
        }
        AlertPayload::MarketMove(m) => {
            let books = m
                .movers
                .iter()
                .map(|b| b.bookmaker.as_str())
                .collect::<Vec<_>>();
            Some(format!("moved: {}", books.join(", ")))
        }
        AlertPayload::OffMarket(o) => Some(match o.pattern {
            Some(pattern) => format!("fair {} · palp {pattern}", p(o.fair_odds)),
            None => format!("fair {} · {} books", p(o.fair_odds), o.books.len()),
        }),
        AlertPayload::Margin(m) => Some(quotes_in(&m.prices, decimals)),
        AlertPayload::PriceChange(_) | AlertPayload::Availability(_) => None,
    }
}

/// A market's prices as `1 2.50  X 3.40  2 3.60`, at `decimals` decimals.
pub fn quotes_in(prices: &[OutcomeQuote], decimals: usize) -> String {
    prices
        .iter()
        .map(|q| format!("{} {}", q.outcome, price_in(q.price, decimals)))
        .collect::<Vec<_>>()
        .join("  ")
}

/// A market's prices as `1 2.50  X 3.40  2 3.60`.
pub fn quotes(prices: &[OutcomeQuote]) -> String {
    quotes_in(prices, decimals(prices.iter().map(|q| q.price)))
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
        // One number of decimals in the cell: 1.50 takes the third that 1.605 needs.
        assert_eq!(old_new(&alert), "1.605→1.500");
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
