//! Notifications (DESIGN §12), the pure part: which alerts a rule routes to which target, the
//! retry schedule, and the request signature. The outbox, the sender and the wire formats are at
//! the edges (`store::outbox`, `notify`).

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{AlertType, Severity};

wire_enum!(
    /// Why an alert is sent: what the generic format's `event` field says.
    NoticeKind, "notification kind" {
        /// The alert was stored.
        New = "new",
        /// A further detection raised its severity.
        Escalated = "escalated",
        /// A more severe detection re-opened it after an acknowledgement.
        Reopened = "reopened",
    }
);

/// One alert that asks for attention in a batch, as the routing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Stored alert id.
    pub alert_id: i64,
    /// What happened to it.
    pub kind: NoticeKind,
    /// Its severity after the batch.
    pub severity: Severity,
    /// Its type.
    pub alert_type: AlertType,
    /// The book it is about.
    pub bookmaker: String,
    /// An active silence hides it: never sent.
    pub silenced: bool,
}

/// A rule: send alerts of at least `min_severity`, of these types and books (empty: all), to
/// `target`. Carries no secret, so it may travel in a batch (and its dead letter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyRule {
    /// A target's name.
    pub target: String,
    /// The least severity sent.
    #[serde(default = "least_severity", alias = "minSeverity")]
    pub min_severity: Severity,
    /// Alert types sent; empty: all.
    #[serde(default)]
    pub types: Vec<AlertType>,
    /// Book slugs sent; empty: all.
    #[serde(default)]
    pub books: Vec<String>,
}

fn least_severity() -> Severity {
    Severity::Warning
}

impl NotifyRule {
    /// Whether the rule sends `notice` (never a silenced one).
    pub fn matches(&self, notice: &Notice) -> bool {
        !notice.silenced
            && notice.severity >= self.min_severity
            && (self.types.is_empty() || self.types.contains(&notice.alert_type))
            && (self.books.is_empty() || self.books.contains(&notice.bookmaker))
    }
}

/// One delivery to queue: an alert, why, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Stored alert id.
    pub alert_id: i64,
    /// What happened to it.
    pub kind: NoticeKind,
    /// Its severity when queued.
    pub severity: Severity,
    /// The target's name.
    pub target: String,
}

/// The deliveries `rules` make of `notices`: one per alert, kind and target however many rules
/// of that target match, in notice order.
pub fn route(rules: &[NotifyRule], notices: &[Notice]) -> Vec<Delivery> {
    let mut out = Vec::new();
    for notice in notices {
        let first = out.len();
        for rule in rules.iter().filter(|r| r.matches(notice)) {
            if out[first..]
                .iter()
                .any(|d: &Delivery| d.target == rule.target)
            {
                continue;
            }
            out.push(Delivery {
                alert_id: notice.alert_id,
                kind: notice.kind,
                severity: notice.severity,
                target: rule.target.clone(),
            });
        }
    }
    out
}

/// A delivery not made within this long after it was queued is given up (expired, counted).
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Failures in a row after which a target is paused by default (`notify.pause_after`).
pub const DEFAULT_PAUSE_AFTER: u32 = 5;

/// How long a target waits before its next attempt after `failures` failed attempts in a row
/// (1 or more): at once, then 30 s, 5 min, and hourly from then on.
pub fn retry_delay(failures: u32) -> Duration {
    match failures {
        0 | 1 => Duration::ZERO,
        2 => Duration::from_secs(30),
        3 => Duration::from_secs(300),
        _ => Duration::from_secs(3600),
    }
}

/// Whether `failures` failed attempts in a row pause a target, for `pause_after` (0: never).
pub fn pauses(failures: u32, pause_after: u32) -> bool {
    pause_after > 0 && failures >= pause_after
}

/// The request header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Oddswatch-Signature";

/// The request header carrying the delivery's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The signature header's value: `t=UNIX,v1=hex(HMAC-SHA256(secret, "t.body"))`.
pub fn signature(secret: &[u8], unix_secs: i64, body: &[u8]) -> String {
    format!(
        "t={unix_secs},v1={}",
        hex::encode(mac(secret, unix_secs, body))
    )
}

fn mac(secret: &[u8], unix_secs: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(unix_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Why a signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=…,v1=…`.
    #[error("the signature header is not t=UNIX,v1=HEX")]
    Malformed,
    /// The MAC does not match the body and time.
    #[error("the signature does not match the body")]
    Mismatch,
    /// The time is further from now than the tolerance (a replay).
    #[error("the signature's time is {0} s away from now")]
    Stale(i64),
}

/// Checks a signature header as a receiver does: the MAC over `"t.body"` (compared in constant
/// time) and `t` within `tolerance_secs` of `now_unix`. The README shows the same check.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(SignatureError::Malformed);
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&v1)
        .map_err(|_| SignatureError::Mismatch)?;
    if (now_unix - t).abs() > tolerance_secs {
        return Err(SignatureError::Stale(now_unix - t));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
