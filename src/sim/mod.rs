//! The simulated bookmakers: one seeded market model ([`model`]) served over HTTP on 127.0.0.1
//! in the exact shapes of BetPawa, SportyBet, Bet9ja and The Odds API v4, so every adapter runs
//! end to end without the internet. The pipeline does not special-case it: it is a base URL.
//!
//! **Ticks.** Each tick moves prices at random and stages DESIGN §9's market risks (a consensus
//! move the home book does not follow, a home price off the market or a palp, a home market under
//! the margin floor; see [`model`]). Moves repeat as real ones do: a jump often continues the
//! same way for a few ticks (steam), and a returned market often suspends again (flapping). The model advances one tick per request of the home book's discovery root
//! (`GET /api/sportsbook/v3/categories/list/2`) in [`TickMode::OnHomeDiscovery`] (the CLI and the
//! demo), on a timer in [`TickMode::Every`], or only when asked in [`TickMode::Manual`]
//! (deterministic tests): `POST /sim/tick` or [`SimHandle::tick`].
//!
//! **Control endpoints** (also [`SimHandle`] methods): `POST /sim/tick`; `POST /sim/script` with
//! a JSON [`Script`] (set a price or a whole market on one book, suspend/remove/restore a
//! market, kick an event off, change the fault rate); `GET /sim/events` lists the events with each book's ids. E.g.
//! `{"action": "set_price", "book": "sportybet", "event": "61000007", "market": "5000",
//! "line": 2.5, "outcome": "Over", "price": 2.14}` or
//! `{"action": "remove", "book": "betpawa", "event": "61000007", "market": "5000", "line": 2.5}`
//! (`event` is the SportRadar id, `market` the canonical id, `outcome` BetPawa's name).
//!
//! **Scale.** Every event has ≈ 170 market rows on the home book (68 mapped rows plus
//! home-only markets) and the 68 mapped rows on each competitor; ≈ 92 % of events are listed on
//! each competitor, ≈ 1 % lack BetPawa's SportRadar widget, ≈ 2 % lack Bet9ja's `EXTID`, and
//! ≈ 5 % of BetPawa list items come without widgets. The Odds API endpoint serves every event
//! for any sport key, with the three simulated books as bookmakers.
//!
//! **Faults.** A `fault_rate` fraction of feed responses is slow, 503, 429 (`Retry-After: 1`),
//! truncated or malformed; control endpoints never fault. [`SimOptions::fault_kinds`] narrows
//! (or widens) the kinds rolled to any of [`FaultKind::ALL`], adding `drip`, `retry-after`,
//! `reshaped` and `oversize`; [`SimOptions::fault_book`] limits faults to one book.

mod bet9ja;
mod betpawa;
mod catalog;
mod faults;
pub mod model;
mod oddsapi;
mod sportybet;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{FAULT_BOOKS, FaultKind, FaultTiming};
pub use model::{Availability, Model, ScriptError, SimBook};

use crate::config::SimConfig;
use crate::domain::{Line, Price};
use faults::{BodyKind, Faults};

/// When the market model moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickMode {
    /// Only on `POST /sim/tick` or [`SimHandle::tick`].
    Manual,
    /// Once per home-book discovery (each cycle of the pipeline sees fresh moves).
    OnHomeDiscovery,
    /// On a timer.
    Every(Duration),
}

/// How to run the simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed of the market model.
    pub seed: u64,
    /// Number of events.
    pub events: u32,
    /// Fraction (0–1) of faulty feed responses.
    pub fault_rate: f64,
    /// When the model moves.
    pub tick: TickMode,
    /// How long a "slow" fault stalls a response.
    pub slow_delay: Duration,
    /// Fault kinds rolled; empty: the historical five (slow, 5xx, 429, truncated, malformed).
    pub fault_kinds: Vec<FaultKind>,
    /// Only this book's responses are faulty, when set: `betpawa`, `sportybet`, `bet9ja` or
    /// `theoddsapi` (see [`FAULT_BOOKS`]).
    pub fault_book: Option<String>,
    /// Only event bodies are faulty; discovery answers cleanly (tests of mid-cycle faults).
    pub fault_events_only: bool,
    /// Bytes per chunk of a `drip` fault.
    pub drip_chunk_bytes: usize,
    /// Pause before each chunk of a `drip` fault.
    pub drip_every: Duration,
    /// Size of an `oversize` body.
    pub oversize_bytes: u64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            port: 0,
            seed: 42,
            events: 200,
            fault_rate: 0.0,
            tick: TickMode::OnHomeDiscovery,
            slow_delay: Duration::from_millis(1500),
            fault_kinds: Vec::new(),
            fault_book: None,
            fault_events_only: false,
            drip_chunk_bytes: FaultTiming::default().drip_bytes,
            drip_every: FaultTiming::default().drip_every,
            oversize_bytes: FaultTiming::default().oversize_bytes,
        }
    }
}

