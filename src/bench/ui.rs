//! The terminal UI at scale: first frame, tab switch, filter changes, paging, grouping, stats and
//! the render alone — through the real `update`, effects and views on a `TestBackend` (no
//! terminal), against the database the read side just filled.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::Result;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde::Serialize;

use super::read::{Latency, latency};
use crate::config::Config;
use crate::domain::AlertFilter;
use crate::service::AlertService;
use crate::store::Store;
use crate::tui::action::{Action, Effect};
use crate::tui::effects::EffectRunner;
use crate::tui::keymap::Keymap;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::update;
use crate::tui::view;

/// UI figures, p50 and p99 each. Interactions are timed from the key press to the frame that
/// shows their rows; stats and tab counts load in the background and are timed apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UiReport {
    /// Open the database, load the first window, draw it.
    pub first_frame: Latency,
    /// Keys 1–4 in turn.
    pub tab_switch: Latency,
    /// `s`: cycle the severity filter.
    pub severity_filter: Latency,
    /// `t`: cycle the type filter.
    pub type_filter: Latency,
    /// `b`: cycle the book filter.
    pub book_filter: Latency,
    /// `o`: cycle the sort order.
    pub sort_change: Latency,
    /// One keystroke of typing "arsenal" into the text filter.
    pub text_keystroke: Latency,
    /// `v` from the flat list: the grouped-by-event view.
    pub grouped_view: Latency,
    /// `r`: reload, stats panel included.
    pub stats_panel: Latency,
    /// `j` past the end of the loaded window: the next window by keyset.
    pub next_window: Latency,
    /// `G`: the last row of a million.
    pub last_row: Latency,
    /// Background: the tab counts of a text filter.
    pub text_counts: Latency,
    /// Drawing a full screen of rows, 80x24.
    pub render_80x24: Latency,
    /// Drawing a full screen of rows, 120x40.
    pub render_120x40: Latency,
}

/// Carries out effects (and those their results cause) until the rows are on screen, then
/// draws. Stats and tab counts are skipped unless `with_stats`: the UI shows rows without
/// waiting for them.
async fn settle(
    state: &mut State,
    runner: &EffectRunner,
    terminal: &mut Terminal<TestBackend>,
    effects: Vec<Effect>,
    with_stats: bool,
) -> Result<()> {
    let mut queue: VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        let background = matches!(effect, Effect::LoadStats | Effect::LoadCounts { .. });
        if matches!(effect, Effect::Bell | Effect::Quit) || (!with_stats && background) {
            continue;
        }
        if let Some(action) = runner.execute(effect).await {
            queue.extend(update(state, action));
        }
    }
    let theme = Theme::color();
    terminal.draw(|frame| view::draw(frame, state, &theme))?;
    Ok(())
}

