//! The real binary in a sandbox: its own home, config and data folders, no `ODDSWATCH_*` from
//! the caller's environment.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

/// A command isolated from the user's config, data and environment.
pub struct Sandbox {
    /// The fake home folder (config, data, logs).
    pub home: tempfile::TempDir,
    /// Its SQLite database URL.
    pub url: String,
}

impl Sandbox {
    /// A fresh sandbox.
    pub fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", home.path().join("cli.db").display());
        Sandbox { home, url }
    }

    /// The binary with only this sandbox's environment.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("oddswatch").unwrap();
        for (key, _) in std::env::vars() {
            if key.starts_with("ODDSWATCH_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_DATA_HOME", self.home.path().join("data"))
            .env("USER", "tester")
            .env("RUST_LOG", "warn")
            // Parallel tests must not race for the default metrics port.
            .env("ODDSWATCH_SCRAPE_METRICS_BIND", "");
        cmd
    }

    /// A command on this sandbox's database.
    pub fn db(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.arg("--database-url").arg(&self.url);
        cmd
    }

    /// Runs a command that must succeed and parses its JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self
            .db()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    }
}
