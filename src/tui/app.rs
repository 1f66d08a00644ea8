//! The UI task: one `select!` loop over terminal input, effect results, the change feed, the
//! pipeline status, a 1 s tick and shutdown signals (SIGINT, SIGHUP, SIGTERM). It feeds actions
//! to `update`, hands effects to the effects task, and redraws only when the state says
//! something visible changed. Without a terminal, [`Headless`] prints new alerts instead.

use std::future::Future;
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

/// Runs the terminal UI until the trader quits or a SIGINT/SIGHUP/SIGTERM arrives. The terminal is
/// restored on every way out.
pub async fn run(opts: TuiOptions) -> Result<()> {
    let keymap = Keymap::from(&opts.config.ui.bindings);
    let no_color = std::env::var("NO_COLOR").ok();
    let theme = Theme::from(opts.config.ui.palette(no_color.as_deref()));
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
    // In raw mode Ctrl-C arrives as a key; a SIGINT comes from `kill -INT` and must restore the
    // terminal like the other signals instead of killing the process on the alternate screen.
    let mut interrupt = signal(SignalKind::interrupt())?;

    let mut next = Some(Action::Start);
    loop {
        let action = match next.take() {
            Some(action) => action,
            None => tokio::select! {
                biased;
                _ = hangup.recv() => break,
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
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
                Effect::Copy(text) => terminal::copy(&text),
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

/// Alerts read per query while printing.
const PRINT_PAGE: u32 = 500;

/// Without a terminal: every alert stored after [`Headless::begin`] printed as one JSON line,
/// in the order stored, until a stop signal — and then the ones stored while the pipeline
/// stops.
///
/// Choices: the printer follows the alerts table by id ([`AlertService::alerts_after`]) and uses
/// the change feed only as a wake-up, so neither a lagging feed, a bulk change nor a burst of
/// more than a page is ever a gap; and it reads the table once more after the pipeline has
/// flushed its write queue, so the batch in flight at the signal is printed too (before, the
/// printer stopped first and missed it: 756 of 757).
pub struct Headless {
    service: AlertService,
    /// The id of the last alert printed (or present at the start).
    last_id: i64,
}

impl Headless {
    /// Notes the newest stored alert: everything stored after it is printed. Call it before the
    /// pipeline starts, so nothing the pipeline stores is missed.
    pub async fn begin(service: AlertService) -> Result<Self> {
        let last_id = service
            .newest_alert_id()
            .await
            .wrap_err("reading the newest alert")?;
        Ok(Headless { service, last_id })
    }

    /// Prints new alerts as they are stored (woken by `feed`) until `stop` resolves (SIGINT,
    /// SIGTERM or SIGHUP in the monitor), then awaits `stopping` (the pipeline finishing its
    /// batch in flight and flushing its queue) and prints every alert stored meanwhile. Returns
    /// what `stopping` returned, and whether the alerts stored while stopping could be read.
    /// `stopping` is awaited on every path, also when the reader has gone away or the database
    /// does not answer, so the pipeline always stops cleanly.
    pub async fn run<T>(
        mut self,
        feed: &ChangeFeed,
        mut out: impl Write,
        stop: impl Future<Output = ()>,
        stopping: impl Future<Output = T>,
    ) -> (T, Result<()>) {
        let mut changes = Some(feed.subscribe());
        let mut reader_gone = false;
        tokio::pin!(stop);
        while !reader_gone {
            tokio::select! {
                biased;
                () = &mut stop => break,
                change = async {
                    match changes.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                } => {
                    if let Err(broadcast::error::RecvError::Closed) = change {
                        changes = None;
                        continue;
                    }
                    // Any change (or a lag) may mean new alerts; the table says which.
                    match self.print_new(&mut out).await {
                        Ok(gone) => reader_gone = gone,
                        // The database may be back on the next change; nothing is skipped.
                        Err(e) => tracing::warn!(error = %e, "cannot read new alerts; retrying on the next change"),
                    }
                }
            }
        }
        let stopped = stopping.await;
        let printed = if reader_gone {
            Ok(())
        } else {
            self.print_new(&mut out)
                .await
                .map(|_| ())
                .wrap_err("printing the alerts stored while stopping")
        };
        let _ = io::stdout().flush();
        (stopped, printed)
    }

    /// Prints every alert stored after the last one printed. Returns true when the reader went
    /// away (closed pipe): nothing more can be printed.
    async fn print_new(&mut self, out: &mut impl Write) -> Result<bool> {
        loop {
            let alerts = self.service.alerts_after(self.last_id, PRINT_PAGE).await?;
            let Some(last) = alerts.last() else {
                return Ok(false);
            };
            let last_id = last.id;
            for alert in &alerts {
                let line = serde_json::to_string(&crate::domain::AlertJson::from(alert))?;
                if writeln!(out, "{line}").is_err() {
                    return Ok(true);
                }
            }
            if out.flush().is_err() {
                return Ok(true);
            }
            self.last_id = last_id;
        }
    }
}
