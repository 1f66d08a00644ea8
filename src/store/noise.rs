//! Folding a batch's detections into stored alerts (DESIGN §10), in the batch's transaction:
//! the plan is worked out in memory from the newest stored alert of each identity and the
//! active silences (read in a few statements), then written with multi-row statements — new
//! alerts, one UPDATE … FROM (VALUES …) per thousand touched alerts, the occurrences, the audit
//! rows and the change log.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::cycle::NoiseCounts;
use super::follow::ChangeKind;
use super::insert::{
    AlertInsert, MAX_PARAMS_PER_STATEMENT, PAYLOAD_COLUMNS, abs_change_param, payload_params,
};
use super::sql::{Param, SqlQuery};
use super::{Store, StoreError};
use crate::domain::{
    AlertIdentity, DetectedAlert, Fold, NoisePolicy, OpenAlert, Severity, Silence, SilenceTarget,
    Status, fold,
};

/// Identities per `IN (…)` list of the newest-alert lookup.
const IDENTITIES_PER_STATEMENT: usize = 5_000;

/// The newest stored alert of an identity as the lookup reads it: id, identity, status,
/// severity, acknowledged at, silenced by.
pub(super) type NewestRow = (
    i64,
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<i64>,
);

/// Queries reading the newest stored alert of each of `identities`.
pub(super) fn newest_queries(store: &Store, identities: &[&str]) -> Vec<SqlQuery> {
    identities
        .chunks(IDENTITIES_PER_STATEMENT)
        .map(|chunk| {
            let mut q = store.query(
                "SELECT a.id, a.identity, a.status, a.severity, a.acknowledged_at, a.silenced_by \
                 FROM alerts a WHERE a.id IN (SELECT MAX(id) FROM alerts WHERE identity IN ",
            );
            q.bind_list(chunk).push(" GROUP BY identity)");
            q
        })
        .collect()
}

/// A stored alert the batch folds detections into.
#[derive(Debug, Clone)]
struct Touched {
    id: i64,
    status: Status,
    severity: Severity,
    acknowledged_at: Option<DateTime<Utc>>,
    silenced_by: Option<i64>,
    /// Detections folded in by this batch (0: read but left alone).
    added: i64,
    last_detected_at: Option<DateTime<Utc>>,
    /// Index of the latest detection folded in.
    latest: usize,
    escalated: bool,
    reopened: bool,
}

/// Where a detection went.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// A stored alert (index into `touched`).
    Stored(usize),
    /// An alert this batch inserts (index into `inserts`).
    New(usize),
}

/// What a batch's detections do, before new alerts have ids.
#[derive(Debug)]
pub(super) struct FoldPlan<'a> {
    /// New alerts, in batch order of their first detection.
    pub inserts: Vec<AlertInsert<'a>>,
    touched: Vec<Touched>,
    /// Target of every detection, in batch order.
    occurrences: Vec<Target>,
    /// Audit rows: target, action, comment.
    audits: Vec<(Target, &'static str, String)>,
    /// What the detections did.
    pub counts: NoiseCounts,
}

/// The first of `silences` (lowest id) that matches the detection.
fn silenced_by(silences: &[Silence], target: &SilenceTarget<'_>, at: DateTime<Utc>) -> Option<i64> {
    silences
        .iter()
        .filter(|s| s.is_active(at) && s.matchers.matches(target))
        .map(|s| s.id)
        .min()
}

