//! The sender: delivers the outbox (DESIGN §12). Each pass gives up day-old deliveries, then for
//! every configured target it can claim, sends the pending deliveries oldest first, each signed
//! and with its idempotency key, until one fails: the target then waits by the retry schedule
//! (at once, 30 s, 5 min, hourly) and is paused after `notify.pause_after` failures in a row.
//!
//! A pass takes `now` from its caller, so the tests drive hours of outage in a moment against a
//! real receiver; the running sender passes the clock once a second.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::format;
use crate::config::{NotifyConfig, NotifyTarget};
use crate::domain::{IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signature};
use crate::store::{Store, StoreError};

/// Pending deliveries read per query.
const CHUNK: u32 = 50;
/// Deliveries one target sends per pass at most, so one busy target does not hold the others.
const PER_PASS: usize = 200;
/// How often the running sender passes.
pub const PASS_EVERY: Duration = Duration::from_secs(1);

/// What one pass (or a run of them) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Deliveries made.
    pub delivered: u64,
    /// Attempts that failed.
    pub failed: u64,
    /// Deliveries given up: a day old, or their alert purged.
    pub given_up: u64,
    /// Targets paused by this pass.
    pub paused: Vec<String>,
}

impl std::ops::AddAssign for PassReport {
    fn add_assign(&mut self, other: PassReport) {
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.given_up += other.given_up;
        self.paused.extend(other.paused);
    }
}

/// The idempotency key of outbox row `id`: the same on every retry, from every daemon.
pub fn idempotency_key(id: i64) -> String {
    format!("oddswatch-{id}")
}

/// Why a request failed, without the URL (which may carry a token).
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {} s", timeout.as_secs());
    }
    let mut root: &dyn std::error::Error = e;
    while let Some(source) = root.source() {
        root = source;
    }
    let kind = if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The root cause is an OS or protocol error ("Connection refused (os error 111)"), never
    // the request's URL; the reqwest error itself, which names the URL, is not shown.
    let root = root.to_string();
    if root.contains("://") {
        kind.to_string()
    } else {
        format!("{kind}: {root}")
    }
}

/// Sends one body to `target`, signed when it has a secret. `Err` holds a reason safe to store
/// and log (never the URL or the key).
pub async fn post(
    client: &reqwest::Client,
    target: &NotifyTarget,
    body: Vec<u8>,
    key: Option<&str>,
    now: DateTime<Utc>,
    timeout: Duration,
) -> Result<u16, String> {
    let mut request = client
        .post(target.url.expose().trim())
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        request = request.header(IDEMPOTENCY_HEADER, key);
    }
    let secret = target.secret.expose();
    if !secret.is_empty() {
        request = request.header(
            SIGNATURE_HEADER,
            signature(secret.as_bytes(), now.timestamp(), &body),
        );
    }
    match request.body(body).send().await {
        Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
        Ok(response) => Err(format!("answered HTTP {}", response.status())),
        Err(e) => Err(describe(&e, timeout)),
    }
}

/// The HTTP client of the sender and `notify test`: no redirects (a webhook that redirects is
/// misconfigured, and a redirect would carry the signature elsewhere).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("oddswatch/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client builds")
}

/// Delivers the outbox of one database to the configured targets.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    config: NotifyConfig,
    client: reqwest::Client,
    id: String,
}

impl Sender {
    /// A sender for `config`'s targets on `store`, named uniquely for its claims.
    pub fn new(store: Store, config: NotifyConfig) -> Self {
        let id = format!(
            "{}:{}:{:08x}",
            crate::store::DaemonRegistration::host_name(),
            std::process::id(),
            rand::random::<u32>()
        );
        Sender {
            store,
            config,
            client: client(),
            id,
        }
    }

