//! Noise control (DESIGN §10): one open alert per identity, the decision of what a further
//! detection does to it, and silences. Pure: the store applies these decisions in the same
//! transaction as the cycle's writes.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{AlertPayload, AlertType, DetectedAlert, Line, Severity, Status};

/// How detections fold into alerts: the `[noise]` settings as the store applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoisePolicy {
    /// Fold detections of one identity into one alert (`noise.dedup`). Off: every detection is
    /// its own alert, as before round 2.
    pub dedup: bool,
    /// After an acknowledgement, detections within this long fold into the acknowledged alert
    /// without re-opening it (`noise.cooldown_mins`).
    #[serde(with = "minutes")]
    pub cooldown: Duration,
}

impl Default for NoisePolicy {
    fn default() -> Self {
        NoisePolicy {
            dedup: true,
            cooldown: Duration::minutes(30),
        }
    }
}

/// What makes two detections "the same alert" (DESIGN §10): the event, type, book, market,
/// line, outcome, competitor, and the state of an availability alert or the direction of a
/// market move, so a `returned` never folds into its `suspended`. Stored as text in
/// `alerts.identity` and compared for equality only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertIdentity(String);

impl AlertIdentity {
    /// The identity of `alert`, whose event has database id `event_id`.
    pub fn of(event_id: i64, alert: &DetectedAlert) -> AlertIdentity {
        let line = alert.line.map(|l| l.to_string()).unwrap_or_default();
        let outcome = alert.outcome_name.as_deref().unwrap_or("");
        let (competitor, state) = match &alert.payload {
            AlertPayload::DirectionDisagreement(d) => (d.competitor.bookmaker.as_str(), ""),
            AlertPayload::Availability(a) => ("", a.change.as_str()),
            AlertPayload::MarketMove(m) => ("", m.direction.as_str()),
            _ => ("", ""),
        };
        // Unit separators cannot occur in names read from feeds as text, so no two identities
        // with different parts join to the same string.
        AlertIdentity(
            [
                event_id.to_string().as_str(),
                alert.alert_type().as_str(),
                &alert.bookmaker,
                &alert.market_id,
                &line,
                outcome,
                competitor,
                state,
            ]
            .join("\u{1f}"),
        )
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An identity read back from the store.
    pub fn from_stored(text: String) -> AlertIdentity {
        AlertIdentity(text)
    }
}

/// The newest stored alert of an identity, as much of it as the fold decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAlert {
    /// Database id.
    pub id: i64,
    /// Workflow state.
    pub status: Status,
    /// Its (worst) severity so far.
    pub severity: Severity,
    /// When it was acknowledged, if it is.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// A silence hid it.
    pub silenced: bool,
}

/// What one detection does, given the newest alert of its identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Store a new alert (no open alert of the identity, dedup off, the alert is past, the
    /// cooldown after its acknowledgement is over, or a silence hid it and no silence matches
    /// this detection).
    Open,
    /// The alert is `new`: record an occurrence and update it in place. `escalated` when the
    /// detection's severity is above the alert's.
    Update {
        /// The severity rose: highlight, bell and an audit entry.
        escalated: bool,
    },
    /// The alert was acknowledged within the cooldown and the detection is no more severe:
    /// record an occurrence without re-opening it.
    Record,
    /// The alert was acknowledged within the cooldown and the detection is more severe:
    /// re-open it as `new`, with an audit entry saying why.
    Reopen {
        /// Severity when acknowledged.
        from: Severity,
        /// The detection's severity.
        to: Severity,
    },
}

impl Fold {
    /// Whether this asks for a trader's attention (opened, escalated or re-opened): the measure
    /// of noise.
    pub const fn asks_attention(self) -> bool {
        matches!(
            self,
            Fold::Open | Fold::Update { escalated: true } | Fold::Reopen { .. }
        )
    }
}

/// Decides what a detection of `severity` at `at` does to `newest`, the newest stored alert of
/// its identity (DESIGN §10). `silenced`: an active silence matches the detection.
///
/// A silenced alert was dealt with by its silence: a detection no silence matches opens a new
/// alert, which asks for attention as any new one does, rather than quietly un-hiding the old
/// one (whose detections stay its history).
pub fn fold(
    policy: &NoisePolicy,
    newest: Option<&OpenAlert>,
    severity: Severity,
    silenced: bool,
    at: DateTime<Utc>,
) -> Fold {
    let Some(open) = newest.filter(|_| policy.dedup) else {
        return Fold::Open;
    };
    match open.status {
        Status::New if open.silenced && !silenced => Fold::Open,
        Status::New => Fold::Update {
            escalated: severity > open.severity,
        },
        Status::Acknowledged => {
            let in_cooldown = open
                .acknowledged_at
                .is_some_and(|acked| at < acked + policy.cooldown);
            if !in_cooldown {
                Fold::Open
            } else if severity > open.severity {
                Fold::Reopen {
                    from: open.severity,
                    to: severity,
                }
            } else {
                Fold::Record
            }
        }
        Status::Past => Fold::Open,
    }
}

