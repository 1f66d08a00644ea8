//! The noise bench's evidence: what the database holds, counted, and the checks that every
//! detection is accounted for.

use std::collections::BTreeMap;

use color_eyre::eyre::{Result, WrapErr, bail, ensure};

use super::{NoiseRun, TypeCounts, describe};
use crate::store::sql::BindParams;
use crate::store::{Backend, NoiseCounts, Store, with_pool};

/// What the database holds, counted: the evidence the store's own counts are checked against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Stored {
    alerts: i64,
    occurrence_sum: i64,
    occurrence_rows: i64,
    escalations: i64,
    reopenings: i64,
}

impl Stored {
    pub(super) async fn read(store: &Store) -> Result<Stored> {
        let (alerts, occurrence_sum, occurrence_rows, escalations, reopenings) = with_pool!(store, pool => {
            sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(
                "SELECT (SELECT COUNT(*) FROM alerts), \
                 (SELECT CAST(COALESCE(SUM(occurrences), 0) AS BIGINT) FROM alerts), \
                 (SELECT COUNT(*) FROM alert_occurrences), \
                 (SELECT COUNT(*) FROM alert_audit WHERE action = 'escalate'), \
                 (SELECT COUNT(*) FROM alert_audit WHERE action = 'reopen')",
            )
            .fetch_one(pool)
            .await
            .wrap_err("counting alerts and occurrences")
        })?;
        Ok(Stored {
            alerts,
            occurrence_sum,
            occurrence_rows,
            escalations,
            reopenings,
        })
    }

    pub(super) fn minus(self, before: &Stored) -> Stored {
        Stored {
            alerts: self.alerts - before.alerts,
            occurrence_sum: self.occurrence_sum - before.occurrence_sum,
            occurrence_rows: self.occurrence_rows - before.occurrence_rows,
            escalations: self.escalations - before.escalations,
            reopenings: self.reopenings - before.reopenings,
        }
    }
}

/// The newest alert and occurrence ids (0 when none): where the measured cycles start.
pub(super) async fn last_ids(store: &Store) -> Result<(i64, i64)> {
    with_pool!(store, pool => {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM alerts), \
             (SELECT COALESCE(MAX(id), 0) FROM alert_occurrences)",
        )
        .fetch_one(pool)
        .await
        .wrap_err("reading the newest alert and occurrence ids")
    })
}

/// Detections and alerts opened per type after the given ids.
pub(super) async fn by_type(
    store: &Store,
    after_alert: i64,
    after_occurrence: i64,
) -> Result<BTreeMap<String, TypeCounts>> {
    let mut detections = store.query(
        "SELECT a.alert_type, COUNT(*) FROM alert_occurrences o JOIN alerts a ON a.id = o.alert_id WHERE o.id > ",
    );
    detections
        .bind(after_occurrence)
        .push(" GROUP BY a.alert_type");
    let mut opened = store.query("SELECT alert_type, COUNT(*) FROM alerts WHERE id > ");
    opened.bind(after_alert).push(" GROUP BY alert_type");
    let (detections, opened) = with_pool!(store, pool => {
        let detections: Vec<(String, i64)> = sqlx::query_as(detections.sql())
            .bind_params(detections.params())
            .fetch_all(pool)
            .await
            .wrap_err("counting detections per type")?;
        let opened: Vec<(String, i64)> = sqlx::query_as(opened.sql())
            .bind_params(opened.params())
            .fetch_all(pool)
            .await
            .wrap_err("counting alerts per type")?;
        Ok::<_, color_eyre::eyre::Report>((detections, opened))
    })?;
    let mut counts: BTreeMap<String, TypeCounts> = BTreeMap::new();
    for (kind, n) in detections {
        counts.entry(kind).or_default().detections = n as u64;
    }
    for (kind, n) in opened {
        counts.entry(kind).or_default().opened = n as u64;
    }
    Ok(counts)
}