/// Works out what each detection does. `alerts` are `(event id, detection)` in batch order,
/// `tournaments` the batch's events' tournaments by event id, `newest` the lookup's rows.
pub(super) fn plan<'a>(
    policy: &NoisePolicy,
    alerts: &[(i64, &'a DetectedAlert)],
    identities: Vec<String>,
    tournaments: &HashMap<i64, Option<String>>,
    newest: Vec<NewestRow>,
    silences: &[Silence],
) -> Result<FoldPlan<'a>, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        table: "alerts",
        message,
    };
    let mut stored: HashMap<String, Touched> = HashMap::with_capacity(newest.len());
    for (id, identity, status, severity, acknowledged_at, silenced_by) in newest {
        stored.insert(
            identity,
            Touched {
                id,
                status: status.parse().map_err(corrupt)?,
                severity: severity.parse().map_err(corrupt)?,
                acknowledged_at,
                silenced_by,
                added: 0,
                last_detected_at: None,
                latest: 0,
                escalated: false,
                reopened: false,
            },
        );
    }
    let mut plan = FoldPlan {
        inserts: Vec::new(),
        touched: Vec::new(),
        occurrences: Vec::with_capacity(alerts.len()),
        audits: Vec::new(),
        counts: NoiseCounts::default(),
    };
    let mut current: HashMap<String, Target> = HashMap::new();
    for (i, ((event_id, d), identity)) in alerts.iter().zip(identities).enumerate() {
        let target = SilenceTarget {
            event_id: *event_id,
            tournament: tournaments.get(event_id).and_then(|t| t.as_deref()),
            bookmaker: &d.bookmaker,
            market_id: &d.market_id,
            line: d.line,
            outcome: d.outcome_name.as_deref(),
            alert_type: d.alert_type(),
            severity: d.severity,
        };
        let silence = silenced_by(silences, &target, d.detected_at);
        let existing = match current.get(&identity) {
            Some(t) => Some(*t),
            None => stored.remove(&identity).map(|t| {
                plan.touched.push(t);
                let t = Target::Stored(plan.touched.len() - 1);
                current.insert(identity.clone(), t);
                t
            }),
        };
        let open = existing.map(|t| match t {
            Target::Stored(k) => {
                let s = &plan.touched[k];
                OpenAlert {
                    id: s.id,
                    status: s.status,
                    severity: s.severity,
                    acknowledged_at: s.acknowledged_at,
                    silenced: s.silenced_by.is_some(),
                }
            }
            Target::New(k) => OpenAlert {
                id: 0,
                status: Status::New,
                severity: plan.inserts[k].alert.severity,
                acknowledged_at: None,
                silenced: plan.inserts[k].silenced_by.is_some(),
            },
        });
        let decision = fold(
            policy,
            open.as_ref(),
            d.severity,
            silence.is_some(),
            d.detected_at,
        );
        let counts = &mut plan.counts;
        counts.occurrences += 1;
        counts.silenced += u64::from(silence.is_some());
        if decision.asks_attention() && silence.is_none() {
            counts.attention += 1;
        }
        let t = match (decision, existing) {
            (Fold::Open, _) | (_, None) => {
                counts.opened += 1;
                let mut row = AlertInsert::single(*event_id, d, Some(identity.clone()));
                row.silenced_by = silence;
                plan.inserts.push(row);
                let t = Target::New(plan.inserts.len() - 1);
                current.insert(identity, t);
                plan.occurrences.push(t);
                continue;
            }
            (Fold::Update { escalated }, Some(t)) => {
                counts.updated += 1;
                counts.escalated += u64::from(escalated);
                let from = open.as_ref().map_or(d.severity, |o| o.severity);
                if escalated {
                    let comment = format!("severity rose from {from} to {}", d.severity);
                    plan.audits.push((t, "escalate", comment));
                }
                match t {
                    Target::Stored(k) => {
                        let s = &mut plan.touched[k];
                        s.severity = s.severity.max(d.severity);
                        s.escalated |= escalated;
                        // `fold` opened a new alert for an unsilenced detection of a silenced
                        // one; a silenced detection hides a visible alert, as a new silence
                        // hides the new alerts it matches.
                        s.silenced_by = s.silenced_by.or(silence);
                    }
                    Target::New(k) => {
                        let row = &mut plan.inserts[k];
                        let merged = row.alert.to_mut();
                        merged.severity = merged.severity.max(d.severity);
                        row.escalated |= escalated;
                        row.silenced_by = row.silenced_by.or(silence);
                    }
                }
                t
            }
            (Fold::Record, Some(t)) => {
                counts.recorded += 1;
                t
            }
            (Fold::Reopen { from, to }, Some(t)) => {
                counts.reopened += 1;
                let acked = open
                    .as_ref()
                    .and_then(|o| o.acknowledged_at)
                    .map_or_else(|| "?".to_string(), |a| a.format("%H:%M").to_string());
                let comment = format!(
                    "{to} within the {}-minute cooldown after the acknowledgement at {acked} (was {from})",
                    policy.cooldown.num_minutes()
                );
                plan.audits.push((t, "reopen", comment));
                if let Target::Stored(k) = t {
                    let s = &mut plan.touched[k];
                    s.status = Status::New;
                    s.acknowledged_at = None;
                    s.severity = s.severity.max(to);
                    s.escalated = true;
                    s.reopened = true;
                    // Re-opened, it asks for attention unless a silence holds now.
                    s.silenced_by = silence;
                }
                t
            }
        };
        // Every fold but a fresh insert adds the detection to its alert: latest payload, time.
        match t {
            Target::Stored(k) => {
                let s = &mut plan.touched[k];
                s.added += 1;
                s.last_detected_at = Some(d.detected_at);
                s.latest = i;
            }
            Target::New(k) => {
                let row = &mut plan.inserts[k];
                row.occurrences += 1;
                row.last_detected_at = d.detected_at;
                row.alert.to_mut().payload = d.payload.clone();
            }
        }
        plan.occurrences.push(t);
    }
    Ok(plan)
}

