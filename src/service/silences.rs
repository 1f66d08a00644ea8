//! Silences and occurrences (DESIGN §10), for every face: the TUI's form and silences screen,
//! the CLI's `silence` commands and the API's `/api/silences`. The acting user and the clock
//! are the service's, as for acknowledgements.

use chrono::{DateTime, Duration, Utc};

use super::{AlertService, MAX_BOOKMAKER_CHARS, ServiceError, check_text};
use crate::domain::{NewSilence, Occurrence, Silence, SilenceEdit, SilenceEnd, SilenceMatchers};

/// Longest silence reason accepted.
pub const MAX_REASON_CHARS: usize = 500;

/// Longest a silence may last, in days.
pub const MAX_SILENCE_DAYS: i64 = 30;

/// Longest text matcher (tournament, market id, outcome) accepted.
const MAX_MATCHER_CHARS: usize = 200;

/// Checks the matchers: at least one set, text ones within bounds.
fn check_matchers(m: &SilenceMatchers) -> Result<(), ServiceError> {
    if m.is_empty() {
        return Err(ServiceError::InvalidArgument {
            name: "matchers",
            value: if m.max_severity.is_some() {
                "with only a maximum severity".into()
            } else {
                "none".into()
            },
            allowed: "at least one of event, tournament, bookmaker, market, line, outcome or type \
                      (a maximum severity only narrows them: a silence of every event is refused)"
                .into(),
        });
    }
    let texts = [
        ("tournament", m.tournament.as_deref(), MAX_MATCHER_CHARS),
        ("bookmaker", m.bookmaker.as_deref(), MAX_BOOKMAKER_CHARS),
        ("market", m.market_id.as_deref(), MAX_MATCHER_CHARS),
        ("outcome", m.outcome.as_deref(), MAX_MATCHER_CHARS),
    ];
    for (name, value, max) in texts {
        if let Some(value) = value {
            if value.trim().is_empty() {
                return Err(ServiceError::InvalidArgument {
                    name,
                    value: "empty".into(),
                    allowed: "a non-empty value, or leave the matcher out".into(),
                });
            }
            check_text(name, value, max)?;
        }
    }
    Ok(())
}

/// The reason, trimmed and checked.
fn checked_reason(reason: &str) -> Result<String, ServiceError> {
    let reason = reason.trim();
    check_text("reason", reason, MAX_REASON_CHARS)?;
    Ok(reason.to_string())
}

impl AlertService {
    /// When a silence starting at `start` and ending as `end` ends, checked against now: after
    /// now and at most [`MAX_SILENCE_DAYS`] after it.
    async fn resolve_end(
        &self,
        matchers: &SilenceMatchers,
        start: DateTime<Utc>,
        end: SilenceEnd,
    ) -> Result<DateTime<Utc>, ServiceError> {
        let now = self.now();
        let ends_at = match end {
            SilenceEnd::For(d) => {
                if d <= Duration::zero() {
                    return Err(ServiceError::InvalidArgument {
                        name: "duration",
                        value: format!("{} minutes", d.num_minutes()),
                        allowed: format!("more than 0 and at most {MAX_SILENCE_DAYS} days"),
                    });
                }
                start + d
            }
            SilenceEnd::At(at) => at,
            SilenceEnd::UntilKickoff => {
                let Some(event_id) = matchers.event_id else {
                    return Err(ServiceError::InvalidArgument {
                        name: "end",
                        value: "until kickoff".into(),
                        allowed: "only for a silence of one event (set its event)".into(),
                    });
                };
                match self.store.event_kickoff(event_id).await? {
                    None => return Err(unknown_event(event_id)),
                    Some(None) => {
                        return Err(ServiceError::InvalidArgument {
                            name: "end",
                            value: "until kickoff".into(),
                            allowed: format!(
                                "an event with a known kickoff (event {event_id} has none): give a duration"
                            ),
                        });
                    }
                    Some(Some(kickoff)) if kickoff <= now => {
                        return Err(ServiceError::InvalidArgument {
                            name: "end",
                            value: "until kickoff".into(),
                            allowed: format!(
                                "an event that has not started (event {event_id} kicked off at {})",
                                kickoff.format("%Y-%m-%d %H:%M UTC")
                            ),
                        });
                    }
                    Some(Some(kickoff)) => kickoff,
                }
            }
        };
        if ends_at <= now {
            return Err(ServiceError::InvalidArgument {
                name: "end",
                value: ends_at.to_rfc3339(),
                allowed: "a time after now".into(),
            });
        }
        if ends_at - now > Duration::days(MAX_SILENCE_DAYS) {
            return Err(ServiceError::InvalidArgument {
                name: "end",
                value: ends_at.to_rfc3339(),
                allowed: format!("at most {MAX_SILENCE_DAYS} days from now"),
            });
        }
        Ok(ends_at)
    }

