//! The market screen at scale (issue 16): "it opens in under 50 ms p99 on a 1,000,000-alert
//! database". On the demo database of `--alerts` alerts, every event gets the simulator's card
//! of current odds and 48 hours of price history ([`super::odds_seed`]); then the screen is
//! opened for random events, as the UI opens it: the event's board
//! ([`AlertService::market_board`]), the first market's history
//! ([`AlertService::market_history`], 48 hours, 2,000 rows, as the UI asks) and a full render
//! of the screen at 80x24 on a `TestBackend`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde::Serialize;

use super::odds_seed::seed_odds;
use crate::config::Config;
use crate::service::{AlertService, now_millis};
use crate::store::{EventRecord, Store};
use crate::tui::keymap::Keymap;
use crate::tui::market::MarketScreen;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::view;

/// Screens opened per backend (after [`WARM_UP`] opens that are not counted).
pub const OPENS: usize = 300;

/// Opens before the measured ones (connections made, caches warm, as in a running UI).
const WARM_UP: usize = 10;

/// The history the UI asks for when the screen opens.
const HISTORY_HOURS: i64 = 48;
const HISTORY_ROWS: u32 = 2_000;

/// p50, p95 and p99 of one step, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

/// Percentiles of `samples` (nearest rank).
pub fn percentiles(samples: &mut [Duration]) -> Percentiles {
    if samples.is_empty() {
        return Percentiles::default();
    }
    samples.sort();
    let at =
        |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
    Percentiles {
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        p99_ms: at(0.99),
    }
}

/// The market screen's figures on one backend.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BoardReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Alerts stored.
    pub alerts: u64,
    /// Events with odds.
    pub events: u64,
    /// Current-odds rows written by the seed (the moves update them in place).
    pub odds_rows: u64,
    /// Price-history rows written by the seed.
    pub history_rows: u64,
    /// Seconds the seed took.
    pub seed_s: f64,
    /// Screens opened and measured.
    pub opens: usize,
    /// Open: board + history + render, what a trader waits for.
    pub open: Percentiles,
    /// The board alone (settings overrides, current odds, the §9 arithmetic).
    pub board: Percentiles,
    /// The first market's history.
    pub history: Percentiles,
    /// The render at 80x24; `None` when the market view is not built in this binary.
    pub render: Option<Percentiles>,
    /// Mean outcome rows on a board.
    pub rows_per_board: f64,
    /// Mean history points loaded.
    pub points_per_history: f64,
    /// The plan of the board's current-odds read on this database.
    pub plan: Vec<String>,
}

