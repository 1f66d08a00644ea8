//! Fuzzing without nightly: proptest feeds arbitrary bytes, arbitrary JSON built from each
//! feed's own vocabulary, and truncated or byte-flipped real bodies to the three book parsers,
//! The Odds API parser and the config loader. Each must return `Ok` or a typed error: never
//! panic, and never produce more than the input could describe (no amplification, so no
//! unbounded allocation; inputs are bounded at 64 KiB).
//!
//! The normal `cargo test` runs proptest's default 256 cases per target. Longer runs:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release --test fuzz
//! ```
//!
//! A failing case is shrunk and saved under `proptest-regressions/`; commit it so the case is
//! replayed on every run.

use crate::support;

use std::io::Write;

use oddswatch::config::{Config, ConfigSources};
use oddswatch::domain::EventOdds;
use oddswatch::sources::theoddsapi::parse_odds;
use oddswatch::sources::{Bet9ja, BetPawa, SportyBet};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use support::fast_policy;

/// Largest generated input.
const MAX_INPUT: usize = 64 * 1024;
const BASE: &str = "http://127.0.0.1:9";

/// Arbitrary bytes, up to [`MAX_INPUT`].
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..MAX_INPUT)
}

/// Scalars the parsers care about: numbers of every shape and strings that look like ids,
/// prices, lines, specifiers and flat odds keys.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop_oneof![
            Just("1.85"),
            Just("-0.5"),
            Just("2.5"),
            Just("0"),
            Just("1e309"),
            Just("-1e-309"),
            Just("99999999999999999999.5"),
            Just("total=2.5"),
            Just("hcp=0:1"),
            Just("hcp=-0.5|variant=sr:x"),
            Just("S_1X2_1"),
            Just("S_OU@2.5_O"),
            Just("S_AH@-0.25_1"),
            Just("S__"),
            Just("sr:match:61300947"),
            Just("61300947"),
            Just("SPORTRADAR"),
            Just("3743"),
            Just("5000"),
            Just("3774"),
            Just("Over"),
            Just("Draw"),
            Just("2026-12-01T17:30:00Z"),
            Just("2026-12-01 17:30:00"),
            Just(""),
        ]
        .prop_map(|s| json!(s)),
        "\\PC{0,24}".prop_map(Value::String),
    ]
}

/// JSON objects and arrays built from `keys`, a few levels deep: the shapes a reshaped or
/// corrupted feed could take, reaching far deeper into the parsers than random bytes do.
fn json_with(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 96, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(keys), inner), 0..8).prop_map(
                |pairs| {
                    Value::Object(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect::<Map<_, _>>(),
                    )
                }
            ),
        ]
    })
}

const BETPAWA_KEYS: &[&str] = &[
    "id",
    "name",
    "startTime",
    "participants",
    "position",
    "competition",
    "region",
    "widgets",
    "type",
    "markets",
    "marketType",
    "row",
    "formattedHandicap",
    "handicap",
    "prices",
    "price",
    "suspended",
    "responses",
];
const SPORTYBET_KEYS: &[&str] = &[
    "bizCode",
    "message",
    "data",
    "eventId",
    "estimateStartTime",
    "homeTeamName",
    "awayTeamName",
    "sport",
    "category",
    "tournament",
    "name",
    "markets",
    "id",
    "specifier",
    "status",
    "outcomes",
    "desc",
    "odds",
    "isActive",
];
const BET9JA_KEYS: &[&str] = &[
    "R",
    "D",
    "ID",
    "EXTID",
    "DS",
    "STARTDATE",
    "GN",
    "SG",
    "O",
    "S_1X2_1",
    "S_1X2_X",
    "S_OU@2.5_O",
    "S_OU@2.5_U",
    "S_AH@-0.5_1",
    "S_DC_1X",
    "S_GGNG_Y",
];
const ODDS_API_KEYS: &[&str] = &[
    "id",
    "sport_key",
    "sport_title",
    "commence_time",
    "home_team",
    "away_team",
    "bookmakers",
    "key",
    "title",
    "last_update",
    "markets",
    "outcomes",
    "name",
    "price",
    "point",
];

/// A real body, then cut short or with bytes overwritten.
fn damaged(body: Value) -> impl Strategy<Value = Vec<u8>> {
    let bytes = serde_json::to_vec(&body).unwrap();
    let len = bytes.len();
    (
        0..=len,
        proptest::collection::vec((0..len.max(1), any::<u8>()), 0..8),
    )
        .prop_map(move |(cut, flips)| {
            let mut out = bytes.clone();
            for (at, byte) in flips {
                if at < out.len() {
                    out[at] = byte;
                }
            }
            out.truncate(cut.max(1));
            out
        })
}