    /// One pass at `now` (see the module doc).
    pub async fn pass(&self, now: DateTime<Utc>) -> Result<PassReport, StoreError> {
        let mut report = PassReport {
            given_up: self.store.expire_deliveries(now).await?,
            ..PassReport::default()
        };
        if report.given_up > 0 {
            tracing::warn!(
                given_up = report.given_up,
                "notifications not delivered within 24 h were given up"
            );
        }
        let waiting = self.store.targets_with_pending().await?;
        for target in &self.config.targets {
            if !waiting.iter().any(|(name, _)| *name == target.name) {
                continue;
            }
            if !self.store.claim_target(&target.name, &self.id, now).await? {
                continue;
            }
            let sent = self.deliver(target, now, &mut report).await;
            self.store.release_target(&target.name, &self.id).await?;
            sent?;
        }
        for (target, pending, paused) in self.store.outbox_gauges().await? {
            crate::metrics::record_outbox_depth(&target, u64::try_from(pending).unwrap_or(0));
            crate::metrics::record_target_paused(&target, paused);
        }
        Ok(report)
    }

    async fn deliver(
        &self,
        target: &NotifyTarget,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<(), StoreError> {
        let timeout = Duration::from_secs(self.config.timeout_secs);
        let mut sent = 0;
        while sent < PER_PASS {
            let pending = self.store.pending_deliveries(&target.name, CHUNK).await?;
            if pending.is_empty() {
                return Ok(());
            }
            let ids: Vec<i64> = pending.iter().map(|d| d.alert_id).collect();
            let alerts = self.store.get_alerts(&ids).await?;
            for delivery in &pending {
                let Some(alert) = alerts.iter().find(|a| a.id == delivery.alert_id) else {
                    self.store
                        .delivery_given_up(delivery.id, "the alert is no longer stored")
                        .await?;
                    report.given_up += 1;
                    continue;
                };
                if !self
                    .store
                    .renew_target_claim(&target.name, &self.id, now)
                    .await?
                {
                    return Ok(());
                }
                let body = format::body(target, alert, delivery.kind);
                let key = idempotency_key(delivery.id);
                let started = Instant::now();
                let sent_result = post(&self.client, target, body, Some(&key), now, timeout).await;
                crate::metrics::record_delivery(
                    &target.name,
                    sent_result.is_ok(),
                    started.elapsed().as_secs_f64(),
                );
                match sent_result {
                    Ok(_) => {
                        self.store
                            .delivery_made(&target.name, delivery.id, now)
                            .await?;
                        report.delivered += 1;
                        sent += 1;
                        tracing::debug!(target = %target.name, key, ms = started.elapsed().as_millis() as u64, "notification delivered");
                    }
                    Err(reason) => {
                        report.failed += 1;
                        let failure = self
                            .store
                            .delivery_failed(
                                &target.name,
                                delivery.id,
                                &reason,
                                now,
                                self.config.pause_after,
                            )
                            .await?;
                        if failure.paused {
                            report.paused.push(target.name.clone());
                            tracing::error!(
                                target = %target.name,
                                failures = failure.failures,
                                %reason,
                                "notify target paused after failures in a row; `oddswatch notify resume {}` retries it",
                                target.name
                            );
                        } else {
                            tracing::warn!(
                                target = %target.name,
                                failures = failure.failures,
                                %reason,
                                next_attempt_at = %failure.next_attempt_at,
                                "notification not delivered; retrying later"
                            );
                        }
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Passes every [`PASS_EVERY`] until `stop` turns true (a pass in flight finishes its
    /// current request first); returns the totals. On SQLite the claims left by a dead
    /// predecessor are released first: only one process scrapes an SQLite file.
    pub fn spawn(self, mut stop: watch::Receiver<bool>) -> JoinHandle<PassReport> {
        tokio::spawn(async move {
            if matches!(self.store, Store::Sqlite(_))
                && let Err(e) = self.store.release_all_targets().await
            {
                tracing::warn!(error = %e, "cannot release old notify claims");
            }
            let mut total = PassReport::default();
            let mut ticker = tokio::time::interval(PASS_EVERY);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stop.changed() => break,
                }
                if *stop.borrow() {
                    break;
                }
                match self.pass(Utc::now()).await {
                    Ok(report) => total += report,
                    Err(e) => {
                        tracing::warn!(error = %e, "notification pass failed; retrying in a second")
                    }
                }
            }
            total
        })
    }
}