/// Every event of the database with its id, for the seed and the random opens (and for
/// `demo-data`, which seeds the odds of the events it made).
pub async fn stored_events(store: &Store) -> Result<Vec<(i64, EventRecord)>> {
    type Row = (
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let sql = "SELECT id, sr_id, home_team, away_team, tournament, country, kickoff FROM events ORDER BY id";
    let rows: Vec<Row> = match store {
        Store::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .wrap_err("reading the events to seed")?;
    Ok(rows
        .into_iter()
        .map(
            |(id, sr_id, home_team, away_team, tournament, country, kickoff)| {
                (
                    id,
                    EventRecord {
                        sr_id,
                        home_team,
                        away_team,
                        tournament,
                        country,
                        kickoff,
                    },
                )
            },
        )
        .collect())
}

/// Seeds odds into the database at `url` (already holding the demo alerts and events) and
/// measures [`OPENS`] market screens; `say` reports progress.
pub async fn measure(
    store: &Store,
    url: &str,
    alerts: u64,
    say: &impl Fn(&str),
) -> Result<BoardReport> {
    let events = stored_events(store).await?;
    color_eyre::eyre::ensure!(!events.is_empty(), "the demo database has no events");
    let records: Vec<EventRecord> = events.iter().map(|(_, r)| r.clone()).collect();
    say(&format!("  seeding odds for {} events", records.len()));
    let started = Instant::now();
    let seeded = seed_odds(store, &records, now_millis(), 1).await?;
    let seed_s = started.elapsed().as_secs_f64();
    store.analyze().await?;

    let service = AlertService::new(store.clone(), "bench");
    let primary: Vec<String> = Config::defaults().detection.primary_markets;
    let plan = store.explain_event_odds(events[0].0, &primary).await?;

    let mut config = Config::defaults();
    config.database.url = crate::config::Secret::new(url.to_string());
    let mut state = State::new(
        Utc::now(),
        url.to_string(),
        Arc::new(config),
        Arc::new(Keymap::defaults()),
    );
    let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
    let theme = Theme::color();
    let mut rng = SmallRng::seed_from_u64(16);
    let mut renders = true;
    let (mut open, mut board_t, mut history_t, mut render_t) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut rows, mut points) = (0usize, 0usize);
    for i in 0..WARM_UP + OPENS {
        let (id, record) = &events[rng.gen_range(0..events.len())];
        let t0 = Instant::now();
        let board = service.market_board(*id).await?;
        let t1 = Instant::now();
        let first = board.markets.first().map(|m| (m.market_id.clone(), m.line));
        let history = match &first {
            Some((market, line)) => Some(
                service
                    .market_history(
                        *id,
                        market,
                        *line,
                        chrono::Duration::hours(HISTORY_HOURS),
                        HISTORY_ROWS,
                    )
                    .await?,
            ),
            None => None,
        };
        let t2 = Instant::now();
        let outcome_rows = board
            .markets
            .iter()
            .map(|m| m.outcomes.len())
            .sum::<usize>();
        let loaded = history.as_ref().map_or(0, Vec::len);
        let mut screen = MarketScreen::of_event(
            *id,
            &format!("{} v {}", record.home_team, record.away_team),
            record.kickoff.unwrap_or_else(Utc::now),
        );
        screen.tournament.clone_from(&record.tournament);
        screen.board = Some(board);
        screen.history_for = first;
        screen.history = history;
        state.market = Some(screen);
        if renders {
            // The market view is another helper's work; until it is merged the stub panics,
            // and the loads are measured alone (the report says so).
            let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                terminal
                    .draw(|frame| view::draw(frame, &state, &theme))
                    .map(|_| ())
            }));
            match drawn {
                Ok(result) => result?,
                Err(_) => {
                    renders = false;
                    say("  the market view is not built in this binary: loads measured alone");
                }
            }
        }
        let t3 = Instant::now();
        if i >= WARM_UP {
            board_t.push(t1 - t0);
            history_t.push(t2 - t1);
            if renders {
                render_t.push(t3 - t2);
                open.push(t3 - t0);
            } else {
                open.push(t2 - t0);
            }
            rows += outcome_rows;
            points += loaded;
        }
    }
    Ok(BoardReport {
        backend: store.backend().as_str().to_string(),
        alerts,
        events: events.len() as u64,
        odds_rows: seeded.odds_rows,
        history_rows: seeded.history_rows,
        seed_s,
        opens: OPENS,
        open: percentiles(&mut open),
        board: percentiles(&mut board_t),
        history: percentiles(&mut history_t),
        render: renders.then(|| percentiles(&mut render_t)),
        rows_per_board: rows as f64 / OPENS as f64,
        points_per_history: points as f64 / OPENS as f64,
        plan,
    })
}

/// The figures as a Markdown table, plus each backend's plan.
pub fn markdown(reports: &[BoardReport]) -> String {
    let mut out = String::from(
        "| backend | alerts | events | odds rows | history rows | opens | open p50 / p95 / p99 ms | board p50 / p95 / p99 | history p50 / p95 / p99 | render p50 / p95 / p99 | rows per board | history points |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let fmt = |p: &Percentiles| format!("{:.1} / {:.1} / {:.1}", p.p50_ms, p.p95_ms, p.p99_ms);
    for r in reports {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.0} |\n",
            r.backend,
            r.alerts,
            r.events,
            r.odds_rows,
            r.history_rows,
            r.opens,
            fmt(&r.open),
            fmt(&r.board),
            fmt(&r.history),
            r.render
                .as_ref()
                .map_or_else(|| "not built".to_string(), fmt),
            r.rows_per_board,
            r.points_per_history,
        ));
    }
    for r in reports {
        out.push_str(&format!(
            "\n{} seed: {:.1} s. Plan of the board's current-odds read:\n\n",
            r.backend, r.seed_s
        ));
        for line in &r.plan {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = percentiles(&mut samples);
        assert_eq!((p.p50_ms, p.p95_ms, p.p99_ms), (51.0, 95.0, 99.0));
        assert_eq!(percentiles(&mut []), Percentiles::default());
    }
}
