//! The harness of the handover tests ([`super::handover`]): real `oddswatch scrape` processes on
//! one PostgreSQL database, their books pointed at a simulator of the test in manual ticks, a
//! scripted scenario stepped only once every shard was scraped after the previous step, the
//! alerts read back as comparable identities, and a TCP proxy that can cut one daemon off the
//! database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use oddswatch::domain::Price;
use oddswatch::sim::{Script, SimBook, SimHandle, SimOptions, TickMode};
use oddswatch::store::Store;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Shards of the test daemons.
pub const SHARDS: i64 = 8;
/// Events of the simulator.
pub const EVENTS: u32 = 24;

/// A simulator in manual ticks, the same for every run of a test (same seed).
pub async fn sim() -> SimHandle {
    let options = SimOptions {
        events: EVENTS,
        tick: TickMode::Manual,
        seed: 17,
        ..SimOptions::default()
    };
    oddswatch::sim::start(options).await.unwrap().1
}

/// One step of the scenario: scripts applied at once.
pub type Step = Vec<Script>;

fn p(s: &str) -> Price {
    s.parse().unwrap()
}

/// The scripted scenario on `sim`'s events: ticks, price moves on the home book and a
/// competitor, a market removed and restored. The same events every run (same seed).
pub fn scenario(sim: &SimHandle) -> Vec<Step> {
    let soon = Utc::now() + chrono::Duration::hours(1);
    let events: Vec<String> = sim
        .events()
        .into_iter()
        .filter(|e| e.kickoff > soon && e.books.len() == 3)
        .map(|e| e.sportradar_id)
        .collect();
    assert!(events.len() >= 6, "the simulator offers enough matches");
    let set = |book, event: &String, outcome: &str, price: &str| Script::SetPrice {
        book,
        event: event.clone(),
        market: "3743".into(),
        line: None,
        outcome: outcome.into(),
        price: p(price),
    };
    let remove = |event: &String| Script::Remove {
        book: SimBook::Betpawa,
        event: event.clone(),
        market: "3795".into(),
        line: None,
    };
    let restore = |event: &String| Script::Restore {
        book: SimBook::Betpawa,
        event: event.clone(),
        market: "3795".into(),
        line: None,
    };
    let mut steps: Vec<Step> = vec![
        events
            .iter()
            .flat_map(|e| {
                [
                    set(SimBook::Betpawa, e, "1", "3.00"),
                    set(SimBook::Sportybet, e, "1", "3.00"),
                ]
            })
            .collect(),
    ];
    for round in 0..4 {
        steps.push(vec![Script::Tick]);
        let price = ["2.70", "3.30", "2.60", "3.40"][round];
        let mut step: Step = events
            .iter()
            .step_by(2)
            .map(|e| set(SimBook::Betpawa, e, "1", price))
            .collect();
        step.push(set(
            SimBook::Sportybet,
            &events[1],
            "1",
            ["3.20", "2.80"][round % 2],
        ));
        if round % 2 == 0 {
            step.extend(events.iter().skip(1).step_by(3).map(remove));
        } else {
            step.extend(events.iter().skip(1).step_by(3).map(restore));
        }
        steps.push(step);
    }
    steps
}

/// A scraping daemon: an `oddswatch scrape` process.
pub struct Daemon {
    child: Option<Child>,
    /// Its stderr log.
    pub log: PathBuf,
}