fn betpawa_body() -> Value {
    json!({
        "id": "7001", "name": "Debreceni - Ferencvaros", "startTime": "2026-12-01T17:30:00Z",
        "participants": [{"name": "Debreceni", "position": 1}, {"name": "Ferencvaros", "position": 2}],
        "widgets": [{"id": "61300947", "type": "SPORTRADAR"}],
        "markets": [
            {"marketType": {"id": "3743"}, "row": [{"formattedHandicap": "", "prices": [
                {"name": "1", "price": 1.85, "suspended": false},
                {"name": "X", "price": 3.4, "suspended": false},
                {"name": "2", "price": 4.2, "suspended": true}]}]},
            {"marketType": {"id": "5000"}, "row": [{"formattedHandicap": "2.5", "prices": [
                {"name": "Over", "price": 1.9}, {"name": "Under", "price": 1.95}]}]}
        ]
    })
}

fn sportybet_body() -> Value {
    json!({"bizCode": 10000, "message": "0#0", "data": {
    "eventId": "sr:match:61300947", "estimateStartTime": 1_764_610_200_000_u64,
    "homeTeamName": "Debreceni", "awayTeamName": "Ferencvaros",
    "sport": {"category": {"name": "Hungary", "tournament": {"name": "NB I"}}},
    "markets": [
        {"id": "1", "status": 0, "outcomes": [
            {"desc": "Home", "odds": "1.85", "isActive": 1},
            {"desc": "Draw", "odds": "3.40", "isActive": 1},
            {"desc": "Away", "odds": "4.20", "isActive": 0}]},
        {"id": "18", "specifier": "total=2.5", "outcomes": [
            {"desc": "Over 2.5", "odds": "1.90", "isActive": 1}]},
        {"id": "14", "specifier": "hcp=0:1", "outcomes": [
            {"desc": "Home (0:1)", "odds": "3.10", "isActive": 1}]}
    ]}})
}

fn bet9ja_body() -> Value {
    json!({"R": "OK", "D": {
        "ID": 900, "EXTID": "61300947", "DS": "Debreceni - Ferencvaros",
        "STARTDATE": "2026-12-01 17:30:00", "GN": "NB I", "SG": "Hungary",
        "O": {"S_1X2_1": "1.85", "S_1X2_X": "3.40", "S_1X2_2": "4.20",
              "S_OU@2.5_O": "1.90", "S_OU@2.5_U": "1.95", "S_AH@-0.5_1": "1.95"}}})
}

fn odds_api_body() -> Value {
    json!([{
        "id": "e1", "sport_title": "EPL", "commence_time": "2026-12-01T15:00:00Z",
        "home_team": "Arsenal", "away_team": "Chelsea",
        "bookmakers": [{"key": "pinnacle", "markets": [
            {"key": "h2h", "outcomes": [{"name": "Arsenal", "price": 1.95},
                {"name": "Chelsea", "price": 4.1}, {"name": "Draw", "price": 3.6}]},
            {"key": "totals", "outcomes": [{"name": "Over", "price": 1.9, "point": 2.5}]},
            {"key": "spreads", "outcomes": [{"name": "Arsenal", "price": 2.02, "point": -0.75}]}
        ]}]
    }])
}

/// An event parsed from `input` bytes cannot describe more markets or outcomes than the input
/// has bytes: the parser amplifies nothing.
fn check_bounded(event: &EventOdds, input: usize) {
    let outcomes: usize = event.markets.iter().map(|m| m.outcomes.len()).sum();
    assert!(
        event.markets.len() <= input,
        "{} markets",
        event.markets.len()
    );
    assert!(outcomes <= input, "{outcomes} outcomes from {input} bytes");
    assert!(event.event_key.len() <= input);
}

fn betpawa(body: &[u8]) {
    let parser = BetPawa::new(BASE, fast_policy(0)).unwrap();
    if let Ok(event) = parser.parse_event(body) {
        check_bounded(&event, body.len());
    }
}

fn sportybet(body: &[u8]) {
    let parser = SportyBet::new(BASE, fast_policy(0)).unwrap();
    if let Ok(event) = parser.parse_event(body.to_vec()) {
        check_bounded(&event, body.len());
    }
}

fn bet9ja(body: &[u8]) {
    let parser = Bet9ja::new(BASE, fast_policy(0)).unwrap();
    if let Ok(event) = parser.parse_event(body.to_vec()) {
        check_bounded(&event, body.len());
    }
}

