//! Measures the terminal UI on an existing database: first frame, tab switch, filter changes,
//! paging, grouping and stats (query + render), and the render alone — through the real
//! `update`, effects and views, on a `TestBackend` (no terminal needed).
//!
//! ```text
//! oddswatch --database-url sqlite:///tmp/ui-million.db demo-data --alerts 1000000
//! cargo run --release --example ui_latency -- sqlite:///tmp/ui-million.db 20
//! ```

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use oddswatch::config::Config;
use oddswatch::service::AlertService;
use oddswatch::store::Store;
use oddswatch::tui::action::{Action, Effect};
use oddswatch::tui::effects::EffectRunner;
use oddswatch::tui::keymap::Keymap;
use oddswatch::tui::state::State;
use oddswatch::tui::theme::Theme;
use oddswatch::tui::update::update;
use oddswatch::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let p = |q: f64| ms(samples[((samples.len() as f64 - 1.0) * q).round() as usize]);
    println!(
        "{name:<42} p50 {:>8.2} ms   p90 {:>8.2} ms   max {:>8.2} ms   (n={})",
        p(0.5),
        p(0.9),
        p(1.0),
        samples.len()
    );
}

/// Carries out effects (and those their results cause) until the rows are on screen, then draws.
/// Stats and per-status counts are left out unless asked for: the UI shows the rows without
/// waiting for them (they fill in when their own queries answer).
async fn settle(
    state: &mut State,
    runner: &EffectRunner,
    terminal: &mut Terminal<TestBackend>,
    effects: Vec<Effect>,
    with_stats: bool,
) {
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
    terminal
        .draw(|frame| view::draw(frame, state, &theme))
        .expect("a test backend draws");
}

fn key(c: char) -> Action {
    let code = match c {
        '\t' => KeyCode::Tab,
        '\u{1b}' => KeyCode::Esc,
        c => KeyCode::Char(c),
    };
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[tokio::main]
async fn main() -> color_eyre::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: ui_latency DATABASE_URL [RUNS]");
    let runs: usize = args
        .next()
        .map_or(20, |r| r.parse().expect("RUNS is a number"));
    let mut config = Config::defaults();
    config.database.url = oddswatch::config::Secret::new(url.clone());
    let config = Arc::new(config);
    let keymap = Arc::new(Keymap::defaults());
    let (results, _unused) = tokio::sync::mpsc::unbounded_channel();

    // First frame: open the database, load the first window, draw (what the trader waits for).
    let mut first = Vec::new();
    let mut store = None;
    for _ in 0..runs.min(10) {
        let started = Instant::now();
        let opened = Store::open(&url, 4).await?;
        let runner = EffectRunner {
            service: AlertService::new(opened.clone(), "bench"),
            pipeline: None,
            results: results.clone(),
        };
        let mut state = State::new(Utc::now(), url.clone(), config.clone(), keymap.clone());
        let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
        let effects = update(&mut state, Action::Start);
        settle(&mut state, &runner, &mut terminal, effects, false).await;
        first.push(started.elapsed());
        assert!(state.list.loaded);
        if let Some(old) = store.replace(opened) {
            old.close().await;
        }
    }
    let store = store.expect("at least one run");
    let runner = EffectRunner {
        service: AlertService::new(store.clone(), "bench"),
        pipeline: None,
        results,
    };
    let mut state = State::new(Utc::now(), url.clone(), config.clone(), keymap.clone());
    let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
    let effects = update(&mut state, Action::Start);
    settle(&mut state, &runner, &mut terminal, effects, true).await;
    println!(
        "database: {url}  alerts: {}  (new {}, acknowledged {}, past {})\n",
        state.list.counts.total_of(&[]),
        state.list.counts.new,
        state.list.counts.acknowledged,
        state.list.counts.past
    );
    summary("first frame (open + first window + draw)", &mut first);

    let mut measure = async |name: &str, keys: &[&str], with_stats: bool| {
        let mut samples = Vec::new();
        for i in 0..runs {
            let keys = keys[i % keys.len()];
            let started = Instant::now();
            let mut effects = Vec::new();
            for c in keys.chars() {
                effects.extend(update(&mut state, key(c)));
            }
            settle(&mut state, &runner, &mut terminal, effects, with_stats).await;
            samples.push(started.elapsed());
        }
        summary(name, &mut samples);
    };
    measure(
        "tab switch (1-4, query + draw)",
        &["2", "3", "4", "1"],
        false,
    )
    .await;
    measure("severity filter change", &["s"], false).await;
    measure("type filter change", &["t"], false).await;
    measure("book filter change", &["b"], false).await;
    measure("sort key change", &["o"], false).await;
    measure(
        "text filter keystroke (\"arsenal\")",
        &["/a", "r", "s", "e", "n", "a", "l\u{1b}"],
        false,
    )
    .await;
    measure("clear filters (Esc)", &["s\u{1b}"], false).await;
    measure("grouped view on/off", &["v"], false).await;
    measure("stats panel reload", &["r"], true).await;

    // Paging by keyset: j past the end of the window, repeatedly, on the flat All tab.
    let mut effects = Vec::new();
    if state.grouped {
        effects.extend(update(&mut state, key('v')));
    }
    effects.extend(update(&mut state, key('4')));
    settle(&mut state, &runner, &mut terminal, effects, false).await;
    let mut pages = Vec::new();
    for _ in 0..runs {
        let rows = state.list.rows.len().max(1);
        let started = Instant::now();
        let mut effects = Vec::new();
        for _ in 0..rows {
            effects.extend(update(&mut state, key('j')));
        }
        settle(&mut state, &runner, &mut terminal, effects, false).await;
        pages.push(started.elapsed());
    }
    summary("next window by keyset (j past the end)", &mut pages);
    let mut bottom = Vec::new();
    for _ in 0..runs.min(5) {
        let started = Instant::now();
        let mut effects = update(&mut state, key('G'));
        effects.extend(update(&mut state, key('g')));
        settle(&mut state, &runner, &mut terminal, effects, false).await;
        bottom.push(started.elapsed());
    }
    summary("last row (G, one OFFSET query) then top", &mut bottom);

    // The tab counts of a filter, counted in the background after the rows are shown.
    let mut counts = Vec::new();
    for filter in [
        oddswatch::domain::AlertFilter::default(),
        oddswatch::domain::AlertFilter {
            severities: vec![oddswatch::domain::Severity::Critical],
            ..Default::default()
        },
        oddswatch::domain::AlertFilter {
            text: Some("arsenal".into()),
            ..Default::default()
        },
    ] {
        let started = Instant::now();
        runner.execute(Effect::LoadCounts { seq: 0, filter }).await;
        counts.push(started.elapsed());
    }
    summary("tab counts (background; none/severity/text)", &mut counts);

    // The render alone, full screen of rows.
    for (w, h) in [(80, 24), (120, 40)] {
        let mut big = Terminal::new(TestBackend::new(w, h))?;
        let mut s = state.clone();
        s.size = (w, h);
        let theme = Theme::color();
        let mut samples = Vec::new();
        for _ in 0..200 {
            let started = Instant::now();
            big.draw(|frame| view::draw(frame, &s, &theme))?;
            samples.push(started.elapsed());
        }
        summary(&format!("render only {w}x{h} (TestBackend)"), &mut samples);
    }
    store.close().await;
    Ok(())
}