impl Daemon {
    /// Starts `oddswatch scrape` on `database_url` with the books at `sim_url`, 1 s cycles and
    /// 3 s leases, its data (dead letters) under `home/<name>`.
    pub fn start(home: &Path, name: &str, database_url: &str, sim_url: &str) -> Daemon {
        let dir = home.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("stderr.log");
        let child = Command::new(env!("CARGO_BIN_EXE_oddswatch"))
            .args(["--database-url", database_url, "scrape"])
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("ODDSWATCH_SCRAPE_SIMULATOR", "false")
            .env("ODDSWATCH_SCRAPE_INTERVAL_SECS", "1")
            .env("ODDSWATCH_SCRAPE_LEASE_SECS", "3")
            .env("ODDSWATCH_SCRAPE_SHARDS", SHARDS.to_string())
            .env("ODDSWATCH_API_ENABLED", "false")
            .env("ODDSWATCH_SCRAPE_METRICS_BIND", "")
            .env("ODDSWATCH_BOOKS_BETPAWA_BASE_URL", sim_url)
            .env("ODDSWATCH_BOOKS_SPORTYBET_BASE_URL", sim_url)
            .env("ODDSWATCH_BOOKS_BET9JA_BASE_URL", sim_url)
            .env("ODDSWATCH_LOG_LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Daemon {
            child: Some(child),
            log,
        }
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// `kill -9`: no clean stop, its leases expire.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM and wait: a clean stop (leases released).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let status = tokio::task::spawn_blocking(move || child.wait())
                .await
                .unwrap()
                .unwrap();
            assert!(status.success(), "a clean stop exits 0: {}", self.tail());
        }
    }

    /// The end of its log, for failure messages.
    pub fn tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = log.len().saturating_sub(4000);
        log.get(start..).unwrap_or(&log).to_string()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A lease row: shard, owner, last scrape.
pub type LeaseRow = (i64, Option<String>, Option<DateTime<Utc>>);

/// The lease table.
pub async fn leases(store: &Store) -> Vec<LeaseRow> {
    let Store::Postgres(pool) = store else {
        unreachable!("handover runs on PostgreSQL")
    };
    sqlx::query_as("SELECT shard::BIGINT, owner, last_scraped_at FROM scrape_leases ORDER BY shard")
        .fetch_all(pool)
        .await
        .unwrap_or_default()
}