impl From<&SimConfig> for SimOptions {
    fn from(config: &SimConfig) -> Self {
        SimOptions {
            port: config.port,
            seed: config.seed,
            events: config.events,
            fault_rate: config.fault_rate,
            ..SimOptions::default()
        }
    }
}

/// A scripted change, as `POST /sim/script` takes it (`{"action": "set_price", …}`).
/// `event` is the SportRadar id; `line` is a number or absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Script {
    /// Advance the model one tick.
    Tick,
    /// Set one outcome's price on one book (and open the market there).
    SetPrice {
        /// Book.
        book: SimBook,
        /// SportRadar id.
        event: String,
        /// Canonical market id.
        market: String,
        /// Line, for line markets.
        #[serde(default)]
        line: Option<Line>,
        /// Outcome (BetPawa name).
        outcome: String,
        /// New price.
        price: Price,
    },
    /// Set several outcomes' prices of one market on one book at once (and open the market
    /// there), e.g. `{"action": "set_market", "book": "betpawa", "event": "61000007", "market":
    /// "3743", "prices": {"1": 2.30, "X": 3.40, "2": 3.40}}`. Outcomes not named keep their
    /// price; an unknown outcome changes nothing.
    SetMarket {
        /// Book.
        book: SimBook,
        /// SportRadar id.
        event: String,
        /// Canonical market id.
        market: String,
        /// Line, for line markets.
        #[serde(default)]
        line: Option<Line>,
        /// Price per outcome (BetPawa names).
        prices: BTreeMap<String, Price>,
    },
    /// Show the market with every outcome suspended (Bet9ja and The Odds API omit it).
    Suspend {
        /// Book.
        book: SimBook,
        /// SportRadar id.
        event: String,
        /// Canonical market id.
        market: String,
        /// Line.
        #[serde(default)]
        line: Option<Line>,
    },
    /// Drop the market from the book's responses.
    Remove {
        /// Book.
        book: SimBook,
        /// SportRadar id.
        event: String,
        /// Canonical market id.
        market: String,
        /// Line.
        #[serde(default)]
        line: Option<Line>,
    },
    /// Bring a suspended or removed market back.
    Restore {
        /// Book.
        book: SimBook,
        /// SportRadar id.
        event: String,
        /// Canonical market id.
        market: String,
        /// Line.
        #[serde(default)]
        line: Option<Line>,
    },
    /// Move the kickoff to now: the event leaves discovery and its fetches answer "gone".
    KickOff {
        /// SportRadar id.
        event: String,
    },
    /// Change the fraction of faulty responses.
    SetFaultRate {
        /// 0–1.
        rate: f64,
    },
}

/// One event as `GET /sim/events` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimEventInfo {
    /// SportRadar id.
    pub sportradar_id: String,
    /// BetPawa id.
    pub betpawa_id: String,
    /// SportyBet id (`sr:match:…`).
    pub sportybet_id: String,
    /// Bet9ja id.
    pub bet9ja_id: String,
    /// Home team.
    pub home: String,
    /// Away team.
    pub away: String,
    /// Kickoff.
    pub kickoff: DateTime<Utc>,
    /// Books listing the event.
    pub books: Vec<SimBook>,
}

/// Shared by the handlers.
struct SimState {
    model: RwLock<Model>,
    faults: Mutex<Faults>,
    tick: TickMode,
    odds_api_used: std::sync::atomic::AtomicU64,
}

impl SimState {
    fn read(&self) -> RwLockReadGuard<'_, Model> {
        self.model.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Model> {
        self.model.write().unwrap_or_else(|e| e.into_inner())
    }

    fn apply(&self, script: Script) -> Result<Option<u64>, ScriptError> {
        if let Script::SetFaultRate { rate } = script {
            self.set_fault_rate(rate);
            return Ok(None);
        }
        change(&mut self.write(), script)
    }

    /// Applies `scripts` under one lock: no request sees some of them without the rest.
    fn apply_all(&self, scripts: Vec<Script>) -> Result<(), ScriptError> {
        let mut model = self.write();
        let mut rates = Vec::new();
        for script in scripts {
            match script {
                Script::SetFaultRate { rate } => rates.push(rate),
                script => {
                    change(&mut model, script)?;
                }
            }
        }
        drop(model);
        for rate in rates {
            self.set_fault_rate(rate);
        }
        Ok(())
    }

    fn set_fault_rate(&self, rate: f64) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).rate = rate.clamp(0.0, 1.0);
    }
}

