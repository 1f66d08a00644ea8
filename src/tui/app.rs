//! The UI task: one `select!` loop over terminal input, effect results, the change feed, the
//! pipeline status, a 1 s tick and shutdown signals. It feeds actions to `update`, hands effects
//! to the effects task, and redraws only when the state says something visible changed.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{broadcast, mpsc, watch};

use super::action::{Action, Effect};
use super::effects::EffectRunner;
use super::keymap::Keymap;
use super::state::State;
use super::terminal;
use super::theme::Theme;
use super::update::update;
use super::view;
use crate::config::{Config, redact_url};
use crate::domain::{AlertFilter, AlertSort, Page};
use crate::health::{PipelineCommand, PipelineStatus};
use crate::live::{Change, ChangeFeed};
use crate::service::AlertService;

/// What the UI runs on.
pub struct TuiOptions {
    /// Alerts: reads and acknowledgements.
    pub service: AlertService,
    /// Live changes. Attached mode feeds it with [`crate::live::spawn_poller`]; with a
    /// pipeline in the process, the pipeline publishes on it too.
    pub feed: ChangeFeed,
    /// The pipeline's status, when it runs in this process (`None`: attached).
    pub pipeline_status: Option<watch::Receiver<PipelineStatus>>,
    /// The pipeline's command channel (pause / resume), when it runs in this process.
    pub pipeline_commands: Option<mpsc::Sender<PipelineCommand>>,
    /// Effective configuration (`[ui]` and the base of the settings screen).
    pub config: Config,
    /// Where logs go; printed once before the screen opens.
    pub log_path: PathBuf,
    /// Capture the mouse even if `ui.mouse` is off (`--mouse`).
    pub mouse: bool,
}

/// Runs the terminal UI until the trader quits or a SIGHUP/SIGTERM arrives. The terminal is
/// restored on every way out.
pub async fn run(opts: TuiOptions) -> Result<()> {
    let keymap = Keymap::from_config(&opts.config.ui.keys).wrap_err("reading [ui.keys]")?;
    let no_color = std::env::var("NO_COLOR").ok();
    let theme = Theme::new(opts.config.ui.monochrome(no_color.as_deref()));
    let mouse = opts.mouse || opts.config.ui.mouse;
    println!("oddswatch: logs go to {}", opts.log_path.display());
    terminal::install_panic_hook();
    let mut tui = terminal::enter(mouse).wrap_err("opening the terminal screen")?;
    let result = event_loop(&mut tui, opts, Arc::new(keymap), &theme).await;
    terminal::restore();
    result
}

async fn event_loop(
    tui: &mut terminal::Tui,
    opts: TuiOptions,
    keymap: Arc<Keymap>,
    theme: &Theme,
) -> Result<()> {
    let source = redact_url(&opts.config.database_url());
    let mut state = State::new(Utc::now(), source, Arc::new(opts.config.clone()), keymap);
    state.can_pause = opts.pipeline_commands.is_some();
    let mut status_rx = opts.pipeline_status;
    if let Some(rx) = &status_rx {
        state.pipeline = Some(rx.borrow().clone());
    }
    let size = tui.size()?;
    state.size = (size.width, size.height);

    let (result_tx, mut result_rx) = mpsc::unbounded_channel::<Action>();
    let (effect_tx, effect_rx) = mpsc::unbounded_channel::<Effect>();
    let runner = EffectRunner {
        service: opts.service.clone(),
        pipeline: opts.pipeline_commands.clone(),
        results: result_tx,
    };
    let effects_task = tokio::spawn(runner.run(effect_rx));
    let mut changes = opts.feed.subscribe();
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;

    let mut next = Some(Action::Start);
    loop {
        let action = match next.take() {
            Some(action) => action,
            None => tokio::select! {
                biased;
                _ = hangup.recv() => break,
                _ = terminate.recv() => break,
                event = input.next() => match event {
                    Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Action::Key(key),
                    Some(Ok(Event::Mouse(mouse))) => Action::Mouse(mouse),
                    Some(Ok(Event::Resize(w, h))) => Action::Resize(w, h),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e).wrap_err("reading the terminal"),
                    None => break,
                },
                Some(result) = result_rx.recv() => result,
                change = changes.recv() => match change {
                    Ok(change) => Action::Change(change),
                    Err(broadcast::error::RecvError::Lagged(_)) => Action::Change(Change::Reload),
                    Err(broadcast::error::RecvError::Closed) => continue,
                },
                changed = async {
                    match &mut status_rx {
                        Some(rx) => rx.changed().await.map(|()| rx.borrow_and_update().clone()),
                        None => std::future::pending().await,
                    }
                } => match changed {
                    Ok(status) => Action::Pipeline(status),
                    Err(_) => { status_rx = None; continue }
                },
                _ = tick.tick() => Action::Tick(Utc::now()),
            },
        };
        let mut quit = false;
        for effect in update(&mut state, action) {
            match effect {
                Effect::Quit => quit = true,
                Effect::Bell => terminal::bell(),
                other => {
                    let _ = effect_tx.send(other);
                }
            }
        }
        if quit {
            break;
        }
        // Results that are already waiting are applied before drawing, so a burst costs one frame.
        if let Ok(more) = result_rx.try_recv() {
            next = Some(more);
            continue;
        }
        if state.dirty {
            tui.draw(|frame| view::draw(frame, &state, theme))?;
            state.dirty = false;
        }
    }
    effects_task.abort();
    Ok(())
}

/// Without a terminal: prints each new alert as one JSON line on `out` until SIGINT/SIGTERM.
/// After a lag or a bulk change it prints the alerts newer than the last one printed.
pub async fn run_headless(
    service: AlertService,
    feed: ChangeFeed,
    mut out: impl Write,
) -> Result<()> {
    let mut changes = feed.subscribe();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut last_id = service
        .list(
            &AlertFilter::default(),
            AlertSort::Detected,
            &Page::first(1),
        )
        .await?
        .alerts
        .first()
        .map_or(0, |a| a.id);
    loop {
        let ids: Vec<i64> = tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            change = changes.recv() => match change {
                Ok(Change::Created(ids)) => ids,
                Ok(Change::Updated(_)) => continue,
                Ok(Change::Reload) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    let page = service
                        .list(&AlertFilter::default(), AlertSort::Detected, &Page::first(200))
                        .await?;
                    let mut ids: Vec<i64> = page.alerts.iter().map(|a| a.id).filter(|id| *id > last_id).collect();
                    ids.sort_unstable();
                    ids
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
        for id in ids {
            match service.get(id).await {
                Ok(alert) => {
                    last_id = last_id.max(alert.id);
                    let line = serde_json::to_string(&alert)?;
                    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                        // The reader went away (closed pipe): nothing left to do.
                        return Ok(());
                    }
                }
                Err(e) => tracing::warn!(alert = id, error = %e, "cannot read a new alert"),
            }
        }
    }
    let _ = io::stdout().flush();
    Ok(())
}
