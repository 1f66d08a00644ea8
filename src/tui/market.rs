//! The market screen's state (issue 16): one event's board (every primary market × line ×
//! outcome × book) and the price history of the selected outcome across books.
//!
//! Besides the state, this module holds the screen's geometry ([`MarketScreen::geometry`]): the
//! update uses it to page and keep the selection visible, the view to draw, so both always agree
//! on how many rows fit.
//!
//! Choices (what DESIGN.md leaves open):
//! - The selection moves over outcome rows only; a market's header row (its name, each book's
//!   margin) scrolls into view with its first outcome, so a selected price never loses its market.
//! - An alert about a whole market (a `margin`) highlights the market's header row, and the
//!   selection starts on its first outcome; an alert the board cannot place (an event-level
//!   availability alert, a market no longer priced) highlights nothing and starts at the top.
//! - The chart is beside the board when the screen is wide enough for both, below it when the
//!   screen is tall enough, else behind the chart key (at 80x24); the key hides it where it is
//!   shown by default, so one key does the sensible thing at every size.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;

use crate::domain::{Alert, Line, MarketBoard, PricePoint};

/// The key that shows or hides the chart on the market screen (not a bindable command: it
/// means nothing elsewhere).
pub const CHART_KEY: char = 'h';
/// Width of the outcome / market label column.
pub const LABEL_WIDTH: u16 = 10;
/// Width of a book's cell with the age of its price: `20.00* 2h05`.
pub const CELL_WIDE: u16 = 12;
/// Width of a book's cell without the age: `20.00*`.
pub const CELL_NARROW: u16 = 7;
/// Width of the fair odds column.
pub const FAIR_WIDTH: u16 = 6;
/// Width of the edge column (`+857.8%C`: the edge and its band's letter).
pub const EDGE_WIDTH: u16 = 8;
/// Seconds between the reloads of an open screen's board and chart: prices move without an
/// alert, and the ages beside them would otherwise grow on prices long replaced.
pub const RELOAD_SECS: i64 = 10;
/// Width of the note column (pattern, the alert's type) when it has room.
pub const NOTE_WIDTH: u16 = 12;
/// Narrowest chart worth drawing beside the board.
const CHART_MIN_WIDTH: u16 = 40;
/// Smallest body (rows) with room for the board and a chart below it by default.
const CHART_BELOW_MIN_HEIGHT: u16 = 22;
/// Board rows kept above the chart when it is shown on a short screen.
const SHORT_BOARD_ROWS: u16 = 5;

/// One drawn row of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardRow {
    /// A market's header: its name and line, each book's margin.
    Market(usize),
    /// An outcome of a market: `(market index, outcome index)`.
    Outcome(usize, usize),
}

/// Where the chart goes on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartPlace {
    /// Right of the board.
    Beside,
    /// Under the board.
    Below,
    /// Not shown.
    Hidden,
}

/// The market screen's areas and columns for one body area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// The title line: event, kickoff, books.
    pub title: Rect,
    /// The board's column headers.
    pub header: Rect,
    /// The board's rows.
    pub rows: Rect,
    /// The chart, when shown.
    pub chart: Option<Rect>,
    /// Where the chart is.
    pub place: ChartPlace,
    /// Books drawn (the first this many columns of the board).
    pub books: usize,
    /// Whether each price's cell also says how long ago it last changed.
    pub ages: bool,
    /// Width of a book's cell.
    pub cell: u16,
    /// Width of the note column (0: none).
    pub note: u16,
}

/// Columns before and after the books: the alert marker and label, fair odds and edge.
const fn fixed_width() -> u16 {
    1 + LABEL_WIDTH + (1 + FAIR_WIDTH) + (1 + EDGE_WIDTH)
}

/// Width of the board with `books` cells of `cell` columns and a note column.
pub const fn board_width(books: u16, cell: u16) -> u16 {
    fixed_width() + books * (1 + cell) + 1 + NOTE_WIDTH
}