/// Fails loudly unless every detection of the measured cycles is accounted for, by the store's
/// counts and in the database.
pub(super) fn check_nothing_lost(backend: Backend, run: &NoiseRun, stored: &Stored) -> Result<()> {
    let as_u64 = |n: i64| u64::try_from(n).unwrap_or(u64::MAX);
    let folded = run.opened + run.updated + run.recorded + run.reopened;
    let checks = [
        ("occurrences the store reported", run.occurrences),
        ("detections folded one way or another", folded),
        ("occurrence rows added", as_u64(stored.occurrence_rows)),
        (
            "growth of SUM(alerts.occurrences)",
            as_u64(stored.occurrence_sum),
        ),
    ];
    let lost: Vec<String> = checks
        .iter()
        .filter(|(_, n)| *n != run.detections)
        .map(|(what, n)| format!("{what} {n}"))
        .collect();
    if !lost.is_empty() {
        bail!(
            "NOTHING-LOST CHECK FAILED on {} ({}): {} detections, but {}",
            backend.as_str(),
            describe(run),
            run.detections,
            lost.join(", ")
        );
    }
    let pairs = [
        (
            "alerts opened / alert rows added",
            run.opened,
            stored.alerts,
        ),
        (
            "escalations / 'escalate' audit rows",
            run.escalated,
            stored.escalations,
        ),
        (
            "re-openings / 'reopen' audit rows",
            run.reopened,
            stored.reopenings,
        ),
    ];
    for (what, reported, rows) in pairs {
        ensure!(
            reported == as_u64(rows),
            "COUNT CHECK FAILED on {} ({}): {what}: {reported} ≠ {rows}",
            backend.as_str(),
            describe(run)
        );
    }
    if !run.dedup {
        ensure!(
            run.opened == run.detections,
            "COUNT CHECK FAILED on {} ({}): with dedup off every detection is its own alert, yet {} detections opened {} alerts",
            backend.as_str(),
            describe(run),
            run.detections,
            run.opened
        );
    }
    Ok(())
}

/// `after` − `before`, field by field.
pub(super) fn minus(after: NoiseCounts, before: NoiseCounts) -> NoiseCounts {
    NoiseCounts {
        occurrences: after.occurrences - before.occurrences,
        opened: after.opened - before.opened,
        updated: after.updated - before.updated,
        escalated: after.escalated - before.escalated,
        recorded: after.recorded - before.recorded,
        reopened: after.reopened - before.reopened,
        silenced: after.silenced - before.silenced,
        attention: after.attention - before.attention,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dedup on, 10 detections: 4 opened, 5 updated (1 escalated), 1 recorded; as stored.
    fn consistent() -> (NoiseRun, Stored) {
        let run = NoiseRun {
            dedup: true,
            detections: 10,
            occurrences: 10,
            opened: 4,
            updated: 5,
            escalated: 1,
            recorded: 1,
            ..NoiseRun::default()
        };
        let stored = Stored {
            alerts: 4,
            occurrence_sum: 10,
            occurrence_rows: 10,
            escalations: 1,
            reopenings: 0,
        };
        (run, stored)
    }

    #[test]
    fn consistent_counts_pass() {
        let (run, stored) = consistent();
        check_nothing_lost(Backend::Sqlite, &run, &stored).unwrap();
    }

    #[test]
    fn a_detection_missing_from_the_occurrence_rows_fails_loudly() {
        let (run, mut stored) = consistent();
        stored.occurrence_rows = 9;
        let err = check_nothing_lost(Backend::Postgres, &run, &stored).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("NOTHING-LOST CHECK FAILED on postgres"),
            "{text}"
        );
        assert!(text.contains("occurrence rows added 9"), "{text}");
    }

    #[test]
    fn a_detection_the_store_did_not_fold_anywhere_fails() {
        let (mut run, stored) = consistent();
        run.updated = 4;
        let err = check_nothing_lost(Backend::Sqlite, &run, &stored).unwrap_err();
        assert!(
            err.to_string().contains("folded one way or another 9"),
            "{err}"
        );
    }

    #[test]
    fn an_escalation_without_its_audit_row_fails() {
        let (run, mut stored) = consistent();
        stored.escalations = 0;
        let err = check_nothing_lost(Backend::Sqlite, &run, &stored).unwrap_err();
        assert!(err.to_string().contains("escalations"), "{err}");
    }

    #[test]
    fn with_dedup_off_a_folded_detection_fails() {
        let (mut run, stored) = consistent();
        run.dedup = false;
        let err = check_nothing_lost(Backend::Sqlite, &run, &stored).unwrap_err();
        assert!(
            err.to_string().contains("every detection is its own alert"),
            "{err}"
        );
    }

    #[test]
    fn the_store_counts_of_a_window_are_the_difference() {
        let before = NoiseCounts {
            occurrences: 3,
            opened: 3,
            attention: 3,
            ..NoiseCounts::default()
        };
        let mut after = before;
        after += NoiseCounts {
            occurrences: 2,
            updated: 2,
            escalated: 1,
            attention: 1,
            ..NoiseCounts::default()
        };
        let window = minus(after, before);
        assert_eq!(
            (
                window.occurrences,
                window.opened,
                window.updated,
                window.escalated,
                window.attention
            ),
            (2, 0, 2, 1, 1)
        );
    }
}
