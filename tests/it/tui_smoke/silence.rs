//! The real binary in a pseudo-terminal makes and expires a silence from the keyboard
//! (DESIGN §10): `z` on the selected row, a reason, Enter; the silence is in the database,
//! made by the UI's user; `Z` lists it, `x` `y` expires it.

use std::process::Command;
use std::time::Instant;

use super::{TIMEOUT, in_pty_with};

/// (created_by, reason, expired) of every silence with an event matcher only (the scope
/// chosen), oldest first.
fn silences(db: &std::path::Path) -> Vec<(String, String, bool)> {
    let url = format!("sqlite://{}", db.display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_as::<_, (String, String, Option<String>)>(
            "SELECT created_by, reason, expired_at FROM silences \
             WHERE event_id IS NOT NULL AND market_id IS NULL AND outcome IS NULL \
             AND bookmaker IS NULL ORDER BY id",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|(by, reason, expired)| (by, reason, expired.is_some()))
        .collect()
    })
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_silence_is_made_from_the_keyboard_and_expired_from_the_silences_screen() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("notice: util-linux `script` is not installed; skipping the PTY smoke test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("silence.db");
    let url = format!("sqlite://{}", db.display());
    let bin = env!("CARGO_BIN_EXE_oddswatch");
    let demo = Command::new(bin)
        .args(["--database-url", &url, "demo-data", "--alerts", "40"])
        .env("ODDSWATCH_LOG_DIR", dir.path().join("logs"))
        .output()
        .unwrap();
    assert!(demo.status.success(), "{demo:?}");

    let inner = format!("stty rows 24 cols 80; {bin} --database-url {url} tui; echo \"EXIT=$?\"");
    let (mut child, screen, reader) = in_pty_with(
        &inner,
        dir.path(),
        &[("ODDSWATCH_USER", "smoke-trader".into())],
    );
    let mut keys = child.stdin.take().unwrap();
    let mut send = |bytes: &[u8]| {
        use std::io::Write;
        keys.write_all(bytes).unwrap();
        keys.flush().unwrap();
    };
    screen.wait_for("the alert table", |s| {
        s.contains("Sev") && s.contains("1 New")
    });

    // The screen arrives as diffs of cells, so typed text never shows as one string: each
    // step is given a moment, and the database is what the test checks.
    let pause = || std::thread::sleep(std::time::Duration::from_millis(400));
    send(b"z");
    pause();
    // Scope: the whole event; then to the reason (Tab twice) and type it.
    send(b"\x1b[C");
    pause();
    send(b"\x1b[C");
    pause();
    send(b"\t\t");
    send(b"smoke reason");
    pause();
    send(b"\r");
    wait_until("the silence in the database", || !silences(&db).is_empty());
    assert_eq!(
        silences(&db),
        vec![(
            "smoke-trader".to_string(),
            "smoke reason".to_string(),
            false
        )]
    );

    send(b"Z");
    pause();
    pause();
    send(b"x");
    pause();
    send(b"y");
    wait_until("the expiry in the database", || {
        silences(&db).first().is_some_and(|s| s.2)
    });

    // q closes the screen, a second q quits (a lone Esc followed by a key reads as Alt).
    send(b"q");
    std::thread::sleep(std::time::Duration::from_millis(300));
    send(b"q");
    screen.wait_for("the process to exit", |s| s.contains("EXIT="));
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(screen.text().contains("EXIT=0"), "{}", screen.text());
}