/// One scripted change to the model; the fault rate is not the model's (see
/// [`SimState::apply`]) and is left alone here.
fn change(model: &mut Model, script: Script) -> Result<Option<u64>, ScriptError> {
    {
        match script {
            Script::Tick => return Ok(Some(model.tick())),
            Script::SetPrice {
                book,
                event,
                market,
                line,
                outcome,
                price,
            } => model.set_price(book, &event, &market, line, &outcome, price)?,
            Script::SetMarket {
                book,
                event,
                market,
                line,
                prices,
            } => {
                let prices: Vec<(&str, Price)> =
                    prices.iter().map(|(o, p)| (o.as_str(), *p)).collect();
                model.set_market(book, &event, &market, line, &prices)?
            }
            Script::Suspend {
                book,
                event,
                market,
                line,
            } => model.set_availability(book, &event, &market, line, Availability::Suspended)?,
            Script::Remove {
                book,
                event,
                market,
                line,
            } => model.set_availability(book, &event, &market, line, Availability::Removed)?,
            Script::Restore {
                book,
                event,
                market,
                line,
            } => model.set_availability(book, &event, &market, line, Availability::Open)?,
            Script::KickOff { event } => model.set_kickoff(&event, Utc::now())?,
            Script::SetFaultRate { .. } => {}
        }
        Ok(None)
    }
}

/// The running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    state: Arc<SimState>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    ticker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("tick", &self.tick)
            .finish_non_exhaustive()
    }
}

/// Generates the market and serves it on 127.0.0.1 (`options.port`, 0 for any free port).
pub async fn start(options: SimOptions) -> std::io::Result<(SocketAddr, SimHandle)> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).await?;
    let addr = listener.local_addr()?;
    let (seed, events) = (options.seed, options.events);
    let model = tokio::task::spawn_blocking(move || Model::generate(seed, events, Utc::now()))
        .await
        .map_err(std::io::Error::other)?;
    let mut faults = Faults::new(
        options.seed,
        options.fault_rate,
        options.fault_kinds.clone(),
        options.fault_book.clone(),
        FaultTiming {
            slow: options.slow_delay,
            drip_bytes: options.drip_chunk_bytes,
            drip_every: options.drip_every,
            oversize_bytes: options.oversize_bytes,
        },
    );
    faults.events_only = options.fault_events_only;
    let state = Arc::new(SimState {
        model: RwLock::new(model),
        faults: Mutex::new(faults),
        tick: options.tick,
        odds_api_used: Default::default(),
    });
    let app = Router::new()
        .merge(betpawa::routes())
        .merge(sportybet::routes())
        .merge(bet9ja::routes())
        .merge(oddsapi::routes())
        .route("/sim/tick", post(tick_handler))
        .route("/sim/script", post(script_handler))
        .route("/sim/events", get(events_handler))
        .with_state(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "simulator server stopped");
        }
    });
    let ticker = match options.tick {
        TickMode::Every(period) => {
            let state = state.clone();
            Some(tokio::spawn(async move {
                let mut interval = tokio::time::interval(period);
                interval.tick().await;
                loop {
                    interval.tick().await;
                    state.write().tick();
                }
            }))
        }
        _ => None,
    };
    tracing::info!(%addr, events, seed, "simulated bookmakers listening");
    Ok((
        addr,
        SimHandle {
            addr,
            state,
            stop: Some(stop),
            server,
            ticker,
        },
    ))
}

impl SimHandle {
    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the base URL of every simulated book.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Advances the model one tick; returns the tick count.
    pub fn tick(&self) -> u64 {
        self.state.write().tick()
    }

    /// Applies a scripted change (as `POST /sim/script` does).
    pub fn apply(&self, script: Script) -> Result<(), ScriptError> {
        self.state.apply(script).map(|_| ())
    }

    /// Applies several scripted changes at once: no feed request sees some without the rest
    /// (a test's step is one market state, never half of one).
    pub fn apply_all(&self, scripts: Vec<Script>) -> Result<(), ScriptError> {
        self.state.apply_all(scripts)
    }

    /// Sets one outcome's price on one book.
    pub fn set_price(
        &self,
        book: SimBook,
        event: &str,
        market: &str,
        line: Option<Line>,
        outcome: &str,
        price: Price,
    ) -> Result<(), ScriptError> {
        self.state
            .write()
            .set_price(book, event, market, line, outcome, price)
    }

    /// Sets several outcomes' prices of one market on one book at once, e.g.
    /// `&[("1", 2.30), ("X", 3.40), ("2", 3.40)]` (as [`Price`]s).
    pub fn set_market(
        &self,
        book: SimBook,
        event: &str,
        market: &str,
        line: Option<Line>,
        prices: &[(&str, Price)],
    ) -> Result<(), ScriptError> {
        self.state
            .write()
            .set_market(book, event, market, line, prices)
    }

