//! The real binary in a pseudo-terminal: `oddswatch tui` on a temp SQLite file, open help,
//! close it, acknowledge the selected alert, quit. The database shows the acknowledgement and
//! the terminal is restored (alternate screen left, cursor shown, canonical mode back) — also
//! when SIGTERM or SIGINT stops the attached UI or the monitor. Without a terminal, the monitor
//! prints every stored alert and exits 0 on SIGTERM and SIGHUP.
//!
//! The PTY comes from util-linux `script`, which every Linux CI image has; the test skips with a
//! notice where it is missing.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod silence;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Everything the UI printed so far.
#[derive(Clone, Default)]
struct Screen(Arc<Mutex<Vec<u8>>>);

impl Screen {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    /// Waits up to `limit` for `needle`; false if it did not show.
    fn wait_for_or(&self, limit: Duration, needle: impl Fn(&str) -> bool) -> bool {
        let start = Instant::now();
        while !needle(&self.text()) {
            if start.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }
    fn wait_for(&self, what: &str, needle: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while !needle(&self.text()) {
            assert!(
                start.elapsed() < TIMEOUT,
                "timed out waiting for {what}; the screen so far:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn acknowledgements_by(db: &std::path::Path, actor: &str) -> i64 {
    let url = format!("sqlite://{}", db.display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM alert_audit WHERE actor = ? AND action = 'acknowledge'",
        )
        .bind(actor)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        n
    })
}

#[test]
fn the_ui_opens_shows_help_acknowledges_and_restores_the_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("notice: util-linux `script` is not installed; skipping the PTY smoke test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("smoke.db");
    let url = format!("sqlite://{}", db.display());
    let bin = env!("CARGO_BIN_EXE_oddswatch");
    let demo = Command::new(bin)
        .args(["--database-url", &url, "demo-data", "--alerts", "60"])
        .env("ODDSWATCH_LOG_DIR", dir.path().join("logs"))
        .output()
        .unwrap();
    assert!(demo.status.success(), "{demo:?}");
    let before = acknowledgements_by(&db, "smoke-tester");

    let inner =
        format!("stty rows 24 cols 80; {bin} --database-url {url} tui; echo \"EXIT=$?\"; stty -a");
    let mut child = Command::new("script")
        .args(["-qfec", &inner, "/dev/null"])
        .env("ODDSWATCH_LOG_DIR", dir.path().join("logs"))
        .env("ODDSWATCH_USER", "smoke-tester")
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let screen = Screen::default();
    let mut out = child.stdout.take().unwrap();
    let sink = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0_u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.0.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let mut keys = child.stdin.take().unwrap();
    let mut send = |bytes: &[u8]| {
        keys.write_all(bytes).unwrap();
        keys.flush().unwrap();
    };

    screen.wait_for("the log path", |s| s.contains("logs go to"));
    screen.wait_for("the alert table", |s| {
        s.contains("Sev") && s.contains("1 New")
    });

    send(b"?");
    screen.wait_for("the help overlay", |s| s.contains("from your keymap"));
    let shown = screen.len();
    send(b"\x1b");
    // Closing the overlay repaints the table beneath it.
    screen.wait_for("the help overlay to close", |_| screen.len() > shown);

    send(b"a");
    let start = Instant::now();
    while acknowledgements_by(&db, "smoke-tester") == before {
        assert!(
            start.elapsed() < TIMEOUT,
            "the acknowledgement never reached the database"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    screen.wait_for("the confirmation", |s| s.contains("acknowledged 1 alert"));

    send(b"q");
    screen.wait_for("the process to exit", |s| s.contains("EXIT="));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < TIMEOUT, "script did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    reader.join().unwrap();
    assert!(status.success(), "{status:?}");

    let text = screen.text();
    assert!(text.contains("EXIT=0"), "{text}");
    let left = text
        .rfind("\x1b[?1049l")
        .expect("the alternate screen was left");
    let entered = text
        .rfind("\x1b[?1049h")
        .expect("the alternate screen was entered");
    assert!(left > entered);
    assert!(
        text[left..].contains("\x1b[?25h"),
        "the cursor was not shown again"
    );
    let modes: Vec<&str> = text[text.rfind("EXIT=").unwrap()..]
        .split_whitespace()
        .collect();
    assert!(
        modes.contains(&"icanon") && modes.contains(&"echo"),
        "raw mode left on: {modes:?}"
    );
    assert_eq!(acknowledgements_by(&db, "smoke-tester"), before + 1);
}

/// Starts `inner` under `script` in a 80x24 pseudo-terminal; returns the child and its screen.
fn in_pty(
    inner: &str,
    dir: &std::path::Path,
) -> (std::process::Child, Screen, std::thread::JoinHandle<()>) {
    in_pty_with(inner, dir, &[])
}

/// [`in_pty`] with extra environment variables.
fn in_pty_with(
    inner: &str,
    dir: &std::path::Path,
    env: &[(&str, std::ffi::OsString)],
) -> (std::process::Child, Screen, std::thread::JoinHandle<()>) {
    let mut child = Command::new("script")
        .args(["-qfec", inner, "/dev/null"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("ODDSWATCH_LOG_DIR", dir.join("logs"))
        .env("TERM", "xterm-256color")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let screen = Screen::default();
    let mut out = child.stdout.take().unwrap();
    let sink = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0_u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.0.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    (child, screen, reader)
}

#[test]
fn sigterm_restores_the_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("notice: util-linux `script` is not installed; skipping the PTY smoke test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("term.db").display());
    let bin = env!("CARGO_BIN_EXE_oddswatch");
    // The UI runs in the background of the PTY's shell so the test can signal it by pid.
    let inner = format!(
        "stty rows 24 cols 80; {bin} --database-url {url} tui & echo \"PID=$!.\"; wait $!; echo \"EXIT=$?\"; stty -a"
    );
    let (mut child, screen, reader) = in_pty(&inner, dir.path());
    screen.wait_for("the empty screen", |s| s.contains("demo-data"));
    let text = screen.text();
    let pid = text[text.find("PID=").unwrap() + 4..]
        .split('.')
        .next()
        .unwrap()
        .to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    screen.wait_for("the shell to report the exit", |s| s.contains("EXIT="));
    let _ = child.wait();
    reader.join().unwrap();
    let text = screen.text();
    assert!(text.contains("EXIT=0"), "{text}");
    let left = text
        .rfind("\x1b[?1049l")
        .expect("the alternate screen was left");
    assert!(
        text[left..].contains("\x1b[?25h"),
        "the cursor was not shown again"
    );
    let modes: Vec<&str> = text[text.rfind("EXIT=").unwrap()..]
        .split_whitespace()
        .collect();
    assert!(
        modes.contains(&"icanon") && modes.contains(&"echo"),
        "raw mode left on: {modes:?}"
    );
}

#[test]
fn without_a_terminal_the_bare_command_prints_new_alerts_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("headless.db").display());
    let bin = env!("CARGO_BIN_EXE_oddswatch");
    let migrate = Command::new(bin)
        .args(["--database-url", &url, "migrate"])
        .output()
        .unwrap();
    assert!(migrate.status.success(), "{migrate:?}");
    let mut child = Command::new(bin)
        .args(["--database-url", &url])
        .env("ODDSWATCH_LOG_DIR", dir.path().join("logs"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let screen = Screen::default();
    let mut out = child.stdout.take().unwrap();
    let sink = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0_u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.0.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    // Alerts written by another process after the monitor started reach it through the change
    // log; keep adding a few until the first line shows (the poller starts asynchronously).
    let start = Instant::now();
    while !screen.text().contains('\n') {
        assert!(start.elapsed() < TIMEOUT, "no JSON line printed");
        let demo = Command::new(bin)
            .args([
                "--database-url",
                &url,
                "demo-data",
                "--alerts",
                "3",
                "--events",
                "1",
            ])
            .output()
            .unwrap();
        assert!(demo.status.success(), "{demo:?}");
        screen.wait_for_or(Duration::from_secs(3), |s| s.contains('\n'));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(status.success(), "{status:?}");
    let text = screen.text();
    for line in text.lines() {
        let alert: serde_json::Value = serde_json::from_str(line).expect("one JSON alert per line");
        assert!(
            alert["id"].is_i64() && alert["eventName"].is_string(),
            "{line}"
        );
    }
}

/// The pid the inner shell printed as `PID=<pid>.`.
fn printed_pid(screen: &Screen) -> String {
    screen.wait_for("the pid", |s| s.contains("PID="));
    let text = screen.text();
    text[text.find("PID=").unwrap() + 4..]
        .split('.')
        .next()
        .unwrap()
        .to_string()
}

/// Checks the shell saw exit 0 and the terminal is back: main screen, cursor shown, raw mode
/// off (`stty -a` after the exit shows canonical mode and echo).
fn assert_restored(screen: &Screen) {
    let text = screen.text();
    assert!(text.contains("EXIT=0"), "{text}");
    let left = text
        .rfind("\x1b[?1049l")
        .expect("the alternate screen was left");
    let entered = text
        .rfind("\x1b[?1049h")
        .expect("the alternate screen was entered");
    assert!(left > entered, "the alternate screen was left last");
    assert!(
        text[left..].contains("\x1b[?25h"),
        "the cursor was not shown again"
    );
    let modes: Vec<&str> = text[text.rfind("EXIT=").unwrap()..]
        .split_whitespace()
        .collect();
    assert!(
        modes.contains(&"icanon") && modes.contains(&"echo"),
        "raw mode left on: {modes:?}"
    );
}

/// Runs `command` (arguments after the binary) in the foreground of a PTY shell — where SIGINT
/// keeps its default action, as in a trader's terminal — waits for the screen, sends SIGINT to
/// it and checks the terminal is restored.
fn sigint_restores_the_terminal_of(command: &str, dir: &std::path::Path, ready: &str) {
    let bin = env!("CARGO_BIN_EXE_oddswatch");
    // `exec` keeps the pid the inner shell printed; the outer shell reports the exit status.
    let inner = format!(
        "stty rows 24 cols 80; sh -c 'echo \"PID=$$.\"; exec {bin} {command}'; echo \"EXIT=$?\"; stty -a"
    );
    let env = [
        ("HOME", dir.as_os_str().to_owned()),
        ("XDG_DATA_HOME", dir.join("data").into_os_string()),
        ("XDG_CONFIG_HOME", dir.join("config").into_os_string()),
        ("ODDSWATCH_SIM_EVENTS", "20".into()),
    ];
    let (mut child, screen, reader) = in_pty_with(&inner, dir, &env);
    let pid = printed_pid(&screen);
    screen.wait_for(ready, |s| {
        s.find("\x1b[?1049h")
            .is_some_and(|at| s[at..].contains(ready))
    });
    let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success());
    screen.wait_for("the shell to report the exit", |s| s.contains("EXIT="));
    let _ = child.wait();
    reader.join().unwrap();
    assert_restored(&screen);
}

#[test]
fn sigint_restores_the_terminal_of_the_attached_ui() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("notice: util-linux `script` is not installed; skipping the PTY smoke test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("int.db").display());
    sigint_restores_the_terminal_of(
        &format!("--database-url {url} tui"),
        dir.path(),
        "demo-data",
    );
}

#[test]
fn sigint_restores_the_terminal_of_the_monitor() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("notice: util-linux `script` is not installed; skipping the PTY smoke test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("monitor.db").display());
    // The monitor: the pipeline (embedded simulator) and the UI in one process.
    sigint_restores_the_terminal_of(&format!("--database-url {url}"), dir.path(), "New");
}

/// The ids of the alerts stored in the SQLite file at `url`, ascending.
fn stored_alert_ids(url: &str) -> Vec<i64> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM alerts ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        ids.into_iter().map(|(id,)| id).collect()
    })
}

/// Runs the monitor without a terminal on a fresh database with the embedded simulator until
/// it has printed a first alert, sends `signal`, and checks it exits 0 having printed every
/// alert the database holds, once and in order.
fn the_headless_monitor_stops_on(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("headless.db").display());
    let bin = env!("CARGO_BIN_EXE_oddswatch");
    let mut child = Command::new(bin)
        .args(["--database-url", &url])
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("ODDSWATCH_LOG_DIR", dir.path().join("logs"))
        // Several batches per cycle, so the signal usually lands while one is in flight.
        .env("ODDSWATCH_SIM_EVENTS", "300")
        .env("ODDSWATCH_SCRAPE_INTERVAL_SECS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let screen = Screen::default();
    let mut out = child.stdout.take().unwrap();
    let sink = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0_u8; 4096];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.0.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    screen.wait_for("a first alert", |s| s.contains('\n'));
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    assert!(
        status.success(),
        "{signal}: {status:?} (a clean stop exits 0); stderr: {stderr}"
    );
    let printed: Vec<i64> = screen
        .text()
        .lines()
        .map(|line| {
            let alert: serde_json::Value =
                serde_json::from_str(line).expect("one JSON alert per line");
            alert["id"].as_i64().unwrap()
        })
        .collect();
    let stored = stored_alert_ids(&url);
    assert!(!stored.is_empty());
    assert_eq!(
        printed,
        stored,
        "{signal}: every stored alert printed once, in order ({} printed of {} stored)",
        printed.len(),
        stored.len()
    );
}

#[test]
fn sighup_stops_the_headless_monitor_with_exit_0_after_printing_every_stored_alert() {
    the_headless_monitor_stops_on("-HUP");
}

#[test]
fn sigterm_stops_the_headless_monitor_after_printing_every_stored_alert() {
    the_headless_monitor_stops_on("-TERM");
}
