//! Exact odds arithmetic.
//!
//! Bookmakers quote decimal odds with at most three decimals. Comparing them as floats invites
//! `2.13 - 2.00 != 0.13` bugs, so prices and lines are kept as integer thousandths.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a price or line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseOddsError {
    /// Not a number at all.
    #[error("{0:?} is not a decimal number")]
    NotANumber(String),
    /// A number with more than three decimals or out of range.
    #[error("{0:?} is out of range or has more than 3 decimals")]
    OutOfRange(String),
}

/// Decimal odds in thousandths (`1.850` is `Price(1850)`). Zero means "no price".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(u32);

impl Price {
    /// Builds a price from thousandths.
    pub const fn from_milli(milli: u32) -> Self {
        Price(milli)
    }

    /// The price in thousandths.
    pub const fn milli(self) -> u32 {
        self.0
    }

    /// Rounds a float from a feed to the nearest thousandth. Negative, NaN and absurd values
    /// (above 100,000) are rejected.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() || !(0.0..=100_000.0).contains(&value) {
            return None;
        }
        Some(Price((value * 1000.0).round() as u32))
    }

    /// The price as a float, for display and storage.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 1000.0
    }

    /// Signed change from `self` to `new`, exact to the hundredth of a percent and rounded half
    /// away from zero; `None` when `self` is zero (no previous price).
    pub fn change_to(self, new: Price) -> Option<Percent> {
        if self.0 == 0 {
            return None;
        }
        // Integer arithmetic in hundredths of a percent, rounded half away from zero.
        let diff = i64::from(new.0) - i64::from(self.0);
        let scaled = diff * 10_000;
        let old = i64::from(self.0);
        let hundredths = if scaled >= 0 {
            (scaled + old / 2) / old
        } else {
            (scaled - old / 2) / old
        };
        Some(Percent(hundredths))
    }

    /// How far `other` sits from `self`, relative to `self`: `|other − self| / self`, exact to
    /// the hundredth of a percent and rounded half up; `None` when `self` is zero. The gap of a
    /// direction disagreement (2.14 against 1.90 is 11.21 %).
    pub fn gap_to(self, other: Price) -> Option<Percent> {
        let base = i64::from(self.0);
        if base == 0 {
            return None;
        }
        let diff = (i64::from(other.0) - base).abs();
        Some(Percent((diff * 10_000 + base / 2) / base))
    }

    /// [`Price::change_to`] as the two-decimal float shown and stored.
    pub fn change_pct_to(self, new: Price) -> Option<f64> {
        self.change_to(new).map(Percent::as_f64)
    }
}

/// A percentage in integer hundredths (`-10.57 %` is `Percent(-1057)`): changes, gaps and, later,
/// edges and margins. Exact like [`Price`], and shown and stored as the two-decimal float
/// `hundredths / 100`, the value alerts always carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(i64);

impl Percent {
    /// Builds a percentage from hundredths of a percent.
    pub const fn from_hundredths(hundredths: i64) -> Self {
        Percent(hundredths)
    }

    /// The percentage in hundredths of a percent.
    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// Rounds a float percentage (as stored) to the nearest hundredth; `None` for NaN or
    /// absurd values.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() || value.abs() > 1e15 {
            return None;
        }
        Some(Percent((value * 100.0).round() as i64))
    }

    /// The percentage as the two-decimal float stored and sent (`hundredths / 100`).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// The size of the percentage, without its sign.
    pub const fn abs(self) -> Percent {
        Percent(self.0.abs())
    }
}

/// Two decimals, exact, with a `-` for negatives and no `+` (`-3.60`, `10.14`); callers add a
/// sign or `%` as their layout needs (`{:+}` is not supported: use [`Percent::hundredths`]).
impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Percent::from_f64(v)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid percentage {v}")))
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 1000;
        let frac = self.0 % 1000;
        if frac.is_multiple_of(10) {
            write!(f, "{whole}.{:02}", frac / 10)
        } else {
            write!(f, "{whole}.{frac:03}")
        }
    }
}

impl FromStr for Price {
    type Err = ParseOddsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let milli = parse_thousandths(s)?;
        u32::try_from(milli)
            .ok()
            .filter(|m| *m <= 100_000_000)
            .map(Price)
            .ok_or_else(|| ParseOddsError::OutOfRange(s.to_string()))
    }
}

impl Serialize for Price {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Price::from_f64(v).ok_or_else(|| serde::de::Error::custom(format!("invalid price {v}")))
    }
}

/// A market line (over/under total or home handicap) in thousandths: `-0.5` is `Line(-500)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Line(i32);

impl Line {
    /// Builds a line from thousandths.
    pub const fn from_milli(milli: i32) -> Self {
        Line(milli)
    }

    /// The line in thousandths.
    pub const fn milli(self) -> i32 {
        self.0
    }

    /// Rounds a float line to the nearest thousandth; `None` for NaN or absurd values.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() || value.abs() > 1_000_000.0 {
            return None;
        }
        Some(Line((value * 1000.0).round() as i32))
    }

    /// The line as a float.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl FromStr for Line {
    type Err = ParseOddsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let milli = parse_thousandths(s)?;
        i32::try_from(milli)
            .map(Line)
            .map_err(|_| ParseOddsError::OutOfRange(s.to_string()))
    }
}

impl Serialize for Line {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Line::from_f64(v).ok_or_else(|| serde::de::Error::custom(format!("invalid line {v}")))
    }
}

