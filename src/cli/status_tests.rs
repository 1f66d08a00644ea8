use chrono::{Duration, TimeZone};

use super::*;
use crate::domain::ShardLease;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 22, 0, 0).unwrap() + Duration::seconds(secs)
}

fn daemon(id: &str, host: &str, live: bool) -> DaemonRow {
    DaemonRow {
        id: id.into(),
        host: host.into(),
        pid: 4121,
        version: "0.1.0".into(),
        shards: 16,
        started_at: at(-3600),
        last_seen: at(-2),
        stopped_at: None,
        last_cycle_at: Some(at(-8)),
        last_cycle_ms: Some(1830),
        last_cycle_events: Some(120),
        last_cycle_alerts: Some(3),
        live,
    }
}

/// Shard `s` leased to `owners[s % len]` for 25 s more.
fn team(daemons: Vec<DaemonRow>, owners: &[&str]) -> TeamStatus {
    TeamStatus {
        now: at(0),
        shards: 16,
        daemons,
        leases: (0..16u16)
            .map(|s| ShardLease {
                shard: s,
                owner: Some(owners[usize::from(s) % owners.len()].to_string()),
                epoch: 1,
                expires_at: Some(at(25)),
                last_scraped_at: Some(at(-8)),
            })
            .collect(),
    }
}

fn books() -> Vec<BookHealth> {
    let mut ok = BookHealth::unknown("betpawa");
    ok.level = HealthLevel::Ok;
    ok.last_success = Some(at(-8));
    let mut down = BookHealth::unknown("sportybet");
    down.level = HealthLevel::Down;
    down.consecutive_failures = 3;
    down.last_error = Some("HTTP 503".into());
    vec![ok, down]
}

#[test]
fn a_healthy_team_prints_daemons_with_compact_shard_ranges() {
    let t = team(vec![daemon("a", "alpha", true)], &["a"]);
    let text = table(&t, &books(), "sqlite:///tmp/ow.db", false);
    assert!(
        text.starts_with("team:     1 scraper · 16/16 shards — healthy\n"),
        "{text}"
    );
    let row = text.lines().find(|l| l.contains("alpha")).unwrap();
    assert!(row.contains(" live "), "{row}");
    assert!(row.contains("0-15"), "{row}");
    assert!(row.contains("2s ago"), "{row}");
    assert!(row.contains("in 25s"), "{row}");
    assert!(
        row.contains("21:59:52 · 1830 ms · 120 events · 3 alerts"),
        "{row}"
    );
    assert!(!text.contains("UNOWNED"));
    assert!(text.contains(" sportybet  down      3 failing cycles in a row  last error: HTTP 503"));
    assert!(!text.contains('\x1b'), "no colour asked for: {text:?}");
}

#[test]
fn unowned_shards_are_named_in_words_and_in_red_only_with_colour() {
    let t = team(
        vec![
            daemon("a", "alpha", true),
            daemon("b", "beta", true),
            daemon("c", "gamma", false),
        ],
        &["a", "b", "c"],
    );
    let plain = table(&t, &[], "db", false);
    assert!(
        plain.contains("2 scrapers · 11/16 shards · 5 unowned — UNHEALTHY"),
        "{plain}"
    );
    assert!(
        plain.contains("UNOWNED shards 2,5,8,11,14: no live daemon"),
        "{plain}"
    );
    assert!(
        plain
            .lines()
            .any(|l| l.starts_with(" gone") && l.contains("gamma"))
    );
    assert!(plain.contains("no finished run yet"));
    let coloured = table(&t, &[], "db", true);
    assert!(coloured.contains("\x1b[31mUNHEALTHY\x1b[0m"));
    assert!(coloured.contains("\x1b[31mUNOWNED\x1b[0m"));
}

#[test]
fn text_from_other_processes_cannot_drive_the_terminal() {
    let hostile = "evil\x1b]52;c;cm0gLXJm\x07host";
    let t = team(vec![daemon("a", hostile, true)], &["a"]);
    let mut b = books();
    b[1].last_error = Some("boom\x1b[2J".into());
    let text = table(&t, &b, "db", false);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(text.contains("evil\\u001b]52;c;cm0gLXJm\\u0007host"));
    assert!(text.contains("boom\\u001b[2J"));
}

#[test]
fn no_daemon_says_so_and_is_unhealthy() {
    let t = TeamStatus {
        now: at(0),
        shards: 0,
        daemons: vec![],
        leases: vec![],
    };
    let text = table(&t, &[], "db", false);
    assert!(
        text.starts_with("team:     no scraper running — UNHEALTHY"),
        "{text}"
    );
    assert!(text.contains("none has run on this database"));
    let doc = json_document(&t, &[], "db");
    assert_eq!(doc["healthy"], false);
    assert_eq!(doc["daemons"], serde_json::json!([]));
}

#[test]
fn the_json_document_has_its_stable_keys() {
    let t = team(
        vec![daemon("a", "alpha", true), daemon("c", "gamma", false)],
        &["a", "c"],
    );
    let doc = json_document(&t, &books(), "postgres://u:***@h/db");
    assert_eq!(doc["healthy"], false);
    assert_eq!(
        doc["summary"]["text"],
        "1 scraper · 8/16 shards · 8 unowned"
    );
    assert_eq!(doc["summary"]["unowned"][0], 1);
    let alpha = &doc["daemons"][0];
    assert_eq!(alpha["state"], "live");
    assert_eq!(alpha["shard_ranges"], "0,2,4,6,8,10,12,14");
    assert_eq!(alpha["last_cycle"]["ms"], 1830);
    assert_eq!(alpha["leases_expire_at"], "2026-12-06T22:00:25Z");
    assert_eq!(doc["daemons"][1]["state"], "gone");
    assert_eq!(doc["leases"][1]["owned"], false);
    assert_eq!(doc["leases"][0]["owner"], "a");
    assert_eq!(doc["books"][1]["level"], "down");
    assert_eq!(doc["books"][1]["consecutive_failures"], 3);
    let mut keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "books", "daemons", "database", "healthy", "leases", "now", "summary"
        ]
    );
}
