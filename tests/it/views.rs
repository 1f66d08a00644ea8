//! Saved views per user (`saved_views`, migration 0015) and the event-name filter
//! (`AlertFilter::event_text`, the command line's `:event`), on SQLite and PostgreSQL.

use crate::common;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use oddswatch::domain::testing::AlertBuilder;
use oddswatch::domain::{
    AlertFilter, AlertSort, AlertType, DetectedAlert, Page, Severity, Status, ViewSpec,
};
use oddswatch::service::{AlertService, ServiceError};
use oddswatch::store::{EventRecord, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn service(store: &Store, user: &str) -> AlertService {
    AlertService::new(store.clone(), user).with_clock(Arc::new(now))
}

fn spec() -> ViewSpec {
    ViewSpec {
        statuses: vec![Status::New],
        severity: Some(Severity::Critical),
        alert_type: Some(AlertType::OffMarket),
        book: Some("sportybet".into()),
        event_text: Some("arsenal".into()),
        text: Some("over".into()),
        sort: AlertSort::Change,
        grouped: true,
        show_silenced: true,
    }
}

#[tokio::test]
async fn views_are_saved_replaced_listed_and_deleted_per_user() {
    for db in common::all_dbs().await {
        let ada = service(&db.store, "ada");
        let bob = service(&db.store, "bob");
        assert!(ada.views().await.unwrap().is_empty(), "{}", db.name);

        let saved = ada.save_view("live", &spec()).await.unwrap();
        assert_eq!(
            (saved.user.as_str(), saved.updated_at),
            ("ada", now()),
            "{}",
            db.name
        );
        ada.save_view("crit", &ViewSpec::default()).await.unwrap();
        bob.save_view("live", &ViewSpec::default()).await.unwrap();

        let views = ada.views().await.unwrap();
        let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["crit", "live"], "{}: by name", db.name);
        assert_eq!(
            views[1].spec,
            spec(),
            "{}: the spec reads back whole",
            db.name
        );
        assert_eq!(
            bob.views().await.unwrap()[0].spec,
            ViewSpec::default(),
            "{}: bob's view of the same name is his own",
            db.name
        );

        // Saving under a used name replaces it.
        let later = ada
            .clone()
            .with_clock(Arc::new(|| now() + Duration::hours(1)));
        later.save_view("live", &ViewSpec::default()).await.unwrap();
        let views = ada.views().await.unwrap();
        assert_eq!(views.len(), 2, "{}", db.name);
        assert_eq!(views[1].spec, ViewSpec::default(), "{}", db.name);
        assert_eq!(views[1].updated_at, now() + Duration::hours(1));

        assert!(ada.delete_view("live").await.unwrap(), "{}", db.name);
        assert!(!ada.delete_view("live").await.unwrap(), "{}: gone", db.name);
        assert_eq!(ada.views().await.unwrap().len(), 1, "{}", db.name);
        assert_eq!(
            bob.views().await.unwrap().len(),
            1,
            "{}: bob's kept",
            db.name
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn bad_view_names_and_specs_are_refused_with_what_is_allowed() {
    for db in common::all_dbs().await {
        let ada = service(&db.store, "ada");
        for name in ["", "two words", &"x".repeat(41), "nul\0"] {
            let e = ada.save_view(name, &ViewSpec::default()).await.unwrap_err();
            assert!(
                matches!(
                    e,
                    ServiceError::InvalidArgument {
                        name: "view name",
                        ..
                    }
                ),
                "{}: {name:?}: {e}",
                db.name
            );
            assert!(e.to_string().contains("1 to 40 characters"), "{e}");
        }
        let bad = ViewSpec {
            event_text: Some("ars\0enal".into()),
            ..Default::default()
        };
        let e = ada.save_view("ok", &bad).await.unwrap_err().to_string();
        assert!(e.contains("event filter"), "{}: {e}", db.name);
        assert!(ada.views().await.unwrap().is_empty(), "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_stored_view_with_fields_missing_still_reads() {
    for db in common::all_dbs().await {
        // As an older version would have written it: only some fields.
        let at = match db.name {
            "sqlite" => "'2026-06-01T12:00:00+00:00'",
            _ => "TIMESTAMPTZ '2026-06-01 12:00:00+00'",
        };
        common::exec(
            &db.store,
            &format!(
                "INSERT INTO saved_views (user_name, name, spec, updated_at) VALUES \
                 ('ada', 'old', '{{\"severity\":\"critical\"}}', {at})"
            ),
        )
        .await;
        let views = service(&db.store, "ada").views().await.unwrap();
        assert_eq!(
            views[0].spec.severity,
            Some(Severity::Critical),
            "{}",
            db.name
        );
        assert_eq!(views[0].spec.sort, AlertSort::Detected, "{}", db.name);
        db.finish().await;
    }
}

fn event(sr: &str, home: &str, away: &str, tournament: &str) -> EventRecord {
    EventRecord {
        sr_id: sr.into(),
        home_team: home.into(),
        away_team: away.into(),
        tournament: Some(tournament.into()),
        country: Some("England".into()),
        kickoff: Some(now() + Duration::hours(3)),
    }
}

fn price_alert(event_key: &str, minutes_ago: i64, severity: Severity) -> DetectedAlert {
    AlertBuilder::new()
        .event_key(event_key)
        .severity(severity)
        .prices(2.0, 2.3)
        .change_pct(15.0)
        .detected_at(now() - Duration::minutes(minutes_ago))
        .kickoff(now() + Duration::hours(3))
        .build()
}

#[tokio::test]
async fn event_text_selects_events_by_team_or_tournament_in_lists_counts_and_groups() {
    for db in common::all_dbs().await {
        db.store
            .upsert_events(
                &[
                    event("2001", "Arsenal", "Chelsea", "Premier League"),
                    event("2002", "Real Madrid", "Sevilla", "La Liga"),
                    // `_` and `%` in a name must match only themselves.
                    event("2003", "Team_A", "100% FC", "Cup"),
                ],
                now(),
            )
            .await
            .unwrap();
        let ids = db
            .store
            .insert_alerts(&[
                price_alert("2001", 30, Severity::Critical), // 0
                price_alert("2001", 20, Severity::Warning),  // 1
                price_alert("2002", 10, Severity::Critical), // 2
                price_alert("2003", 5, Severity::Warning),   // 3
            ])
            .await
            .unwrap();
        let svc = service(&db.store, "ada");
        let listed = |text: &str| {
            let filter = AlertFilter {
                event_text: Some(text.into()),
                ..Default::default()
            };
            let svc = svc.clone();
            async move {
                let page = svc
                    .list(&filter, AlertSort::Detected, &Page::first(50))
                    .await
                    .unwrap();
                let groups = svc.event_groups(&filter, 50).await.unwrap();
                let ids: Vec<i64> = page.alerts.iter().map(|a| a.id).collect();
                let grouped: u64 = groups.iter().map(|g| g.alerts).sum();
                (ids, page.counts.new, grouped)
            }
        };
        let (arsenal, new, grouped) = listed("ARSENAL").await;
        assert_eq!(arsenal, [ids[1], ids[0]], "{}: case-insensitive", db.name);
        assert_eq!(
            (new, grouped),
            (2, 2),
            "{}: counts and groups agree",
            db.name
        );
        let (chelsea, ..) = listed(" chelsea ").await;
        assert_eq!(chelsea, arsenal, "{}: the away team, trimmed", db.name);
        let (liga, ..) = listed("la liga").await;
        assert_eq!(liga, [ids[2]], "{}: the tournament", db.name);
        let (country, new, _) = listed("england").await;
        assert_eq!((country.len(), new), (4, 4), "{}: the country", db.name);
        let (underscore, ..) = listed("m_a").await;
        assert_eq!(underscore, [ids[3]], "{}: `_` is literal", db.name);
        let (percent, ..) = listed("0% f").await;
        assert_eq!(percent, [ids[3]], "{}: `%` is literal", db.name);
        let (none, new, grouped) = listed("m%a").await;
        assert!(none.is_empty() && new == 0 && grouped == 0, "{}", db.name);

        // It narrows the other filters, and is checked like them.
        let both = AlertFilter {
            event_text: Some("arsenal".into()),
            severities: vec![Severity::Critical],
            ..Default::default()
        };
        let page = svc
            .list(&both, AlertSort::Detected, &Page::first(50))
            .await
            .unwrap();
        assert_eq!(page.alerts.len(), 1, "{}", db.name);
        let bad = AlertFilter {
            event_text: Some("a\0".into()),
            ..Default::default()
        };
        let e = svc
            .list(&bad, AlertSort::Detected, &Page::first(50))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("event filter"), "{}: {e}", db.name);
        db.finish().await;
    }
}