impl FoldPlan<'_> {
    /// The alerts of the batch that ask for attention, as notifications see them (DESIGN §12):
    /// each new alert (with its worst severity), and each stored alert a detection escalated or
    /// re-opened. `inserted` are the ids of [`FoldPlan::inserts`], in order.
    pub(super) fn notices(
        &self,
        alerts: &[(i64, &DetectedAlert)],
        inserted: &[i64],
    ) -> Vec<crate::domain::Notice> {
        use crate::domain::{Notice, NoticeKind};
        let new = self.inserts.iter().zip(inserted).map(|(row, id)| Notice {
            alert_id: *id,
            kind: NoticeKind::New,
            severity: row.alert.severity,
            alert_type: row.alert.alert_type(),
            bookmaker: row.alert.bookmaker.clone(),
            silenced: row.silenced_by.is_some(),
        });
        let folded = self
            .touched
            .iter()
            .filter(|t| t.added > 0 && (t.escalated || t.reopened))
            .map(|t| {
                let latest = alerts[t.latest].1;
                Notice {
                    alert_id: t.id,
                    kind: if t.reopened {
                        NoticeKind::Reopened
                    } else {
                        NoticeKind::Escalated
                    },
                    severity: t.severity,
                    alert_type: latest.alert_type(),
                    bookmaker: latest.bookmaker.clone(),
                    silenced: t.silenced_by.is_some(),
                }
            });
        new.chain(folded).collect()
    }
}

/// A batch's folds with the ids of the alerts it inserted: the statements that finish it.
#[derive(Debug)]
pub(super) struct FoldWrites {
    /// Updates of the stored alerts detections folded into.
    pub updates: Vec<SqlQuery>,
    /// `(alert id, detection)` of every detection, in batch order.
    pub occurrences: Vec<(i64, usize)>,
    /// Audit rows (escalations, re-openings).
    pub audits: Vec<SqlQuery>,
    /// Change-log rows to write: ids per kind (the inserted ones are `Created`, written apart).
    pub changes: Vec<(ChangeKind, Vec<i64>)>,
}

