//! Durations as traders type them (`90s`, `30m`, `2h`, `1d`, `1h30m`): the one parser behind the
//! CLI's `silence add --for`, the API's `"for"` and any other face that asks "for how long".
//!
//! Choices (DESIGN.md is silent on these):
//! - Units `d`, `h`, `m`, `s` (lower case; spaces around and between the parts ignored), largest first, each at
//!   most once: `1h30m` but not `30m1h` or `1h1h`, which are more likely typos than intent.
//! - The total must be positive; `0m` is refused (a silence of no time is a mistake).
//! - No fractions (`1.5h`): `1h30m` says it exactly.
//! - At most [`MAX_DURATION_DAYS`]; the caller applies its own limit.

use chrono::Duration;

/// The forms [`parse_duration`] accepts, for error messages.
pub const DURATION_FORMS: &str =
    "a whole number and a unit (s, m, h, d), largest unit first, e.g. 90s, 30m, 2h, 1d or 1h30m";

/// Longest duration parsed, in days (ten years): anything longer is a typo. What a duration is
/// for may allow much less (a silence lasts at most 30 days).
pub const MAX_DURATION_DAYS: i64 = 3650;

/// Why a duration was refused; the message names the value and the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {value:?}: {why}; write {DURATION_FORMS}")]
pub struct DurationError {
    /// The text given.
    pub value: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Parses `90s`, `30m`, `2h`, `1d`, `1h30m`, `1d12h`: see the module doc for the rules.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let err = |why| DurationError {
        value: text.to_string(),
        why,
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(err("it is empty"));
    }
    // Seconds per unit, in the order the units must appear.
    const UNITS: [(char, i64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];
    let mut total: i64 = 0;
    let mut next_unit = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err("a number must come before each unit"));
        }
        // Nine digits of days is already far beyond any silence; more would overflow.
        if digits > 9 {
            return Err(err("the number is too large"));
        }
        let number: i64 = rest[..digits].parse().map_err(|_| err("bad number"))?;
        let Some(unit) = rest[digits..].chars().next() else {
            return Err(err("the number has no unit"));
        };
        let Some(position) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(err("the unit is not one of s, m, h, d"));
        };
        if position < next_unit {
            return Err(err("units must go from largest to smallest, each once"));
        }
        next_unit = position + 1;
        total = number
            .checked_mul(UNITS[position].1)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(|| err("the number is too large"))?;
        rest = rest[digits + unit.len_utf8()..].trim_start();
    }
    if total == 0 {
        return Err(err("it must be longer than zero"));
    }
    if total > MAX_DURATION_DAYS * 86_400 {
        return Err(err("the number is too large (at most 3650 days)"));
    }
    Ok(Duration::seconds(total))
}

/// A duration in the form [`parse_duration`] reads, largest units first and zero parts left
/// out: `1h30m`, `2d`, `45s`; `0s` for zero or less.
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.num_seconds();
    if secs <= 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_forms_parse() {
        for (text, secs) in [
            ("90s", 90),
            ("30m", 1800),
            ("2h", 7200),
            ("1d", 86_400),
            ("1h30m", 5400),
            ("1d12h", 129_600),
            (" 45m ", 2700),
            ("2h 30m", 9000),
            ("1d2h3m4s", 93_784),
        ] {
            assert_eq!(parse_duration(text), Ok(Duration::seconds(secs)), "{text}");
        }
    }

    #[test]
    fn bad_durations_name_the_value_and_the_accepted_forms() {
        for (text, why) in [
            ("", "empty"),
            ("2", "no unit"),
            ("h", "number must come"),
            ("2x", "not one of"),
            ("2H", "not one of"),
            ("1.5h", "not one of"),
            ("30m1h", "largest to smallest"),
            ("1h1h", "largest to smallest"),
            ("0m", "longer than zero"),
            ("-5m", "number must come"),
            ("9999999999d", "too large"),
            ("999999999d", "too large"),
            ("3651d", "too large"),
        ] {
            let e = parse_duration(text).unwrap_err();
            let message = e.to_string();
            assert!(message.contains(why), "{text}: {message}");
            assert!(
                message.contains(&format!("{text:?}")) && message.contains("1h30m"),
                "{message}"
            );
        }
    }

    #[test]
    fn formatting_reads_back_as_the_same_duration() {
        for secs in [1, 59, 60, 90, 3600, 5400, 86_400, 93_784, 30 * 86_400] {
            let d = Duration::seconds(secs);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{secs}");
        }
        assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
        assert_eq!(format_duration(Duration::zero()), "0s");
    }
}
