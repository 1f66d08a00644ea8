//! Noise control through the HTTP API (issue 15, DESIGN §10), on a real server on a loopback
//! port, both backends: an alert's occurrences, the `silenced` parameter of the list, the
//! stats and the stream, and `/api/silences` from creation to expiry, with its refusals. Every
//! answer is checked against the OpenAPI document.

use crate::common;

use chrono::{DateTime, Duration, Utc};
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::domain::{DetectedAlert, NoisePolicy, Severity};
use oddswatch::store::{BatchEvent, CycleBatch, EventRecord, Store};
use serde_json::{Value, json};

use crate::api_server::{TestServer as Server, start_plain as start};

mod stream;

/// Event keys of the fixture: the first in the Premier League, the second in Serie A.
pub const EVENT_A: &str = "8001";
/// See [`EVENT_A`].
pub const EVENT_B: &str = "8002";

/// The stored alerts of [`seed`], by database id.
pub struct Seeded {
    /// Event A's 1X2 alert: detected twice, the second time more severe (occurrences 2,
    /// escalated).
    pub repeated: i64,
    /// Event A's over/under alert, detected once.
    pub over: i64,
    /// Event B's alert, detected once.
    pub other: i64,
    /// Event A's database id.
    pub event_a: i64,
    /// When the repeated alert was first and last detected.
    pub first: DateTime<Utc>,
    /// See `first`.
    pub last: DateTime<Utc>,
}

/// A detection on event `sr` at `at`.
fn detection(sr: &str, at: DateTime<Utc>, kickoff: DateTime<Utc>) -> AlertBuilder {
    AlertBuilder::new()
        .event_key(sr)
        .kickoff(kickoff)
        .detected_at(at)
}

/// One cycle over both events at `at`, with the default noise policy.
fn cycle(at: DateTime<Utc>, kickoff: DateTime<Utc>, alerts: Vec<DetectedAlert>) -> CycleBatch {
    let event = |sr: &str, tournament: &str| BatchEvent {
        record: EventRecord {
            sr_id: sr.into(),
            home_team: format!("Home {sr}"),
            away_team: format!("Away {sr}"),
            tournament: Some(tournament.into()),
            country: None,
            kickoff: Some(kickoff),
        },
        books: vec![("betpawa".into(), format!("bp-{sr}"))],
    };
    CycleBatch {
        fence: None,
        notify: Vec::new(),
        at,
        events: vec![event(EVENT_A, "Premier League"), event(EVENT_B, "Serie A")],
        odds: Vec::new(),
        alerts,
        noise: NoisePolicy::default(),
    }
}

/// Two cycles on the real clock (silences are made against it): the first raises three alerts
/// on two events, the second repeats event A's 1X2 move, more severe, which folds into it.
pub async fn seed(store: &Store) -> Seeded {
    // Milliseconds, as the store keeps them, so the times read back compare equal.
    let now = oddswatch::service::now_millis();
    let kickoff = now + Duration::days(1);
    let (first, last) = (now - Duration::minutes(10), now - Duration::minutes(5));
    let written = store
        .write_cycle_batch(&cycle(
            first,
            kickoff,
            vec![
                detection(EVENT_A, first, kickoff)
                    .severity(Severity::Warning)
                    .prices(2.0, 2.2)
                    .build(),
                detection(EVENT_A, first, kickoff)
                    .market("5000", "Over/Under | Full Time")
                    .line(2.5)
                    .outcome(Some("Over"))
                    .prices(1.9, 1.8)
                    .build(),
                detection(EVENT_B, first, kickoff)
                    .severity(Severity::Elevated)
                    .prices(3.0, 3.3)
                    .build(),
            ],
        ))
        .await
        .unwrap();
    let [repeated, over, other] = written.alert_ids[..] else {
        panic!("three alerts opened: {:?}", written.alert_ids)
    };
    let again = store
        .write_cycle_batch(&cycle(
            last,
            kickoff,
            vec![
                detection(EVENT_A, last, kickoff)
                    .severity(Severity::Critical)
                    .prices(2.2, 2.6)
                    .build(),
            ],
        ))
        .await
        .unwrap();
    assert!(again.alert_ids.is_empty(), "the repeat folds: {again:?}");
    let event_a = store.get_alert(repeated).await.unwrap().unwrap().event_id;
    Seeded {
        repeated,
        over,
        other,
        event_a,
        first,
        last,
    }
}

