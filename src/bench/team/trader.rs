//! One trader at an attached terminal UI, scripted: the real `update`, effects and views on a
//! `TestBackend`, its own pool and change poller (with its `LISTEN` connection) as `oddswatch
//! tui` has, live changes and the 1 s tick applied as they come, and a key every one to three
//! seconds from a script — tab switches, filter changes, paging, an acknowledgement, the market
//! screen opened and closed, a sort change.
//!
//! An action is timed from the key to the frame that shows its result: the effects it asks for
//! (and those their answers ask for) are carried out before the frame is drawn. The tab counts
//! and the stats panel load beside it, as in the UI, and are not part of the time; nor are the
//! reloads live changes cause. Every effect answer that is an error is counted.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::Result;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use super::connections::{Pools, Role};
use crate::config::Config;
use crate::live::{Change, ChangeFeed};
use crate::service::AlertService;
use crate::store::Store;
use crate::tui::action::{Action, Effect};
use crate::tui::effects::EffectRunner;
use crate::tui::keymap::Keymap;
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::update;
use crate::tui::view;

/// The script, in order from a random start: (what the action is, its key).
pub const SCRIPT: [(&str, &str); 14] = [
    ("tab switch", "2"),
    ("tab switch", "4"),
    ("tab switch", "1"),
    ("filter change", "s"),
    ("filter change", "t"),
    ("filter change", "b"),
    ("filter change", "esc"),
    ("paging", "pgdn"),
    ("paging", "pgdn"),
    ("paging", "g"),
    ("acknowledge", "a"),
    ("market screen", "m"),
    ("market screen close", "esc"),
    ("sort change", "o"),
];

/// Shortest and longest pause between a trader's keys.
pub const PAUSE: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3));

/// What one trader did.
#[derive(Debug, Default)]
pub struct TraderFigures {
    /// Key → frame, per kind of action (`first frame` for the start).
    pub actions: BTreeMap<&'static str, Vec<Duration>>,
    /// Effect answers that were errors, as their text.
    pub errors: Vec<String>,
}

fn err_text<T>(result: &Result<T, String>) -> Option<&str> {
    result.as_ref().err().map(String::as_str)
}

/// The error text of an effect's answer, if it is one.
pub fn action_error(action: &Action) -> Option<&str> {
    match action {
        Action::PageLoaded { result, .. } => err_text(result),
        Action::CountsLoaded { result, .. } => err_text(result),
        Action::GroupsLoaded { result, .. } => err_text(result),
        Action::GroupAlertsLoaded { result, .. } => err_text(result),
        Action::StatsLoaded(result) => err_text(result),
        Action::DetailLoaded { result, .. } => err_text(result),
        Action::AckDone { result, .. } => err_text(result),
        Action::SettingsLoaded(result) => err_text(result),
        Action::SettingsSaved(result) => err_text(result),
        Action::SilenceCreated(result) => err_text(result),
        Action::SilencesLoaded { result, .. } => err_text(result),
        Action::SilenceChanged(result) => err_text(result),
        Action::BoardLoaded { result, .. } => err_text(result),
        Action::MarketHistoryLoaded { result, .. } => err_text(result),
        Action::ViewsLoaded(result) => err_text(result),
        Action::ViewSaved(result) => err_text(result),
        Action::ViewDeleted { result, .. } => err_text(result),
        Action::TeamLoaded(result) => err_text(result),
        Action::NotifyLoaded(result) => err_text(result),
        Action::Start
        | Action::Key(_)
        | Action::Mouse(_)
        | Action::Resize(..)
        | Action::Tick(_)
        | Action::Change(_)
        | Action::Pipeline(_) => None,
    }
}