impl FoldPlan<'_> {
    /// The statements that write the plan, given the ids of its inserts (in insert order).
    pub(super) fn writes(
        &self,
        store: &Store,
        alerts: &[(i64, &DetectedAlert)],
        inserted: &[i64],
        at: DateTime<Utc>,
    ) -> Result<FoldWrites, StoreError> {
        if inserted.len() != self.inserts.len() {
            return Err(StoreError::Corrupt {
                table: "alerts",
                message: format!(
                    "{} alerts inserted but {} ids returned",
                    self.inserts.len(),
                    inserted.len()
                ),
            });
        }
        let id_of = |t: Target| match t {
            Target::Stored(k) => self.touched[k].id,
            Target::New(k) => inserted[k],
        };
        let touched: Vec<&Touched> = self.touched.iter().filter(|t| t.added > 0).collect();
        let width = 9 + PAYLOAD_COLUMNS.len();
        let updates = touched
            .chunks(MAX_PARAMS_PER_STATEMENT / width)
            .map(|chunk| update_statement(store, chunk, alerts))
            .collect();
        let audits = self
            .audits
            .chunks(MAX_PARAMS_PER_STATEMENT / 5)
            .map(|chunk| {
                let mut q = store.query(
                    "INSERT INTO alert_audit (alert_id, action, actor, at, comment) VALUES ",
                );
                q.values(chunk.iter().map(|(t, action, comment)| {
                    [
                        Param::Int(id_of(*t)),
                        Param::from(*action),
                        Param::from("system"),
                        Param::Time(at),
                        Param::Text(comment.clone()),
                    ]
                }));
                q
            })
            .collect();
        let kind_of = |t: &Touched| {
            if t.reopened {
                ChangeKind::Reopened
            } else if t.escalated {
                ChangeKind::Escalated
            } else {
                ChangeKind::Updated
            }
        };
        let changes = [
            ChangeKind::Updated,
            ChangeKind::Escalated,
            ChangeKind::Reopened,
        ]
        .into_iter()
        .map(|kind| {
            let ids = touched
                .iter()
                .filter(|t| kind_of(t) == kind)
                .map(|t| t.id)
                .collect();
            (kind, ids)
        })
        .collect();
        Ok(FoldWrites {
            updates,
            occurrences: self
                .occurrences
                .iter()
                .enumerate()
                .map(|(i, t)| (id_of(*t), i))
                .collect(),
            audits,
            changes,
        })
    }
}

/// One UPDATE … FROM (VALUES …) of stored alerts: occurrences added, the latest detection's
/// time and payload, the worst severity, escalation, re-opening and silence.
/// A re-opening applies only to a row still acknowledged when the update runs: the lookup takes
/// no lock, and an acknowledgement taken back or the past transition committed in between wins.
fn update_statement(
    store: &Store,
    rows: &[&Touched],
    alerts: &[(i64, &DetectedAlert)],
) -> SqlQuery {
    // VALUES columns are column1, column2, … on both backends.
    let mut q = store.query(
        "UPDATE alerts SET \
         status = CASE WHEN v.column2 AND alerts.status = 'acknowledged' THEN 'new' ELSE alerts.status END, \
         acknowledged_at = CASE WHEN v.column2 AND alerts.status = 'acknowledged' THEN NULL ELSE alerts.acknowledged_at END, \
         acknowledged_by = CASE WHEN v.column2 AND alerts.status = 'acknowledged' THEN NULL ELSE alerts.acknowledged_by END, \
         severity = v.column3, severity_rank = v.column4, \
         occurrences = alerts.occurrences + v.column5, last_detected_at = v.column6, \
         escalated = (alerts.escalated OR v.column7), silenced_by = v.column8, \
         abs_change_pct = v.column9",
    );
    for (k, column) in PAYLOAD_COLUMNS.iter().enumerate() {
        q.push(", ")
            .push(column)
            .push(" = v.column")
            .push(&(10 + k).to_string());
    }
    q.push(" FROM (VALUES ");
    q.values(rows.iter().map(|t| {
        let latest = alerts[t.latest].1;
        let mut params = vec![
            Param::Int(t.id),
            Param::Bool(t.reopened),
            Param::Text(t.severity.as_str().into()),
            Param::Int(i64::from(t.severity.rank())),
            Param::Int(t.added),
            Param::Time(t.last_detected_at.unwrap_or(latest.detected_at)),
            Param::Bool(t.escalated),
            t.silenced_by.map_or(Param::NullInt, Param::Int),
            abs_change_param(&latest.payload),
        ];
        params.extend(payload_params(&latest.payload));
        params
    }));
    q.push(") AS v WHERE alerts.id = v.column1");
    q
}

/// The identity of each `(event id, detection)`, as stored.
pub(super) fn identities(alerts: &[(i64, &DetectedAlert)]) -> Vec<String> {
    alerts
        .iter()
        .map(|(event_id, d)| AlertIdentity::of(*event_id, d).as_str().to_string())
        .collect()
}
