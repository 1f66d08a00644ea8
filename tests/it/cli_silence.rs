//! Noise control from the command line (issue 15): the real binary, on both backends, makes,
//! lists, edits and expires silences (text and `--json`), lists silenced alerts on demand,
//! refuses bad durations and ends before touching the database, and shows an alert's
//! occurrences.

use crate::api_silences::{Seeded, seed};
use crate::common;
use crate::sandbox::Sandbox;

use predicates::prelude::*;
use serde_json::{Value, json};

/// The binary in a sandbox, on `url`.
struct Cli<'a> {
    sandbox: Sandbox,
    url: &'a str,
}

impl Cli<'_> {
    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = self.sandbox.cmd();
        cmd.arg("--database-url")
            .arg(self.url)
            .args(args)
            .env("TZ", "UTC")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs a command that must succeed; its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self
            .cmd(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

async fn seeded(db: &common::TestDb) -> (Seeded, Cli<'_>) {
    let seeded = seed(&db.store).await;
    let cli = Cli {
        sandbox: Sandbox::new(),
        url: &db.url,
    };
    (seeded, cli)
}

#[tokio::test]
async fn silences_are_added_listed_edited_and_expired_from_the_command_line() {
    for db in common::all_dbs().await {
        let (seeded, cli) = seeded(&db).await;
        let event = seeded.event_a.to_string();
        let made = cli.json(&[
            "silence",
            "add",
            "--event",
            &event,
            "--for",
            "2h",
            "--reason",
            "line rebuilt",
            "--json",
        ]);
        let id = made["id"].as_i64().unwrap();
        assert_eq!(
            made["matchers"],
            json!({"eventId": seeded.event_a}),
            "{}",
            db.name
        );
        assert_eq!(made["createdBy"], "tester", "the acting user");
        assert_eq!(made["reason"], "line rebuilt");
        assert_eq!(made["active"], true);

        // The event's two alerts are hidden by default and listed on demand.
        let hidden = cli.json(&["alerts", "list", "--json"]);
        assert_eq!(
            (hidden["total"].clone(), hidden["silencedCount"].clone()),
            (json!(1), json!(2))
        );
        let only = cli.json(&["alerts", "list", "--json", "--silenced", "only"]);
        let ids: Vec<i64> = only["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["silencedBy"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![id, id]);
        let table = cli.ok(&["alerts", "list", "--silenced", "include"]);
        assert_eq!(table.matches(", silenced ").count(), 2, "{table}");
        assert!(table.contains("new ↑, silenced"), "escalated: {table}");
        assert!(table.contains("silenced 2)"), "{table}");
        let table = cli.ok(&["alerts", "list"]);
        assert!(
            table.contains("1–1 of 1") && table.contains("hidden: --silenced include"),
            "{table}"
        );
        let stats = cli.ok(&["alerts", "stats"]);
        assert!(
            stats.contains("total: 1") && stats.contains("silenced: 2"),
            "{stats}"
        );

        let listed = cli.ok(&["silence", "list"]);
        for part in [
            &format!("event {event}"),
            "active",
            "line rebuilt",
            "tester",
        ] {
            assert!(listed.contains(part), "{part} in {listed}");
        }
        assert!(
            listed.contains("(in 1h59m") || listed.contains("(in 2h)"),
            "{listed}"
        );
        assert_eq!(
            cli.json(&["silence", "list", "--json"]),
            json!([made.clone()])
        );

        let edited = cli.json(&[
            "silence",
            "edit",
            &id.to_string(),
            "--reason",
            "still rebuilding",
            "--json",
        ]);
        assert_eq!(edited["reason"], "still rebuilding");
        assert_eq!(edited["endsAt"], made["endsAt"], "the end unchanged");

        let text = cli.ok(&["silence", "expire", &id.to_string()]);
        assert!(
            text.starts_with(&format!("silence {id} expired (expired by tester)")),
            "{text}"
        );
        assert_eq!(cli.ok(&["silence", "list"]), "no active silences\n");
        let all = cli.json(&["silence", "list", "--all", "--json"]);
        assert_eq!(all.as_array().unwrap().len(), 1);
        assert_eq!(all[0]["expiredBy"], "tester");
        assert_eq!(all[0]["active"], false);

        // Another, by market and type until the event's kickoff.
        let text = cli.ok(&[
            "silence",
            "add",
            "--event",
            &event,
            "--market",
            "5000",
            "--line",
            "2.5",
            "--type",
            "price_change",
            "--max-severity",
            "elevated",
            "--until-kickoff",
        ]);
        assert!(
            text.contains("added (active by tester)")
                && text.contains(&format!(
                    "event {event}, market 5000, line 2.5, type price_change, severity <= elevated"
                )),
            "{text}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn bad_silences_are_usage_errors_naming_what_is_accepted() {
    let db = common::sqlite_db().await;
    let (seeded, cli) = seeded(&db).await;
    let event = seeded.event_a.to_string();
    for (args, says) in [
        (
            vec!["--event", &event, "--for", "2x"],
            "invalid duration \"2x\"",
        ),
        (vec!["--event", &event, "--for", "30m1h"], "1h30m"),
        (vec!["--for", "2h"], "--event"),
        (vec!["--event", &event], "--for"),
        (
            vec![
                "--event",
                &event,
                "--for",
                "2h",
                "--until",
                "2030-01-01T00:00:00Z",
            ],
            "cannot be used with",
        ),
        (vec!["--market", "5000", "--until-kickoff"], "--event"),
        (vec!["--event", &event, "--until", "tomorrow"], "RFC 3339"),
        (
            vec!["--event", &event, "--type", "arbitrage", "--for", "1h"],
            "price_change",
        ),
    ] {
        let mut all = vec!["silence", "add"];
        all.extend(args.iter().copied());
        cli.cmd(&all)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    // Refused by the service: exit 2 with its reason.
    cli.cmd(&["silence", "add", "--event", &event, "--for", "31d"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at most 30 days"));
    cli.cmd(&["silence", "expire", "999"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("silence 999 not found"));
    cli.cmd(&["silence", "edit", "999", "--reason", "x"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("silence 999 not found"));
    cli.cmd(&["silence", "edit", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to change"));
    cli.cmd(&["alerts", "list", "--silenced", "sometimes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hide, include, only"));
    assert_eq!(cli.ok(&["silence", "list", "--all"]), "no silences\n");
    db.finish().await;
}

#[tokio::test]
async fn alerts_show_lists_the_occurrences_of_a_repeated_alert() {
    for db in common::all_dbs().await {
        let (seeded, cli) = seeded(&db).await;
        let id = seeded.repeated.to_string();
        let text = cli.ok(&["alerts", "show", &id]);
        for line in [
            "occurrences   2\n",
            "escalated     yes\n",
            "silenced by   -\n",
            &format!(
                "last detected {}\n",
                seeded.last.format("%Y-%m-%d %H:%M:%S UTC")
            ),
        ] {
            assert!(text.contains(line), "{}: {line:?} in\n{text}", db.name);
        }
        let (_, list) = text.split_once("occurrences (oldest first):\n").unwrap();
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(
            lines,
            vec![
                format!(
                    "  {}  warning   2.00 → 2.20  +10.00%",
                    seeded.first.format("%Y-%m-%d %H:%M:%S UTC")
                ),
                format!(
                    "  {}  critical  2.20 → 2.60  +18.18%",
                    seeded.last.format("%Y-%m-%d %H:%M:%S UTC")
                ),
            ]
        );
        let json = cli.json(&["alerts", "show", &id, "--json"]);
        assert_eq!(json["occurrences"], 2);
        let detections = json["detections"].as_array().unwrap();
        assert_eq!(detections.len(), 2);
        assert_eq!(detections[1]["newValue"], 2.6);
        assert_eq!(detections[1]["severity"], "critical");
        assert_eq!(detections[0]["alertId"], seeded.repeated);
        assert!(json["audit"].is_array());
        db.finish().await;
    }
}