fn key(name: &str) -> Action {
    let code = match name {
        "esc" => KeyCode::Esc,
        "pgdn" => KeyCode::PageDown,
        other => KeyCode::Char(other.chars().next().unwrap_or(' ')),
    };
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Effects the UI loads beside the rows, never waited for by a frame.
fn in_background(effect: &Effect) -> bool {
    matches!(
        effect,
        Effect::LoadStats | Effect::LoadCounts { .. } | Effect::LoadTeam
    )
}

/// One attached UI.
struct Trader {
    state: State,
    runner: EffectRunner,
    background: mpsc::UnboundedSender<Effect>,
    terminal: Terminal<TestBackend>,
    theme: Theme,
    figures: TraderFigures,
}

impl Trader {
    /// Applies an action that no key caused (an answer, a change, a tick): its effects run in
    /// the background, as the UI's effects task runs them.
    fn apply(&mut self, action: Action) {
        if let Some(e) = action_error(&action) {
            self.figures.errors.push(e.to_string());
        }
        for effect in update(&mut self.state, action) {
            if !matches!(effect, Effect::Bell | Effect::Quit | Effect::Copy(_)) {
                let _ = self.background.send(effect);
            }
        }
    }

    /// Applies `action`, carries out the effects it causes until its rows are there, draws.
    async fn settle(&mut self, action: Action) -> Result<()> {
        let mut queue: VecDeque<Effect> = update(&mut self.state, action).into();
        while let Some(effect) = queue.pop_front() {
            if matches!(effect, Effect::Bell | Effect::Quit | Effect::Copy(_)) {
                continue;
            }
            if in_background(&effect) {
                let _ = self.background.send(effect);
                continue;
            }
            if let Some(answer) = self.runner.execute(effect).await {
                if let Some(e) = action_error(&answer) {
                    self.figures.errors.push(e.to_string());
                }
                queue.extend(update(&mut self.state, answer));
            }
        }
        self.draw()
    }

    fn draw(&mut self) -> Result<()> {
        let (state, theme) = (&self.state, &self.theme);
        self.terminal
            .draw(|frame| view::draw(frame, state, theme))?;
        self.state.dirty = false;
        Ok(())
    }

    fn record(&mut self, what: &'static str, took: Duration) {
        self.figures.actions.entry(what).or_default().push(took);
    }
}

/// Starts trader `n` on the database at `url` with a pool of `pool` connections; it keys its
/// script until `stop` turns true, then closes its pool.
pub fn spawn(
    n: u32,
    url: String,
    pool: u32,
    pools: Pools,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<Result<TraderFigures>> {
    tokio::spawn(async move {
        let mut rng = SmallRng::seed_from_u64(u64::from(n));
        let started = Instant::now();
        // The `tui` command's attach path with the UI's pool (see the module note in team.rs).
        let store = Store::connect_as(&url, pool, crate::store::DbRole::Ui).await?;
        pools.add(Role::Ui, &store);
        let mut config = Config::defaults();
        config.database.url = crate::config::Secret::new(url.clone());
        let config = Arc::new(config);
        let service =
            AlertService::new(store.clone(), format!("trader{n}")).with_config(config.clone());
        let feed = ChangeFeed::default();
        let poller = crate::live::spawn_poller(store, feed.clone(), crate::live::POLL_EVERY);
        let (results_tx, mut results) = mpsc::unbounded_channel();
        let runner = EffectRunner {
            service: service.clone(),
            pipeline: None,
            results: results_tx,
        };
        let (background, background_rx) = mpsc::unbounded_channel();
        let effects = tokio::spawn(runner.clone().run(background_rx));
        let source = crate::config::redact_url(&url);
        let mut trader = Trader {
            state: State::new(Utc::now(), source, config, Arc::new(Keymap::defaults())),
            runner,
            background,
            terminal: Terminal::new(TestBackend::new(80, 24))?,
            theme: Theme::color(),
            figures: TraderFigures::default(),
        };
        trader.settle(Action::Start).await?;
        trader.record("first frame", started.elapsed());

        let mut changes = feed.subscribe();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut step = rng.gen_range(0..SCRIPT.len());
        let mut next_key = tokio::time::Instant::now() + rng.gen_range(PAUSE.0..PAUSE.1);
        loop {
            tokio::select! {
                biased;
                _ = stop.changed() => break,
                Some(answer) = results.recv() => trader.apply(answer),
                change = changes.recv() => match change {
                    Ok(change) => trader.apply(Action::Change(change)),
                    Err(broadcast::error::RecvError::Lagged(_)) => trader.apply(Action::Change(Change::Reload)),
                    Err(broadcast::error::RecvError::Closed) => {}
                },
                _ = tick.tick() => trader.apply(Action::Tick(Utc::now())),
                () = tokio::time::sleep_until(next_key) => {
                    let (what, name) = SCRIPT[step % SCRIPT.len()];
                    step += 1;
                    let pressed = Instant::now();
                    trader.settle(key(name)).await?;
                    trader.record(what, pressed.elapsed());
                    next_key = tokio::time::Instant::now() + rng.gen_range(PAUSE.0..PAUSE.1);
                }
            }
            if trader.state.dirty {
                trader.draw()?;
            }
        }
        effects.abort();
        poller.abort();
        service.close().await;
        Ok(trader.figures)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scripted_key_is_bound_in_the_default_keymap() {
        let keymap = Keymap::defaults();
        for (what, name) in SCRIPT {
            let Action::Key(event) = key(name) else {
                panic!("{name} is not a key")
            };
            assert!(
                keymap.command_for(&event).is_some(),
                "{what}: {name} is bound to nothing"
            );
        }
    }

    #[test]
    fn errors_are_read_from_answers_only() {
        let failed = Action::StatsLoaded(Err("pool timed out".into()));
        assert_eq!(action_error(&failed), Some("pool timed out"));
        let saved = Action::SettingsSaved(Err("refused".into()));
        assert_eq!(action_error(&saved), Some("refused"));
        assert_eq!(action_error(&Action::SettingsSaved(Ok(()))), None);
        assert_eq!(action_error(&Action::Start), None);
    }
}