    /// Makes a silence as the service's user, starting now, and hides the `new` alerts it
    /// matches at once. Refused: no matcher, an end not after now or more than
    /// [`MAX_SILENCE_DAYS`] away, "until kickoff" without an event (or of an event that has
    /// started), a reason that fails [`super::check_text`].
    pub async fn create_silence(&self, mut silence: NewSilence) -> Result<Silence, ServiceError> {
        // Book slugs are lower case everywhere; `Betpawa` would otherwise silence nothing.
        silence.matchers.bookmaker = silence
            .matchers
            .bookmaker
            .map(|b| b.trim().to_ascii_lowercase());
        check_matchers(&silence.matchers)?;
        let reason = checked_reason(&silence.reason)?;
        if let Some(event_id) = silence.matchers.event_id
            && self.store.event_kickoff(event_id).await?.is_none()
        {
            return Err(unknown_event(event_id));
        }
        let now = self.now();
        let ends_at = self
            .resolve_end(&silence.matchers, now, silence.end)
            .await?;
        let (stored, _hidden) = self
            .store
            .create_silence(&silence.matchers, ends_at, &reason, &self.user, now)
            .await?;
        Ok(stored)
    }

    /// Silences, newest first: the active ones, and the ended or expired ones too when
    /// `include_ended`.
    pub async fn silences(&self, include_ended: bool) -> Result<Vec<Silence>, ServiceError> {
        Ok(self.store.list_silences(include_ended, self.now()).await?)
    }

    /// One silence, or [`ServiceError::SilenceNotFound`].
    pub async fn silence(&self, id: i64) -> Result<Silence, ServiceError> {
        self.store
            .get_silence(id)
            .await?
            .ok_or(ServiceError::SilenceNotFound(id))
    }

    /// Changes a silence's end or reason (audited). Refused as [`AlertService::create_silence`]
    /// refuses its inputs, and for a silence that has ended.
    pub async fn edit_silence(&self, id: i64, edit: SilenceEdit) -> Result<Silence, ServiceError> {
        let current = self.silence(id).await?;
        let now = self.now();
        if !current.is_active(now) {
            return Err(ServiceError::InvalidArgument {
                name: "silence",
                value: format!("{id}, which ended at {}", ended_at(&current).to_rfc3339()),
                allowed: "only a silence that has not ended can be edited".into(),
            });
        }
        let reason = edit.reason.as_deref().map(checked_reason).transpose()?;
        let ends_at = match edit.end {
            Some(end) => Some(
                self.resolve_end(&current.matchers, current.starts_at, end)
                    .await?,
            ),
            None => None,
        };
        self.store
            .edit_silence(id, ends_at, reason.as_deref(), &self.user, now)
            .await?
            .ok_or(ServiceError::SilenceNotFound(id))
    }

    /// Ends a silence now (audited, as the service's user) and shows again the new alerts it
    /// hid. Expiring one that has already ended changes nothing and returns it as it is.
    pub async fn expire_silence(&self, id: i64) -> Result<Silence, ServiceError> {
        self.store
            .expire_silence(id, &self.user, self.now())
            .await?
            .ok_or(ServiceError::SilenceNotFound(id))
    }

    /// Housekeeping: marks silences whose end has passed as expired by `system`; returns how
    /// many.
    pub async fn expire_ended_silences(&self) -> Result<u64, ServiceError> {
        Ok(self.store.expire_ended_silences(self.now()).await?)
    }

    /// Every detection of an alert, oldest first (the first is the one that opened it), or
    /// [`ServiceError::NotFound`].
    pub async fn occurrences(&self, alert_id: i64) -> Result<Vec<Occurrence>, ServiceError> {
        let occurrences = self.store.occurrences(alert_id).await?;
        if occurrences.is_empty() && self.store.get_alert(alert_id).await?.is_none() {
            return Err(ServiceError::NotFound(alert_id));
        }
        Ok(occurrences)
    }
}

/// When a silence stopped applying.
fn ended_at(s: &Silence) -> DateTime<Utc> {
    s.expired_at.map_or(s.ends_at, |e| e.min(s.ends_at))
}

fn unknown_event(event_id: i64) -> ServiceError {
    ServiceError::InvalidArgument {
        name: "event",
        value: event_id.to_string(),
        allowed: "the id of a stored event".into(),
    }
}
