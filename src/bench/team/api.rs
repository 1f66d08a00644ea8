//! The API of the desk: served in-process as `oddswatch serve` serves it (its own pool, a poller
//! with its `LISTEN` connection for the live stream), and K clients asking for the alert list,
//! the stats and the health in turn over loopback HTTP.

use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::connections::{Pools, Role};
use crate::service::AlertService;
use crate::store::Store;

/// Pause between one client's requests: a dashboard or script polling, not a load generator.
pub const CLIENT_PAUSE: Duration = Duration::from_millis(250);

/// The paths a client asks for, in turn.
const PATHS: [&str; 3] = ["/api/alerts?limit=50", "/api/alerts/stats", "/api/health"];

/// The API served on a free loopback port.
pub struct ServedApi {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    service: AlertService,
    poller: JoinHandle<()>,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

/// Serves the API on `url` with a pool of `pool` connections, as `oddswatch serve` does.
pub async fn serve(url: &str, pool: u32, pools: &Pools) -> Result<ServedApi> {
    let store = Store::connect_as(url, pool, crate::store::DbRole::Api)
        .await
        .wrap_err("connecting the API's pool")?;
    pools.add(Role::Api, &store);
    let (listener, local) = crate::api::bind(([127, 0, 0, 1], 0).into(), false).await?;
    let service = AlertService::new(store.clone(), "bench-api");
    let feed = crate::live::ChangeFeed::default();
    let poller = crate::live::spawn_poller(store, feed.clone(), crate::live::POLL_EVERY);
    let state = crate::api::ApiState {
        service: service.clone(),
        feed,
        status: None,
        token: None,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(crate::api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    Ok(ServedApi {
        base: format!("http://{local}"),
        service,
        poller,
        stop,
        server,
    })
}

impl ServedApi {
    /// Stops serving and closes the pool.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.server).await;
        self.poller.abort();
        self.service.close().await;
    }
}

/// One client's requests: how long each took, and the failed ones.
#[derive(Debug, Default)]
pub struct ClientFigures {
    /// Time of each request that answered 2xx.
    pub ok: Vec<Duration>,
    /// Non-2xx answers and transport errors, as text (`GET /api/health: 503`).
    pub errors: Vec<String>,
}

/// Runs one client against `base` until `stop` turns true.
pub fn spawn_client(
    base: String,
    offset: usize,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<ClientFigures> {
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let mut figures = ClientFigures::default();
        let mut n = offset;
        while !*stop.borrow() {
            let path = PATHS[n % PATHS.len()];
            n += 1;
            let started = Instant::now();
            match client.get(format!("{base}{path}")).send().await {
                Ok(response) if response.status().is_success() => {
                    // The whole body, as a client reads it.
                    match response.bytes().await {
                        Ok(_) => figures.ok.push(started.elapsed()),
                        Err(e) => figures.errors.push(format!("GET {path}: body: {e}")),
                    }
                }
                Ok(response) => figures
                    .errors
                    .push(format!("GET {path}: {}", response.status())),
                Err(e) => figures.errors.push(format!("GET {path}: {e}")),
            }
            tokio::select! {
                _ = stop.changed() => {}
                () = tokio::time::sleep(CLIENT_PAUSE) => {}
            }
        }
        figures
    })
}