fn odds_api(body: &[u8]) {
    match parse_odds("fuzz", body) {
        Ok((books, unmapped)) => {
            assert!(books.len() <= body.len());
            assert!(unmapped as usize <= body.len());
            for event in books.values().flatten() {
                check_bounded(event, body.len());
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Loads a config file with these contents over the defaults: `Ok`, or an error that says
/// something. Never a panic.
fn config(contents: &[u8]) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(contents).unwrap();
    let sources = ConfigSources {
        file: Some(file.path().to_path_buf()),
        ..ConfigSources::defaults_only()
    };
    if let Err(e) = Config::load(&sources) {
        assert!(!e.to_string().is_empty());
    }
}

/// TOML documents made of the config's real sections and keys with arbitrary values, so most
/// cases reach the merge and the range checks instead of stopping at the TOML parser.
fn config_toml() -> impl Strategy<Value = String> {
    let defaults: toml::Table = include_str!("../../config.toml").parse().unwrap();
    let mut keys: Vec<(String, String)> = Vec::new();
    for (section, value) in &defaults {
        match value {
            toml::Value::Table(table) => {
                for key in table.keys() {
                    keys.push((section.clone(), key.clone()));
                }
            }
            _ => keys.push((String::new(), section.clone())),
        }
    }
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        any::<bool>().prop_map(|b| b.to_string()),
        "\\PC{0,16}".prop_map(|s| format!("{s:?}")),
        Just("[]".to_string()),
        Just("[\"3743\", \"\"]".to_string()),
        Just("{}".to_string()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("101".to_string()),
        Just("1e400".to_string()),
    ];
    proptest::collection::vec((proptest::sample::select(keys), value), 0..12).prop_map(|pairs| {
        let mut out = String::new();
        for ((section, key), value) in pairs {
            if section.is_empty() {
                out.push_str(&format!("{key} = {value}\n"));
            } else {
                out.push_str(&format!("[{section}]\n{key} = {value}\n"));
            }
        }
        out
    })
}

proptest! {
    #[test]
    fn fuzz_betpawa_bytes(body in bytes()) { betpawa(&body); }

    #[test]
    fn fuzz_betpawa_json(value in json_with(BETPAWA_KEYS)) {
        betpawa(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn fuzz_betpawa_damaged(body in damaged(betpawa_body())) { betpawa(&body); }

    #[test]
    fn fuzz_sportybet_bytes(body in bytes()) { sportybet(&body); }

    #[test]
    fn fuzz_sportybet_json(value in json_with(SPORTYBET_KEYS)) {
        sportybet(&serde_json::to_vec(&json!({"bizCode": 10000, "data": value})).unwrap());
        sportybet(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn fuzz_sportybet_damaged(body in damaged(sportybet_body())) { sportybet(&body); }

    #[test]
    fn fuzz_bet9ja_bytes(body in bytes()) { bet9ja(&body); }

    #[test]
    fn fuzz_bet9ja_json(value in json_with(BET9JA_KEYS)) {
        bet9ja(&serde_json::to_vec(&json!({"R": "OK", "D": value})).unwrap());
        bet9ja(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn fuzz_bet9ja_damaged(body in damaged(bet9ja_body())) { bet9ja(&body); }

    #[test]
    fn fuzz_odds_api_bytes(body in bytes()) { odds_api(&body); }

    #[test]
    fn fuzz_odds_api_json(value in json_with(ODDS_API_KEYS)) {
        odds_api(&serde_json::to_vec(&json!([value])).unwrap());
        odds_api(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn fuzz_odds_api_damaged(body in damaged(odds_api_body())) { odds_api(&body); }

    #[test]
    fn fuzz_config_bytes(contents in proptest::collection::vec(any::<u8>(), 0..4096)) {
        config(&contents);
    }

    #[test]
    fn fuzz_config_toml(contents in config_toml()) { config(contents.as_bytes()); }
}

/// The seeds themselves parse: the damaged-body targets start from real bodies.
#[test]
fn fuzz_seeds_are_valid_bodies() {
    let body = serde_json::to_vec(&betpawa_body()).unwrap();
    let event = BetPawa::new(BASE, fast_policy(0))
        .unwrap()
        .parse_event(&body)
        .unwrap();
    assert_eq!(event.markets.len(), 2);
    let body = serde_json::to_vec(&sportybet_body()).unwrap();
    let event = SportyBet::new(BASE, fast_policy(0))
        .unwrap()
        .parse_event(body)
        .unwrap();
    assert!(!event.markets.is_empty());
    let body = serde_json::to_vec(&bet9ja_body()).unwrap();
    let event = Bet9ja::new(BASE, fast_policy(0))
        .unwrap()
        .parse_event(body)
        .unwrap();
    assert!(!event.markets.is_empty());
    let body = serde_json::to_vec(&odds_api_body()).unwrap();
    let (books, _) = parse_odds("seed", &body).unwrap();
    assert_eq!(books["pinnacle"][0].markets.len(), 3);
}