/// The market screen.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketScreen {
    /// The event shown.
    pub event_id: i64,
    /// "Home v Away".
    pub event_name: String,
    /// The event's tournament, when known.
    pub tournament: Option<String>,
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
    /// A board request is out and unanswered: the periodic reload waits for it.
    pub board_in_flight: bool,
    /// When the latest board request went out (`state.now`), to space the periodic reloads.
    pub requested_at: Option<DateTime<Utc>>,
    /// When the board on screen arrived (`state.now`): the title says how fresh its prices are.
    pub loaded_at: Option<DateTime<Utc>>,
    /// Selected row among the board's outcome rows (flattened over markets).
    pub selected: usize,
    /// First row drawn (among [`MarketScreen::rows`], market headers included).
    pub offset: usize,
    /// The market (id, line) whose history is loaded or loading.
    pub history_for: Option<(String, Option<Line>)>,
    /// Its recorded prices on every book, oldest first, once loaded.
    pub history: Option<Vec<PricePoint>>,
    /// Why the history could not be loaded.
    pub history_error: Option<String>,
    /// Number of the latest history request.
    pub history_seq: u64,
    /// The chart key was pressed: the chart is shown where it is hidden by default (80x24) and
    /// hidden where it is shown by default.
    pub chart_toggled: bool,
}

impl MarketScreen {
    /// A screen for the alert's event, nothing loaded yet.
    pub fn of_alert(alert: &Alert) -> MarketScreen {
        MarketScreen {
            tournament: alert.tournament.clone(),
            alert: Some(alert.clone()),
            ..MarketScreen::of_event(alert.event_id, &alert.event_name, alert.event_kickoff)
        }
    }

    /// A screen for an event without an alert to highlight (a group row of the grouped view).
    pub fn of_event(event_id: i64, event_name: &str, kickoff: DateTime<Utc>) -> MarketScreen {
        MarketScreen {
            event_id,
            event_name: event_name.to_string(),
            tournament: None,
            kickoff,
            alert: None,
            board: None,
            error: None,
            seq: 0,
            board_in_flight: false,
            requested_at: None,
            loaded_at: None,
            selected: 0,
            offset: 0,
            history_for: None,
            history: None,
            history_error: None,
            history_seq: 0,
            chart_toggled: false,
        }
    }

    /// The board's rows as drawn: each market's header, then its outcomes.
    pub fn rows(&self) -> Vec<BoardRow> {
        let Some(board) = &self.board else {
            return Vec::new();
        };
        let mut rows = Vec::new();
        for (m, market) in board.markets.iter().enumerate() {
            rows.push(BoardRow::Market(m));
            rows.extend((0..market.outcomes.len()).map(|o| BoardRow::Outcome(m, o)));
        }
        rows
    }

    /// How many outcome rows the board has (the selection's range).
    pub fn outcome_count(&self) -> usize {
        self.board
            .as_ref()
            .map_or(0, |b| b.markets.iter().map(|m| m.outcomes.len()).sum())
    }

    /// The selected outcome as `(market index, outcome index)`.
    pub fn selected_outcome(&self) -> Option<(usize, usize)> {
        self.outcome_at(self.selected)
    }

    /// The outcome row number `index` as `(market index, outcome index)`.
    pub fn outcome_at(&self, index: usize) -> Option<(usize, usize)> {
        let board = self.board.as_ref()?;
        let mut left = index;
        for (m, market) in board.markets.iter().enumerate() {
            if left < market.outcomes.len() {
                return Some((m, left));
            }
            left -= market.outcomes.len();
        }
        None
    }

    /// The outcome row number of `(market index, outcome index)`.
    pub fn outcome_index(&self, market: usize, outcome: usize) -> Option<usize> {
        let board = self.board.as_ref()?;
        let before: usize = board
            .markets
            .iter()
            .take(market)
            .map(|m| m.outcomes.len())
            .sum();
        board
            .markets
            .get(market)
            .filter(|m| outcome < m.outcomes.len())
            .map(|_| before + outcome)
    }

    /// The selected market's id and line: the history the chart needs.
    pub fn selected_market(&self) -> Option<(String, Option<Line>)> {
        let (m, _) = self.selected_outcome()?;
        let market = &self.board.as_ref()?.markets[m];
        Some((market.market_id.clone(), market.line))
    }

