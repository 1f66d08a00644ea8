//! The market screen's state (issue 16): one event's board (every primary market × line ×
//! outcome × book) and the price history of the selected outcome across books.

use chrono::{DateTime, Utc};

use crate::domain::{Alert, Line, MarketBoard, PricePoint};

/// The market screen.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketScreen {
    /// The event shown.
    pub event_id: i64,
    /// "Home v Away".
    pub event_name: String,
    /// Kickoff.
    pub kickoff: DateTime<Utc>,
    /// The alert it was opened from (its row is highlighted), if any.
    pub alert: Option<Alert>,
    /// The board, once loaded.
    pub board: Option<MarketBoard>,
    /// Why the board could not be loaded.
    pub error: Option<String>,
    /// Number of the latest board request; older answers are dropped.
    pub seq: u64,
    /// Selected row among the board's outcome rows (flattened over markets).
    pub selected: usize,
    /// First row drawn.
    pub offset: usize,
    /// The market (id, line) whose history is loaded or loading.
    pub history_for: Option<(String, Option<Line>)>,
    /// Its recorded prices on every book, oldest first, once loaded.
    pub history: Option<Vec<PricePoint>>,
    /// Number of the latest history request.
    pub history_seq: u64,
}

impl MarketScreen {
    /// A screen for the alert's event, nothing loaded yet.
    pub fn of_alert(alert: &Alert) -> MarketScreen {
        MarketScreen {
            event_id: alert.event_id,
            event_name: alert.event_name.clone(),
            kickoff: alert.event_kickoff,
            alert: Some(alert.clone()),
            board: None,
            error: None,
            seq: 0,
            selected: 0,
            offset: 0,
            history_for: None,
            history: None,
            history_seq: 0,
        }
    }
}
