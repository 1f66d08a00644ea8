//! The real binary in a pseudo-terminal: `oddswatch tui` on a temp SQLite file, open help,
//! close it, acknowledge the selected alert, quit. The database shows the acknowledgement and
//! the terminal is restored (alternate screen left, cursor shown, canonical mode back).
//!
//! The PTY comes from util-linux `script`, which every Linux CI image has; the test skips with a
//! notice where it is missing.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