/// One detection of an alert: when, how severe, and what it carried. The detection that opened
/// the alert is its first occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Database id.
    pub id: i64,
    /// The alert it was folded into.
    pub alert_id: i64,
    /// When it was detected.
    pub detected_at: DateTime<Utc>,
    /// Its own severity.
    pub severity: Severity,
    /// Its own prices and change.
    pub payload: AlertPayload,
}

/// Which alerts a silence matches: every set matcher must match; unset ones match anything. A
/// silence must set at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SilenceMatchers {
    /// Event (database id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    /// Tournament name, exactly as stored (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tournament: Option<String>,
    /// Book the alert is about (slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmaker: Option<String>,
    /// Canonical market id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    /// Line of the market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub line: Option<Line>,
    /// Outcome name (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Alert type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_type: Option<AlertType>,
    /// Only alerts at or below this severity (a critical one still gets through a
    /// `warning` silence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_severity: Option<Severity>,
}

/// What a silence is matched against: an alert's identity parts, its event's tournament and
/// its severity.
#[derive(Debug, Clone, Copy)]
pub struct SilenceTarget<'a> {
    /// Event database id.
    pub event_id: i64,
    /// The event's tournament, if known.
    pub tournament: Option<&'a str>,
    /// The alert's book.
    pub bookmaker: &'a str,
    /// Canonical market id.
    pub market_id: &'a str,
    /// Line.
    pub line: Option<Line>,
    /// Outcome.
    pub outcome: Option<&'a str>,
    /// Type.
    pub alert_type: AlertType,
    /// Severity.
    pub severity: Severity,
}

impl SilenceMatchers {
    /// True when no matcher but the maximum severity is set: such a silence would hide
    /// everything up to that severity, across every event and book, and is refused.
    pub fn is_empty(&self) -> bool {
        SilenceMatchers {
            max_severity: None,
            ..self.clone()
        } == SilenceMatchers::default()
    }

    /// Whether every set matcher matches `t`.
    pub fn matches(&self, t: &SilenceTarget<'_>) -> bool {
        fn same(want: Option<&str>, have: Option<&str>) -> bool {
            want.is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        }
        self.event_id.is_none_or(|e| e == t.event_id)
            && same(self.tournament.as_deref(), t.tournament)
            && self.bookmaker.as_deref().is_none_or(|b| b == t.bookmaker)
            && self.market_id.as_deref().is_none_or(|m| m == t.market_id)
            && self.line.is_none_or(|l| t.line == Some(l))
            && same(self.outcome.as_deref(), t.outcome)
            && self.alert_type.is_none_or(|a| a == t.alert_type)
            && self.max_severity.is_none_or(|s| t.severity <= s)
    }
}

/// How long a new silence lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceEnd {
    /// For this long from its start.
    For(Duration),
    /// Until the kickoff of the silenced event (needs an event matcher).
    UntilKickoff,
    /// Until this instant.
    At(DateTime<Utc>),
}

/// A silence as asked for by a trader (TUI form, CLI, API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSilence {
    /// What it matches.
    pub matchers: SilenceMatchers,
    /// When it ends.
    pub end: SilenceEnd,
    /// Why (shown to the rest of the desk); may be empty.
    pub reason: String,
}

/// A change to an existing silence (the silences screen, the API).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SilenceEdit {
    /// A new end, if it changes.
    pub end: Option<SilenceEnd>,
    /// A new reason, if it changes.
    pub reason: Option<String>,
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// Database id.
    pub id: i64,
    /// What it matches.
    pub matchers: SilenceMatchers,
    /// When it started to apply.
    pub starts_at: DateTime<Utc>,
    /// When it stops applying.
    pub ends_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
    /// Who made it.
    pub created_by: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was expired by hand or by housekeeping, if it was.
    pub expired_at: Option<DateTime<Utc>>,
    /// Who expired it (`system` for housekeeping).
    pub expired_by: Option<String>,
}

impl Silence {
    /// Whether it applies at `at`.
    pub fn is_active(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at && self.expired_at.is_none_or(|e| at < e)
    }
}

/// Serialises a [`Duration`] as whole minutes.
mod minutes {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_minutes())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::minutes)
    }
}

#[cfg(test)]
mod tests;