/// Parses `"-12.345"` into `-12345` without going through a float.
fn parse_thousandths(raw: &str) -> Result<i64, ParseOddsError> {
    let s = raw.trim();
    let not_a_number = || ParseOddsError::NotANumber(raw.to_string());
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(not_a_number());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 3 || whole.len() > 12 {
        return Err(ParseOddsError::OutOfRange(raw.to_string()));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| not_a_number())?
    };
    let frac_milli: i64 = format!("{frac:0<3}").parse().map_err(|_| not_a_number())?;
    let value = whole * 1000 + frac_milli;
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percent_displays_with_two_exact_decimals() {
        assert_eq!(Percent::from_hundredths(-360).to_string(), "-3.60");
        assert_eq!(Percent::from_hundredths(1014).to_string(), "10.14");
        assert_eq!(Percent::from_hundredths(-5).to_string(), "-0.05");
        assert_eq!(Percent::from_hundredths(0).to_string(), "0.00");
        assert_eq!(Percent::from_hundredths(85775).to_string(), "857.75");
    }

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn prices_parse_exactly_from_strings() {
        assert_eq!(p("1.85").milli(), 1850);
        assert_eq!(p("1.605").milli(), 1605);
        assert_eq!(p("2").milli(), 2000);
        assert_eq!(p(" 10.50 ").milli(), 10500);
        assert_eq!(p("1.2500").milli(), 1250);
    }

    #[test]
    fn prices_reject_garbage_and_extra_precision() {
        assert!(matches!(
            "abc".parse::<Price>(),
            Err(ParseOddsError::NotANumber(_))
        ));
        assert!(matches!(
            "".parse::<Price>(),
            Err(ParseOddsError::NotANumber(_))
        ));
        assert!(matches!(
            "1.2345".parse::<Price>(),
            Err(ParseOddsError::OutOfRange(_))
        ));
        assert!("-1.5".parse::<Price>().is_err());
    }

    #[test]
    fn price_from_float_rounds_to_thousandths() {
        assert_eq!(Price::from_f64(1.605).unwrap().milli(), 1605);
        assert_eq!(Price::from_f64(2.13).unwrap().milli(), 2130);
        assert_eq!(Price::from_f64(f64::NAN), None);
        assert_eq!(Price::from_f64(-1.0), None);
    }

    #[test]
    fn change_percent_is_exact_and_rounded_to_two_decimals() {
        assert_eq!(p("3.00").change_pct_to(p("2.70")), Some(-10.0));
        assert_eq!(p("4.00").change_pct_to(p("4.60")), Some(15.0));
        assert_eq!(p("1.50").change_pct_to(p("1.605")), Some(7.0));
        assert_eq!(p("2.00").change_pct_to(p("2.13")), Some(6.5));
        assert_eq!(p("2.00").change_pct_to(p("2.14")), Some(7.0));
        assert_eq!(p("3.00").change_pct_to(p("3.10")), Some(3.33));
        assert_eq!(p("3.00").change_pct_to(p("2.90")), Some(-3.33));
        assert_eq!(Price::from_milli(0).change_pct_to(p("2.0")), None);
    }

    #[test]
    fn change_is_exact_in_hundredths() {
        assert_eq!(
            p("3.00").change_to(p("2.90")),
            Some(Percent::from_hundredths(-333))
        );
        assert_eq!(
            p("1.333").change_to(p("1.192")),
            Some(Percent::from_hundredths(-1058))
        );
        assert_eq!(Price::from_milli(0).change_to(p("2.0")), None);
        assert_eq!(
            p("2.14").gap_to(p("1.90")),
            Some(Percent::from_hundredths(1121))
        );
        assert_eq!(Price::from_milli(0).gap_to(p("2.0")), None);
    }

    #[test]
    fn percentages_round_trip_through_the_stored_float() {
        for hundredths in [
            -1_000_000, -1057, -333, -1, 0, 5, 645, 1121, 85_775, 12_345_678,
        ] {
            let pct = Percent::from_hundredths(hundredths);
            assert_eq!(Percent::from_f64(pct.as_f64()), Some(pct));
            let json = serde_json::to_string(&pct).unwrap();
            assert_eq!(serde_json::from_str::<Percent>(&json).unwrap(), pct);
        }
        assert_eq!(Percent::from_hundredths(-1057).as_f64(), -10.57);
        assert_eq!(Percent::from_f64(f64::NAN), None);
        assert_eq!(Percent::from_hundredths(-333).abs().hundredths(), 333);
    }

    #[test]
    fn prices_display_with_at_least_two_decimals() {
        assert_eq!(p("2").to_string(), "2.00");
        assert_eq!(p("1.605").to_string(), "1.605");
        assert_eq!(p("1.9").to_string(), "1.90");
    }

    #[test]
    fn lines_parse_and_display_canonically() {
        let l: Line = "-0.5".parse().unwrap();
        assert_eq!(l.milli(), -500);
        assert_eq!(l.to_string(), "-0.5");
        assert_eq!("2.50".parse::<Line>().unwrap().to_string(), "2.5");
        assert_eq!("-1".parse::<Line>().unwrap().to_string(), "-1");
        assert_eq!("0.25".parse::<Line>().unwrap().to_string(), "0.25");
        assert_eq!("0".parse::<Line>().unwrap().to_string(), "0");
        assert_eq!(Line::from_f64(-0.75).unwrap().milli(), -750);
    }
}