/// RFC 3339 as the API writes it.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("a time: {v}"))
        .parse()
        .unwrap()
}

impl Server {
    async fn read(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None, None).await
    }
}

fn ids(list: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn a_repeated_alert_lists_its_occurrences_with_their_own_prices() {
    for db in common::all_dbs().await {
        let seeded = seed(&db.store).await;
        let s = start(&db.store, None).await;
        let (code, alert) = s.read(&format!("/api/alerts/{}", seeded.repeated)).await;
        assert_eq!(code, 200, "{}: {alert}", db.name);
        assert_eq!(alert["occurrences"], 2);
        assert_eq!(alert["escalated"], true);
        assert_eq!(alert["severity"], "critical", "the worst severity");
        assert_eq!(alert["firstDetectedAt"], alert["detectedAt"]);
        assert_eq!(time(&alert["detectedAt"]), seeded.first);
        assert_eq!(time(&alert["lastDetectedAt"]), seeded.last);
        assert_eq!(
            (alert["oldValue"].clone(), alert["newValue"].clone()),
            (json!(2.2), json!(2.6))
        );
        assert!(alert["silencedBy"].is_null());

        let path = format!("/api/alerts/{}/occurrences", seeded.repeated);
        let (code, occurrences) = s.read(&path).await;
        assert_eq!(code, 200, "{occurrences}");
        let list = occurrences.as_array().unwrap();
        assert_eq!(list.len(), 2, "{occurrences}");
        for (o, (at, severity, old, new, change)) in list.iter().zip([
            (seeded.first, "warning", 2.0, 2.2, 10.0),
            (seeded.last, "critical", 2.2, 2.6, 18.18),
        ]) {
            assert_eq!(o["alertId"], seeded.repeated);
            assert_eq!(time(&o["detectedAt"]), at);
            assert_eq!(o["severity"], severity);
            assert_eq!(
                (o["oldValue"].as_f64(), o["newValue"].as_f64()),
                (Some(old), Some(new))
            );
            assert_eq!(o["changePercent"].as_f64(), Some(change));
            assert!(o.get("competitorBookmaker").is_some() && o["availability"].is_null());
        }
        assert!(list[0]["id"].as_i64() < list[1]["id"].as_i64());

        let (_, once) = s
            .read(&format!("/api/alerts/{}/occurrences", seeded.over))
            .await;
        assert_eq!(once.as_array().unwrap().len(), 1);
        assert_eq!(once[0]["detectedAt"], json!(rfc3339(seeded.first)));

        let (code, missing) = s.read("/api/alerts/999999/occurrences").await;
        assert_eq!(code, 404, "{missing}");
        assert!(missing["error"].as_str().unwrap().contains("999999"));
        let (code, _) = s.read("/api/alerts/abc/occurrences").await;
        assert_eq!(code, 400);
        drop(s);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_silence_is_made_hides_its_alerts_is_edited_and_expires() {
    use reqwest::Method;
    for db in common::all_dbs().await {
        let seeded = seed(&db.store).await;
        let s = start(&db.store, None).await;
        let (_, before) = s.read("/api/alerts").await;
        assert_eq!(
            (before["total"].clone(), before["silencedCount"].clone()),
            (json!(3), json!(0))
        );

        let (code, made) = s
            .call(
                Method::POST,
                "/api/silences",
                Some(json!({
                    "matchers": {"eventId": seeded.event_a},
                    "for": "2h",
                    "reason": "line being rebuilt"
                })),
                Some("alice"),
            )
            .await;
        assert_eq!(code, 201, "{}: {made}", db.name);
        let id = made["id"].as_i64().unwrap();
        assert_eq!(made["matchers"], json!({"eventId": seeded.event_a}));
        assert_eq!(made["createdBy"], "alice");
        assert_eq!(made["reason"], "line being rebuilt");
        assert_eq!(made["active"], true);
        assert!(made["expiredAt"].is_null() && made["expiredBy"].is_null());
        assert_eq!(
            time(&made["endsAt"]) - time(&made["startsAt"]),
            Duration::hours(2)
        );

        // Event A's two alerts are hidden from the list, its counts and the stats.
        let (_, hidden) = s.read("/api/alerts").await;
        assert_eq!(ids(&hidden), vec![seeded.other], "{hidden}");
        assert_eq!(hidden["total"], 1);
        assert_eq!(hidden["newCount"], 1);
        assert_eq!(hidden["silencedCount"], 2);
        let (_, only) = s.read("/api/alerts?silenced=only").await;
        assert_eq!(ids(&only), vec![seeded.repeated, seeded.over]);
        for alert in only["alerts"].as_array().unwrap() {
            assert_eq!(alert["silencedBy"], id);
        }
        let (_, all) = s.read("/api/alerts?silenced=include&limit=10").await;
        assert_eq!(ids(&all), vec![seeded.repeated, seeded.over, seeded.other]);
        assert_eq!(all["newCount"], 3);
        let path = format!("/api/events/{}/alerts?silenced=include", seeded.event_a);
        let (_, event) = s.read(&path).await;
        assert_eq!(ids(&event), vec![seeded.repeated, seeded.over]);
        let (_, stats) = s.read("/api/alerts/stats").await;
        assert_eq!(
            (stats["total"].clone(), stats["silenced"].clone()),
            (json!(1), json!(2))
        );
        let (_, stats) = s.read("/api/alerts/stats?silenced=include").await;
        assert_eq!(
            (stats["total"].clone(), stats["byStatus"]["new"].clone()),
            (json!(3), json!(3))
        );
        let (_, stats) = s.read("/api/alerts/stats?silenced=only").await;
        assert_eq!(stats["byType"]["price_change"], 2);

        let (code, listed) = s.read("/api/silences").await;
        assert_eq!(code, 200);
        assert_eq!(listed, json!([made.clone()]));
        let (code, one) = s.read(&format!("/api/silences/{id}")).await;
        assert_eq!((code, &one), (200, &made));

        // Edited by bob: a reason, then a shorter end counted from its start.
        let (code, edited) = s
            .call(
                Method::PATCH,
                &format!("/api/silences/{id}"),
                Some(json!({"for": "30m", "reason": "rebuilt soon"})),
                Some("bob"),
            )
            .await;
        assert_eq!(code, 200, "{edited}");
        assert_eq!(edited["reason"], "rebuilt soon");
        assert_eq!(
            time(&edited["endsAt"]) - time(&edited["startsAt"]),
            Duration::minutes(30)
        );
        assert_eq!(edited["createdBy"], "alice", "the maker stays");

        let (code, expired) = s
            .call(
                Method::DELETE,
                &format!("/api/silences/{id}"),
                None,
                Some("bob"),
            )
            .await;
        assert_eq!(code, 200, "{expired}");
        assert_eq!(expired["expiredBy"], "bob");
        assert_eq!(expired["active"], false);
        assert!(time(&expired["expiredAt"]) >= time(&made["startsAt"]));
        let (_, listed) = s.read("/api/silences").await;
        assert_eq!(listed, json!([]), "an expired silence is not active");
        let (_, listed) = s.read("/api/silences?all=true").await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["id"], id);
        // Expiring again changes nothing.
        let (code, again) = s
            .call(
                Method::DELETE,
                &format!("/api/silences/{id}"),
                None,
                Some("carol"),
            )
            .await;
        assert_eq!((code, again["expiredBy"].clone()), (200, json!("bob")));
        // A silence that has ended cannot be edited.
        let (code, refused) = s
            .call(
                Method::PATCH,
                &format!("/api/silences/{id}"),
                Some(json!({"reason": "x"})),
                None,
            )
            .await;
        assert_eq!(code, 400, "{refused}");
        drop(s);
        db.finish().await;
    }
}

#[tokio::test]
async fn bad_silences_and_bad_parameters_are_refused_with_the_reason() {
    use reqwest::Method;
    for db in common::all_dbs().await {
        let seeded = seed(&db.store).await;
        let s = start(&db.store, None).await;
        let event = seeded.event_a;
        let until = rfc3339(Utc::now() + Duration::hours(1));
        let past = rfc3339(Utc::now() - Duration::hours(1));
        for (body, says) in [
            (
                json!({"matchers": {"eventId": event}, "for": "2h", "colour": "red"}),
                "unknown field `colour`",
            ),
            (
                json!({"matchers": {"match": event}, "for": "2h"}),
                "unknown field `match`",
            ),
            (
                json!({"matchers": {"alertType": "arbitrage"}, "for": "2h"}),
                "unknown variant `arbitrage`",
            ),
            (json!({"matchers": {}, "for": "2h"}), "at least one matcher"),
            (json!({"for": "2h"}), "missing field `matchers`"),
            (
                json!({"matchers": {"eventId": event}, "for": "2 hours"}),
                "invalid duration \"2 hours\"",
            ),
            (
                json!({"matchers": {"eventId": event}, "for": "90x"}),
                "1h30m",
            ),
            (
                json!({"matchers": {"eventId": event}, "for": "2h", "until": until}),
                "got for and until",
            ),
            (json!({"matchers": {"eventId": event}}), "needs an end"),
            (
                json!({"matchers": {"eventId": event}, "until": "tomorrow"}),
                "RFC 3339",
            ),
            (
                json!({"matchers": {"eventId": event}, "until": past}),
                "after now",
            ),
            (
                json!({"matchers": {"eventId": event}, "for": "31d"}),
                "30 days",
            ),
            (
                json!({"matchers": {"bookmaker": "betpawa"}, "untilKickoff": true}),
                "until kickoff",
            ),
            (
                json!({"matchers": {"eventId": 424242}, "for": "1h"}),
                "424242",
            ),
            (
                json!({"matchers": {"eventId": event}, "for": "1h", "reason": "a\u{7}b"}),
                "reason",
            ),
        ] {
            let (code, answer) = s
                .call(Method::POST, "/api/silences", Some(body.clone()), None)
                .await;
            let error = answer["error"].as_str().unwrap_or_default();
            assert_eq!(code, 400, "{}: {body} -> {answer}", db.name);
            assert!(error.contains(says), "{body}: {error}");
        }
        // Nothing was made by any of them.
        let (_, listed) = s.read("/api/silences?all=true").await;
        assert_eq!(listed, json!([]));
        let (code, _) = s
            .call(
                Method::POST,
                "/api/silences",
                Some(json!({"matchers": {"eventId": event}, "untilKickoff": true})),
                Some(""),
            )
            .await;
        assert_eq!(code, 400, "an empty acting user");

        for (method, path) in [
            (Method::GET, "/api/silences/777"),
            (Method::DELETE, "/api/silences/777"),
        ] {
            let (code, answer) = s.call(method, path, None, None).await;
            assert_eq!(code, 404, "{path}: {answer}");
            assert!(answer["error"].as_str().unwrap().contains("silence 777"));
        }
        let (code, _) = s
            .call(
                Method::PATCH,
                "/api/silences/777",
                Some(json!({"reason": "x"})),
                None,
            )
            .await;
        assert_eq!(code, 404);
        let (code, made) = s
            .call(
                Method::POST,
                "/api/silences",
                Some(json!({"matchers": {"eventId": event}, "untilKickoff": true})),
                None,
            )
            .await;
        assert_eq!(code, 201, "{made}");
        assert_eq!(
            made["createdBy"], "desk",
            "the configured user without the header"
        );
        let kickoff =
            s.read(&format!("/api/alerts/{}", seeded.over)).await.1["eventKickoff"].clone();
        assert_eq!(made["endsAt"], kickoff, "until kickoff");
        let patch = format!("/api/silences/{}", made["id"]);
        for (body, says) in [
            (json!({}), "nothing to change"),
            (
                json!({"for": "1h", "untilKickoff": true}),
                "got for and untilKickoff",
            ),
            (json!({"ends": "1h"}), "unknown field `ends`"),
            (json!({"for": "0m"}), "longer than zero"),
        ] {
            let (code, answer) = s
                .call(Method::PATCH, &patch, Some(body.clone()), None)
                .await;
            assert_eq!(code, 400, "{body} -> {answer}");
            assert!(answer["error"].as_str().unwrap().contains(says), "{answer}");
        }
        for path in [
            "/api/silences?all=yes",
            "/api/silences?active=true",
            "/api/silences/abc",
            "/api/alerts?silenced=yes",
            "/api/events/1/alerts?silenced=all",
            "/api/alerts/stats?silenced=Hide",
            "/api/alerts/stats?status=new",
            "/api/alerts/stream?silenced=never",
        ] {
            let (code, answer) = s.read(path).await;
            assert_eq!(code, 400, "{path}: {answer}");
            let error = answer["error"].as_str().unwrap();
            if path.contains("silenced=") {
                assert!(error.contains("silenced"), "{path}: {error}");
            }
        }
        let (_, answer) = s.read("/api/alerts?silenced=yes").await;
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("hide, include, only"),
            "{answer}"
        );
        drop(s);
        db.finish().await;
    }
}