/// Waits until every shard was scraped (a cycle that started) after `after` and, when
/// `owners` is given, until exactly that many daemons hold shards. Returns the leases then.
pub async fn wait_scraped_after(
    store: &Store,
    after: DateTime<Utc>,
    owners: Option<usize>,
    within: Duration,
    daemons: &[Daemon],
) -> Vec<LeaseRow> {
    let deadline = Instant::now() + within;
    loop {
        let rows = leases(store).await;
        let all = rows.len() as i64 == SHARDS
            && rows
                .iter()
                .all(|(_, owner, at)| owner.is_some() && at.is_some_and(|at| at > after));
        let distinct: std::collections::BTreeSet<_> =
            rows.iter().filter_map(|(_, o, _)| o.clone()).collect();
        if all && owners.is_none_or(|n| distinct.len() == n) {
            return rows;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = daemons.iter().map(Daemon::tail).collect();
            panic!(
                "shards not all scraped after {after} within {within:?}: {rows:?}\n{}",
                logs.join("\n-----\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until none of the daemons `pids` is in the middle of a cycle: none has a run still
/// `running`. A step applied while a cycle fetches could be seen half by it (one book's answer
/// from before, another's from after) and raise what the step does not; a single daemon that just
/// finished the cycle the harness waited for is never mid-cycle, so without this wait the team
/// run would be judged on a different scenario. A cycle that starts right after the check has
/// still to record its run, read its settings and discover before it fetches, so it sees the
/// whole step. A run `running` for more than ten seconds is a killed or cut-off daemon's.
pub async fn wait_between_cycles(store: &Store, pids: &[u32], within: Duration) {
    let Store::Postgres(pool) = store else {
        unreachable!("handover runs on PostgreSQL")
    };
    let deadline = Instant::now() + within;
    loop {
        let running: Vec<(String,)> = sqlx::query_as(
            "SELECT daemon_id FROM scrape_runs WHERE status = 'running' \
             AND daemon_id IS NOT NULL AND started_at > now() - interval '10 seconds'",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        let busy = running
            .iter()
            .any(|(id,)| pids.iter().any(|pid| id.contains(&format!(":{pid}:"))));
        if !busy {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "a daemon stayed mid-cycle for {within:?}: {running:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The events whose first step (home and SportyBet "1" of the 1X2 set to 3.00 at once) was
/// observed split: the two books' price history shows the move in different cycles. The
/// harness's premise is that none is ([`wait_between_cycles`]); a split would raise alerts the
/// scenario does not make.
pub async fn first_step_split(store: &Store) -> Vec<String> {
    let Store::Postgres(pool) = store else {
        unreachable!("handover runs on PostgreSQL")
    };
    let rows: Vec<(String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT e.sr_id, h.bookmaker, h.outcomes, h.recorded_at FROM price_history h \
         JOIN events e ON e.id = h.event_id \
         WHERE h.market_id = '3743' AND h.bookmaker IN ('betpawa', 'sportybet') \
         ORDER BY e.sr_id, h.bookmaker, h.recorded_at, h.id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let three = Price::from_milli(3000);
    let one_at = |outcomes: &str| -> Option<Price> {
        let outcomes: Vec<serde_json::Value> = serde_json::from_str(outcomes).ok()?;
        let one = outcomes.iter().find(|o| o["name"] == "1")?;
        one["price"].as_f64().and_then(Price::from_f64)
    };
    // (event, book) → when "1" first moved to 3.00 from another price.
    let mut moved: BTreeMap<(String, String), DateTime<Utc>> = BTreeMap::new();
    let mut last: Option<((String, String), Option<Price>)> = None;
    for (event, book, outcomes, at) in rows {
        let key = (event, book);
        let price = one_at(&outcomes);
        let before = match &last {
            Some((k, p)) if *k == key => Some(*p),
            _ => None,
        };
        if let Some(before) = before
            && before != Some(three)
            && price == Some(three)
        {
            moved.entry(key.clone()).or_insert(at);
        }
        last = Some((key, price));
    }
    let mut split = Vec::new();
    for ((event, book), at) in &moved {
        if book == "betpawa"
            && let Some(other) = moved.get(&(event.clone(), "sportybet".to_string()))
            && other != at
        {
            split.push(format!("{event}: betpawa at {at}, sportybet at {other}"));
        }
    }
    split
}

/// An alert as the comparison sees it: identity and values, without times or ids.
pub type AlertKey = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
);

/// Every stored alert as a comparable key, with how many times each key is stored.
pub async fn alert_keys(store: &Store) -> BTreeMap<AlertKey, usize> {
    let Store::Postgres(pool) = store else {
        unreachable!("handover runs on PostgreSQL")
    };
    let rows: Vec<AlertKey> = sqlx::query_as(
        "SELECT a.alert_type, e.sr_id, a.bookmaker, a.market_id, \
                COALESCE(CAST(a.line AS TEXT), ''), COALESCE(a.outcome_name, ''), \
                COALESCE(CAST(ROUND(CAST(a.old_price AS NUMERIC), 3) AS TEXT), ''), \
                COALESCE(CAST(ROUND(CAST(a.new_price AS NUMERIC), 3) AS TEXT), ''), \
                a.severity, a.occurrences, COALESCE(a.availability, '') \
         FROM alerts a JOIN events e ON e.id = a.event_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut keys = BTreeMap::new();
    for row in rows {
        *keys.entry(row).or_insert(0) += 1;
    }
    keys
}

/// Occurrence rows stored and the occurrences the alerts count: equal unless a detection was
/// stored twice or lost.
pub async fn occurrence_totals(store: &Store) -> (i64, i64) {
    let Store::Postgres(pool) = store else {
        unreachable!()
    };
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alert_occurrences")
        .fetch_one(pool)
        .await
        .unwrap();
    let (counted,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(SUM(occurrences), 0) AS BIGINT) FROM alerts")
            .fetch_one(pool)
            .await
            .unwrap();
    (rows, counted)
}

/// A TCP proxy between one daemon and PostgreSQL that the test can cut: every open connection
/// is closed and new ones are refused until it is restored.
pub struct Proxy {
    /// `127.0.0.1:PORT` it listens on.
    pub addr: std::net::SocketAddr,
    cut: Arc<watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// A proxy to `upstream`.
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(false);
        let cut = Arc::new(cut);
        let cuts = cut.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let mut cut_rx = cuts.subscribe();
                if *cut_rx.borrow() {
                    let _ = client.shutdown().await;
                    continue;
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.wait_for(|c| *c) => {}
                    }
                });
            }
        });
        Proxy { addr, cut, task }
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `url` (`postgres://user@host:port/db`) with its host and port replaced by `addr`, and the
/// `host:port` it named.
pub fn through(url: &str, addr: std::net::SocketAddr) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, rest) = match rest.split_once('@') {
        Some((user, rest)) => (format!("{user}@"), rest),
        None => (String::new(), rest),
    };
    let (host, path) = rest.split_once('/').unwrap();
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    (format!("{scheme}://{userinfo}{addr}/{path}"), host)
}