    /// Sets a market's availability on one book.
    pub fn set_availability(
        &self,
        book: SimBook,
        event: &str,
        market: &str,
        line: Option<Line>,
        availability: Availability,
    ) -> Result<(), ScriptError> {
        self.state
            .write()
            .set_availability(book, event, market, line, availability)
    }

    /// Events with their ids on each book.
    pub fn events(&self) -> Vec<SimEventInfo> {
        event_infos(&self.state.read())
    }

    /// Read access to the model (tests compare adapters' output with it).
    pub fn with_model<R>(&self, read: impl FnOnce(&Model) -> R) -> R {
        read(&self.state.read())
    }

    /// Stops serving and waits (briefly) for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        // Graceful shutdown waits for open keep-alive connections; do not wait forever.
        if tokio::time::timeout(Duration::from_secs(2), &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.server.abort();
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
    }
}

fn event_infos(model: &Model) -> Vec<SimEventInfo> {
    model
        .events
        .iter()
        .map(|e| SimEventInfo {
            sportradar_id: e.sportradar_id.to_string(),
            betpawa_id: e.betpawa_id.to_string(),
            sportybet_id: format!("sr:match:{}", e.sportradar_id),
            bet9ja_id: e.bet9ja_id.to_string(),
            home: e.home.clone(),
            away: e.away.clone(),
            kickoff: e.kickoff,
            books: SimBook::ALL
                .into_iter()
                .filter(|b| e.listed[b.index()])
                .collect(),
        })
        .collect()
}

async fn tick_handler(State(state): State<Arc<SimState>>) -> Json<serde_json::Value> {
    let tick = state.write().tick();
    Json(serde_json::json!({ "tick": tick }))
}

async fn script_handler(
    State(state): State<Arc<SimState>>,
    Json(script): Json<Script>,
) -> Response {
    match state.apply(script) {
        Ok(tick) => Json(serde_json::json!({ "ok": true, "tick": tick })).into_response(),
        Err(e) => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "ok": false, "error": e.to_string() })),
        )
            .into_response(),
    }
}

async fn events_handler(State(state): State<Arc<SimState>>) -> Json<Vec<SimEventInfo>> {
    Json(event_infos(&state.read()))
}

/// Serialises a response body (done under the model's read lock, which is released before
/// anything is awaited).
fn json_body<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec())
}

/// Sends a body of `book` (a slug of [`FAULT_BOOKS`]) through the fault injector.
async fn respond(
    state: &SimState,
    book: &'static str,
    kind: BodyKind,
    status: StatusCode,
    body: Vec<u8>,
) -> Response {
    let fault = state
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .roll(book, kind);
    faults::apply(fault, book, kind, status, body).await
}

/// Whether an event is still pre-match.
fn upcoming(kickoff: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    kickoff > now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_market_is_one_json_script() {
        let script: Script = serde_json::from_value(serde_json::json!({
            "action": "set_market", "book": "betpawa", "event": "61000007", "market": "5000",
            "line": 2.5, "prices": {"Over": 2.10, "Under": 2.05}
        }))
        .unwrap();
        let Script::SetMarket {
            book, line, prices, ..
        } = &script
        else {
            panic!("{script:?}");
        };
        assert_eq!(*book, SimBook::Betpawa);
        assert_eq!(line.map(|l| l.milli()), Some(2500));
        let milli: Vec<(&str, u32)> = prices
            .iter()
            .map(|(o, p)| (o.as_str(), p.milli()))
            .collect();
        assert_eq!(milli, [("Over", 2100), ("Under", 2050)]);
    }

    #[test]
    fn a_scripted_market_applies_through_the_state_and_reports_unknown_events() {
        let state = SimState {
            model: RwLock::new(Model::generate(1, 5, Utc::now())),
            faults: Mutex::new(Faults::new(
                1,
                0.0,
                Vec::new(),
                None,
                FaultTiming::default(),
            )),
            tick: TickMode::Manual,
            odds_api_used: Default::default(),
        };
        let event = state.read().events[0].sportradar_id.to_string();
        let script = |event: &str| Script::SetMarket {
            book: SimBook::Sportybet,
            event: event.to_string(),
            market: "3795".into(),
            line: None,
            prices: BTreeMap::from([("Yes".to_string(), Price::from_milli(1800))]),
        };
        assert_eq!(state.apply(script(&event)), Ok(None));
        let yes = state.read().events[0]
            .markets
            .iter()
            .find(|m| state.read().defs[m.def as usize].market_id == "3795")
            .map(|m| m.prices[0][SimBook::Sportybet.index()]);
        assert_eq!(yes, Some(1800));
        assert_eq!(
            state.apply(script("1")),
            Err(ScriptError::UnknownEvent("1".into()))
        );
    }
}