    /// Where the alert sits on the board: `(market index, outcome index)`, the outcome `None`
    /// for an alert about the whole market.
    pub fn alert_position(&self) -> Option<(usize, Option<usize>)> {
        let alert = self.alert.as_ref()?;
        self.board
            .as_ref()?
            .position(&alert.market_id, alert.line, alert.outcome_name.as_deref())
    }

    /// The outcome row the selection starts on: the alert's, the first of the alert's market,
    /// else the first.
    pub fn start_row(&self) -> usize {
        match self.alert_position() {
            Some((m, o)) => self.outcome_index(m, o.unwrap_or(0)).unwrap_or(0),
            None => 0,
        }
    }

    /// The drawn row (among [`MarketScreen::rows`]) of outcome row `index`.
    pub fn drawn_row(&self, index: usize) -> usize {
        // Each market before it adds its header row; its own market adds one more.
        self.outcome_at(index).map_or(0, |(m, _)| index + m + 1)
    }

    /// The first drawn row for a board area of `height` rows, starting from `offset` and moved
    /// just enough to show the selection (with its market's header when it is the market's
    /// first outcome) and no empty rows past the end.
    pub fn visible_offset(&self, height: usize) -> usize {
        let total = self.rows().len();
        let height = height.max(1);
        let mut offset = self.offset;
        if let Some((_, o)) = self.selected_outcome() {
            let row = self.drawn_row(self.selected);
            let top = if o == 0 { row.saturating_sub(1) } else { row };
            if top < offset {
                offset = top;
            }
            if row >= offset + height {
                offset = row + 1 - height;
            }
        }
        offset.min(total.saturating_sub(height))
    }

    /// The screen's areas and columns in `body`.
    pub fn geometry(&self, body: Rect) -> Geometry {
        let books = self.board.as_ref().map_or(0, |b| b.books.len());
        let [title, below] = split_top(body, 1);
        let wide = board_width(books as u16, CELL_WIDE);
        let by_default = if body.width >= wide + CHART_MIN_WIDTH {
            ChartPlace::Beside
        } else if body.height >= CHART_BELOW_MIN_HEIGHT {
            ChartPlace::Below
        } else {
            ChartPlace::Hidden
        };
        let place = match (by_default, self.chart_toggled) {
            (ChartPlace::Hidden, true) => ChartPlace::Below,
            (_, true) => ChartPlace::Hidden,
            (place, false) => place,
        };
        let (board, chart) = match place {
            ChartPlace::Beside => {
                let board = Rect {
                    width: wide,
                    ..below
                };
                let chart = Rect {
                    x: below.x + wide + 1,
                    width: below.width.saturating_sub(wide + 1),
                    ..below
                };
                (board, Some(chart))
            }
            ChartPlace::Below => {
                let board_height = if by_default == ChartPlace::Below {
                    below.height / 2
                } else {
                    (1 + SHORT_BOARD_ROWS).min(below.height)
                };
                let [board, chart] = split_top(below, board_height);
                (board, Some(chart))
            }
            ChartPlace::Hidden => (below, None),
        };
        let [header, rows] = split_top(board, 1);
        let (shown, cell) = columns(books, board.width);
        let used = fixed_width() + shown as u16 * (1 + cell);
        let note = board.width.saturating_sub(used + 1).min(NOTE_WIDTH);
        Geometry {
            title,
            header,
            rows,
            chart,
            place,
            books: shown,
            ages: cell == CELL_WIDE,
            cell,
            note,
        }
    }
}

/// How many books fit in `width` and at which cell width: every book with ages if they fit,
/// else without, else as many as fit without.
fn columns(books: usize, width: u16) -> (usize, u16) {
    let room = width.saturating_sub(fixed_width());
    if books as u16 * (1 + CELL_WIDE) <= room {
        (books, CELL_WIDE)
    } else {
        let fit = usize::from(room / (1 + CELL_NARROW));
        (books.min(fit), CELL_NARROW)
    }
}

/// `area` cut into its first `height` rows and the rest.
fn split_top(area: Rect, height: u16) -> [Rect; 2] {
    let height = height.min(area.height);
    [
        Rect { height, ..area },
        Rect {
            y: area.y + height,
            height: area.height - height,
            ..area
        },
    ]
}
