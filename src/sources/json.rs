//! Lenient JSON leaves shared by the adapters: the books send ids as numbers or strings, and
//! odds as numbers or strings, depending on endpoint and mood.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::domain::{Line, Price};

/// A string, number or boolean read as text (ids, codes, flags).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(pub String);

/// A number kept as its decimal text, so prices and lines are parsed exactly (no float
/// round trip); accepts JSON numbers and numeric strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decimal(pub String);

impl Text {
    /// The text, trimmed.
    pub fn as_str(&self) -> &str {
        self.0.trim()
    }
}

impl Decimal {
    /// The value as a price, if it is one.
    pub fn price(&self) -> Option<Price> {
        self.0.parse().ok().filter(|p: &Price| p.milli() > 0)
    }

    /// The value as a line, if it is one.
    pub fn line(&self) -> Option<Line> {
        self.0.parse().ok()
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        // `Display` for f64 prints the shortest text that round-trips: 1.85 → "1.85".
        Ok(v.to_string())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(Text)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(Decimal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly_from_numbers_and_strings() {
        let from_number: Decimal = serde_json::from_str("1.85").unwrap();
        let from_string: Decimal = serde_json::from_str("\"1.85\"").unwrap();
        assert_eq!(from_number.price().unwrap().milli(), 1850);
        assert_eq!(from_string.price().unwrap().milli(), 1850);
        let line: Decimal = serde_json::from_str("-0.25").unwrap();
        assert_eq!(line.line().unwrap().milli(), -250);
        let zero: Decimal = serde_json::from_str("0").unwrap();
        assert_eq!(zero.price(), None);
    }

    #[test]
    fn text_accepts_ids_as_numbers_or_strings() {
        let n: Text = serde_json::from_str("61300947").unwrap();
        let s: Text = serde_json::from_str("\"61300947\"").unwrap();
        assert_eq!(n, s);
        assert!(serde_json::from_str::<Text>("[1]").is_err());
    }
}
