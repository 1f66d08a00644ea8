//! The connection budget on PostgreSQL (DESIGN §11): a UI holds at most `pool.ui` (1) + 1
//! (its LISTEN) connections however hard its effects are driven, and the API at most
//! `pool.api` + 1 under parallel requests. Counted in `pg_stat_activity` by the role's
//! `application_name`, as an operator would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use oddswatch::config::{Config, Secret};
use oddswatch::live::{ChangeFeed, spawn_poller};
use oddswatch::service::AlertService;
use oddswatch::store::DbRole;
use oddswatch::tui::action::{Action, Effect};
use oddswatch::tui::effects::EffectRunner;
use oddswatch::tui::keymap::{Command, Keymap};
use oddswatch::tui::state::State;
use oddswatch::tui::update::update;
use sqlx::Connection;
use tokio::sync::mpsc;

use crate::common::pg_empty_database;

/// Samples how many connections named `application_name` the database `db` has, every 5 ms,
/// until stopped; the highest count seen.
struct Peak {
    peak: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Peak {
    async fn watch(admin: &str, db: &str, application_name: &'static str) -> Peak {
        let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
        let (peak, stop) = (
            Arc::new(AtomicI64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (p, s, db) = (peak.clone(), stop.clone(), db.to_string());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = $2",
                )
                .bind(application_name)
                .bind(&db)
                .fetch_one(&mut conn)
                .await
                .unwrap();
                p.fetch_max(n, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        Peak { peak, stop, task }
    }

    async fn finish(self) -> i64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        self.peak.load(Ordering::Relaxed)
    }
}

fn config_for(url: &str) -> Config {
    let mut config = Config::defaults();
    config.database.url = Secret::new(url.to_string());
    config
}

/// A database with demo alerts and odds, so lists, stats, details and market screens have work.
async fn seeded(url: &str) {
    let store = oddswatch::store::Store::open(url, 4).await.unwrap();
    let options = oddswatch::demo::DemoOptions {
        alerts: 3_000,
        events: 40,
        seed: 7,
    };
    oddswatch::demo::load(&store, &options, |_| {})
        .await
        .unwrap();
    let events = oddswatch::bench::board::stored_events(&store)
        .await
        .unwrap();
    let records: Vec<_> = events.into_iter().map(|(_, r)| r).collect();
    oddswatch::bench::odds_seed::seed_odds(&store, &records, Utc::now(), 7)
        .await
        .unwrap();
    store.close().await;
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ui_driven_hard_never_holds_more_than_two_connections() {
    let Some((admin, db, url)) = pg_empty_database().await else {
        return;
    };
    seeded(&url).await;
    let config = config_for(&url);
    assert_eq!(oddswatch::cli::role_pool_size(&config, DbRole::Ui), 1);
    let peak = Peak::watch(&admin, &db, "oddswatch-ui").await;

    // What `oddswatch tui` runs: the UI's store, the change poller (with its LISTEN), the
    // effects task spawning every effect in its own task, and `update`.
    let store = oddswatch::cli::open_role_store(&config, DbRole::Ui)
        .await
        .unwrap();
    let feed = ChangeFeed::default();
    let poller = spawn_poller(store.clone(), feed.clone(), Duration::from_millis(20));
    let (results_tx, mut results) = mpsc::unbounded_channel();
    let (effects_tx, effects_rx) = mpsc::unbounded_channel::<Effect>();
    let runner = EffectRunner {
        service: AlertService::new(store.clone(), "desk"),
        pipeline: None,
        results: results_tx,
    };
    let effects_task = tokio::spawn(runner.run(effects_rx));
    let keymap = Arc::new(Keymap::defaults());
    let market = keymap.first_key(Command::Market);
    let market = KeyCode::Char(market.chars().next().expect("market has a key"));
    let mut state = State::new(Utc::now(), url.clone(), Arc::new(config), keymap);
    state.size = (120, 40);
    let send = |effects: Vec<Effect>| {
        for e in effects {
            if !matches!(e, Effect::Bell | Effect::Quit | Effect::Copy(_)) {
                effects_tx.send(e).unwrap();
            }
        }
    };
    send(update(&mut state, Action::Start));

    // Keys that load lists, counts, groups, stats, details and market screens, pressed without
    // waiting for answers, with ticks every "second" (stats, team line, market refresh).
    let keys = [
        KeyCode::Char('2'),
        KeyCode::Char('3'),
        KeyCode::Char('1'),
        KeyCode::Char('s'),
        KeyCode::Char('t'),
        KeyCode::Char('o'),
        KeyCode::Enter,
        market,
        KeyCode::Char('r'),
        KeyCode::Esc,
        KeyCode::Esc,
        KeyCode::Char('v'),
        KeyCode::Char('v'),
        KeyCode::Char('j'),
    ];
    let mut errors = Vec::new();
    let mut answered = 0u64;
    let mut pages = 0u64;
    let mut clock = Utc::now();
    let started = Instant::now();
    let mut round = 0usize;
    while started.elapsed() < Duration::from_secs(4) {
        send(update(&mut state, key(keys[round % keys.len()])));
        if round.is_multiple_of(5) {
            clock += chrono::Duration::seconds(1);
            send(update(&mut state, Action::Tick(clock)));
        }
        round += 1;
        while let Ok(action) = results.try_recv() {
            answered += 1;
            pages += u64::from(matches!(action, Action::PageLoaded { result: Ok(_), .. }));
            send(update(&mut state, action));
            if let Some(m) = state.message.as_ref().filter(|m| m.error) {
                errors.push(m.text.clone());
                state.message = None;
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // The answers still on their way must come without a pool timeout.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(2) {
        match tokio::time::timeout(Duration::from_millis(300), results.recv()).await {
            Ok(Some(action)) => {
                answered += 1;
                pages += u64::from(matches!(action, Action::PageLoaded { result: Ok(_), .. }));
                update(&mut state, action);
                if let Some(m) = state.message.as_ref().filter(|m| m.error) {
                    errors.push(m.text.clone());
                    state.message = None;
                }
            }
            _ => break,
        }
    }
    let peak = peak.finish().await;
    effects_task.abort();
    poller.abort();
    store.close().await;
    eprintln!("UI: peak {peak} oddswatch-ui connections over {answered} answers ({pages} windows)");
    assert!(errors.is_empty(), "effects failed: {errors:?}");
    assert!(
        answered > 100,
        "the UI was not driven hard: {answered} answers"
    );
    assert!(pages > 10, "only {pages} windows of alerts loaded");
    assert!(
        peak <= 2,
        "a UI held {peak} connections named oddswatch-ui; the budget is pool.ui (1) + 1 LISTEN"
    );
    assert_eq!(
        peak, 2,
        "the query connection and the LISTEN were both expected"
    );
    let _ = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap()
        .execute_drop(&db)
        .await;
}

trait DropDb {
    async fn execute_drop(self, db: &str) -> Result<(), sqlx::Error>;
}

impl DropDb for sqlx::PgConnection {
    async fn execute_drop(mut self, db: &str) -> Result<(), sqlx::Error> {
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
            .execute(&mut self)
            .await
            .map(|_| ())
    }
}

/// `oddswatch serve` (the real binary) answering 400 requests, 80 at a time, never holds more
/// than `pool.api` + 1 connections named `oddswatch-api`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_under_parallel_requests_stays_within_its_pool_and_listen() {
    let Some((admin, db, url)) = pg_empty_database().await else {
        return;
    };
    seeded(&url).await;
    let peak = Peak::watch(&admin, &db, "oddswatch-api").await;
    let sandbox = crate::sandbox::Sandbox::new();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("oddswatch"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ODDSWATCH_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env("HOME", sandbox.home.path())
        .env("XDG_CONFIG_HOME", sandbox.home.path().join("config"))
        .env("XDG_DATA_HOME", sandbox.home.path().join("data"))
        .env("RUST_LOG", "warn")
        .env("ODDSWATCH_DATABASE_POOL_API", "3")
        .args(["--database-url", &url, "serve", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let base = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let line = std::io::BufReader::new(stdout)
            .lines()
            .next()
            .unwrap()
            .unwrap();
        // "serving the oddswatch API on http://127.0.0.1:PORT/api (Ctrl-C stops)"
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap();
        url.trim_end_matches("/api").to_string()
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let paths = [
        "/api/alerts?limit=50",
        "/api/alerts/stats",
        "/api/alerts?status=new&severity=critical",
        "/api/silences",
        "/api/health",
        "/api/alerts?q=arsenal",
    ];
    let mut failures = Vec::new();
    for round in 0..5 {
        let requests = (0..80).map(|i| {
            let url = format!("{base}{}", paths[(i + round) % paths.len()]);
            let client = client.clone();
            async move { client.get(&url).send().await.map(|r| (url, r.status())) }
        });
        for result in futures::future::join_all(requests).await {
            match result {
                Ok((_, status)) if status.is_success() => {}
                Ok((url, status)) => failures.push(format!("{url}: {status}")),
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    let peak = peak.finish().await;
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap()
        .execute_drop(&db)
        .await;
    eprintln!("API: peak {peak} oddswatch-api connections over 400 requests");
    assert!(failures.is_empty(), "requests failed: {failures:?}");
    assert!(
        peak <= 3 + 1,
        "the API held {peak} connections named oddswatch-api; the budget is pool.api (3) + 1 LISTEN"
    );
    assert!(
        peak >= 2,
        "the pool and the LISTEN should both show: {peak}"
    );
}