fn key(c: char) -> Action {
    let code = match c {
        '\u{1b}' => KeyCode::Esc,
        c => KeyCode::Char(c),
    };
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// One interaction: press `keys`, settle, draw; returns the time it took.
async fn press(
    state: &mut State,
    runner: &EffectRunner,
    terminal: &mut Terminal<TestBackend>,
    keys: &str,
    with_stats: bool,
) -> Result<Duration> {
    let started = Instant::now();
    let mut effects = Vec::new();
    for c in keys.chars() {
        effects.extend(update(state, key(c)));
    }
    settle(state, runner, terminal, effects, with_stats).await?;
    Ok(started.elapsed())
}

/// Measures the UI on the database at `url`; quick interactions `runs` times, those that
/// aggregate the whole table at most 5 times.
pub async fn measure(url: &str, runs: usize) -> Result<UiReport> {
    let mut config = Config::defaults();
    config.database.url = crate::config::Secret::new(url.to_string());
    let config = Arc::new(config);
    let keymap = Arc::new(Keymap::defaults());
    let (results, _unused) = tokio::sync::mpsc::unbounded_channel();
    let slow_runs = runs.min(5);
    let mut report = UiReport::default();

    // First frame: what a trader waits for after starting the UI.
    let mut samples = Vec::new();
    for _ in 0..runs.min(10) {
        let started = Instant::now();
        let store = Store::open(url, 4).await?;
        let runner = EffectRunner {
            service: AlertService::new(store.clone(), "bench"),
            pipeline: None,
            results: results.clone(),
        };
        let mut state = State::new(Utc::now(), url.to_string(), config.clone(), keymap.clone());
        let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
        let effects = update(&mut state, Action::Start);
        settle(&mut state, &runner, &mut terminal, effects, false).await?;
        samples.push(started.elapsed());
        color_eyre::eyre::ensure!(state.list.loaded, "the first window did not load");
        store.close().await;
    }
    report.first_frame = latency(&mut samples);

    let store = Store::open(url, 4).await?;
    let runner = EffectRunner {
        service: AlertService::new(store.clone(), "bench"),
        pipeline: None,
        results,
    };
    let mut state = State::new(Utc::now(), url.to_string(), config, keymap);
    let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
    let effects = update(&mut state, Action::Start);
    settle(&mut state, &runner, &mut terminal, effects, true).await?;

    let quick: [(&mut Latency, &[&str]); 5] = [
        (&mut report.tab_switch, &["2", "3", "4", "1"]),
        (&mut report.severity_filter, &["s"]),
        (&mut report.type_filter, &["t"]),
        (&mut report.book_filter, &["b"]),
        (&mut report.sort_change, &["o"]),
    ];
    for (slot, keys) in quick {
        // Whole rounds of the key sequence, so each figure ends where it started.
        let presses = runs.div_ceil(keys.len()) * keys.len();
        let mut samples = Vec::with_capacity(presses);
        for i in 0..presses {
            samples.push(
                press(
                    &mut state,
                    &runner,
                    &mut terminal,
                    keys[i % keys.len()],
                    false,
                )
                .await?,
            );
        }
        *slot = latency(&mut samples);
        // Back to no filters and the default order, so each figure starts from the same list.
        press(&mut state, &runner, &mut terminal, "\u{1b}", false).await?;
        for _ in 0..4 {
            if state.sort == crate::domain::AlertSort::default() {
                break;
            }
            press(&mut state, &runner, &mut terminal, "o", false).await?;
        }
    }

    // Typing "arsenal" into the text filter: each keystroke reloads the list.
    let mut samples = Vec::new();
    for _ in 0..runs.div_ceil(7).max(1) {
        press(&mut state, &runner, &mut terminal, "/", false).await?;
        for c in "arsenal".chars() {
            samples.push(press(&mut state, &runner, &mut terminal, &c.to_string(), false).await?);
        }
        // Esc in the prompt clears the text and closes it.
        press(&mut state, &runner, &mut terminal, "\u{1b}", false).await?;
    }
    report.text_keystroke = latency(&mut samples);
    color_eyre::eyre::ensure!(state.text.is_empty(), "the text filter did not clear");

    let mut samples = Vec::new();
    for _ in 0..slow_runs {
        samples.push(press(&mut state, &runner, &mut terminal, "v", false).await?);
        press(&mut state, &runner, &mut terminal, "v", false).await?;
    }
    report.grouped_view = latency(&mut samples);
    color_eyre::eyre::ensure!(!state.grouped, "the grouped view did not toggle back");

    let mut samples = Vec::new();
    for _ in 0..slow_runs {
        samples.push(press(&mut state, &runner, &mut terminal, "r", true).await?);
    }
    report.stats_panel = latency(&mut samples);

    // Paging on the All tab: j past the end of the loaded window, by keyset.
    press(&mut state, &runner, &mut terminal, "4", false).await?;
    let mut samples = Vec::new();
    for _ in 0..runs {
        let rows = state.list.rows.len().max(1);
        let keys = "j".repeat(rows);
        samples.push(press(&mut state, &runner, &mut terminal, &keys, false).await?);
    }
    report.next_window = latency(&mut samples);
    let mut samples = Vec::new();
    for _ in 0..slow_runs {
        samples.push(press(&mut state, &runner, &mut terminal, "G", false).await?);
        press(&mut state, &runner, &mut terminal, "g", false).await?;
    }
    report.last_row = latency(&mut samples);

    let mut samples = Vec::new();
    for _ in 0..slow_runs {
        let filter = AlertFilter {
            text: Some("arsenal".into()),
            ..Default::default()
        };
        let started = Instant::now();
        runner.execute(Effect::LoadCounts { seq: 0, filter }).await;
        samples.push(started.elapsed());
    }
    report.text_counts = latency(&mut samples);

    for ((w, h), slot) in [
        ((80, 24), &mut report.render_80x24),
        ((120, 40), &mut report.render_120x40),
    ] {
        let mut screen = Terminal::new(TestBackend::new(w, h))?;
        let mut sized = state.clone();
        sized.size = (w, h);
        let theme = Theme::color();
        let mut samples = Vec::with_capacity(200);
        for _ in 0..200 {
            let started = Instant::now();
            screen.draw(|frame| view::draw(frame, &sized, &theme))?;
            samples.push(started.elapsed());
        }
        *slot = latency(&mut samples);
    }
    store.close().await;
    Ok(report)
}
