//! Silences and occurrences (DESIGN §10), for every face: the TUI's form and silences screen,
//! the CLI's `silence` commands and the API's `/api/silences`. The acting user and the clock
//! are the service's, as for acknowledgements.

use super::{AlertService, ServiceError};
use crate::domain::{NewSilence, Occurrence, Silence, SilenceEdit};

/// Longest silence reason accepted.
pub const MAX_REASON_CHARS: usize = 500;

/// Longest a silence may last, in days.
pub const MAX_SILENCE_DAYS: i64 = 30;

impl AlertService {
    /// Makes a silence as the service's user, starting now, and hides the `new` alerts it
    /// matches at once. Refused: no matcher, an end not after now or more than
    /// [`MAX_SILENCE_DAYS`] away, "until kickoff" without an event (or of an event that has
    /// started), a reason that fails [`super::check_text`].
    pub async fn create_silence(&self, silence: NewSilence) -> Result<Silence, ServiceError> {
        let _ = silence;
        todo!("issue 15: store helper")
    }

    /// Silences, newest first: the active ones, and the ended or expired ones too when
    /// `include_ended`.
    pub async fn silences(&self, include_ended: bool) -> Result<Vec<Silence>, ServiceError> {
        let _ = include_ended;
        todo!("issue 15: store helper")
    }

    /// One silence, or [`ServiceError::SilenceNotFound`].
    pub async fn silence(&self, id: i64) -> Result<Silence, ServiceError> {
        let _ = id;
        todo!("issue 15: store helper")
    }

    /// Changes a silence's end or reason (audited). Refused as [`AlertService::create_silence`]
    /// refuses its inputs, and for a silence that has ended.
    pub async fn edit_silence(&self, id: i64, edit: SilenceEdit) -> Result<Silence, ServiceError> {
        let _ = (id, edit);
        todo!("issue 15: store helper")
    }

    /// Ends a silence now (audited, as the service's user). Expiring one that has already
    /// ended changes nothing and returns it as it is.
    pub async fn expire_silence(&self, id: i64) -> Result<Silence, ServiceError> {
        let _ = id;
        todo!("issue 15: store helper")
    }

    /// Housekeeping: marks silences whose end has passed as expired by `system`; returns how
    /// many.
    pub async fn expire_ended_silences(&self) -> Result<u64, ServiceError> {
        todo!("issue 15: store helper")
    }

    /// Every detection of an alert, oldest first (the first is the one that opened it), or
    /// [`ServiceError::NotFound`].
    pub async fn occurrences(&self, alert_id: i64) -> Result<Vec<Occurrence>, ServiceError> {
        let _ = alert_id;
        todo!("issue 15: store helper")
    }
}
