//! The market screen's reads (issue 16): an event's board and any of its markets' history.

use chrono::Duration;

use super::{AlertService, ServiceError};
use crate::domain::{Line, MarketBoard, PricePoint};

impl AlertService {
    /// The board of an event: its primary markets × line × outcome on every book, with margins,
    /// consensus fair odds and the home book's edge (DESIGN §9), by the stored current odds.
    pub async fn market_board(&self, event_id: i64) -> Result<MarketBoard, ServiceError> {
        let _ = event_id;
        todo!("issue 16: service market_board")
    }

    /// The recorded prices of one market (and line) of an event over the last `window`, on every
    /// book, oldest first, at most `limit` rows (the newest ones when there are more).
    pub async fn market_history(
        &self,
        event_id: i64,
        market_id: &str,
        line: Option<Line>,
        window: Duration,
        limit: u32,
    ) -> Result<Vec<PricePoint>, ServiceError> {
        let _ = (event_id, market_id, line, window, limit);
        todo!("issue 16: service market_history")
    }
}
