//! Starting and stopping the `latchkey` binary for the CLI's tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(20);

/// The binary, with no `LATCHKEY_*` variable of the caller's environment.
pub fn latchkey() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (name, _) in std::env::vars() {
        if name.starts_with("LATCHKEY_") {
            command.env_remove(name);
        }
    }
    command
}

/// Starts `latchkey serve` on `database`; answers the process, its URL, and the lines it
/// printed after the first (the demo credentials on a new database).
pub fn serve(
    dir: &std::path::Path,
    database: &str,
    env: &[(&str, &str)],
) -> (Child, String, Vec<String>) {
    let mut child = latchkey()
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("LATCHKEY_OUTBOX__POLL_MS", "20")
        .env("LATCHKEY_OUTBOX__LEASE_SECONDS", "2")
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start latchkey");
    // Lines are read on a thread of their own (so the server never blocks on a full
    // pipe); the demo credentials follow the first line at once, if at all.
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(WAIT).expect("serve printed its address");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("url")
        .to_owned();
    let mut banner = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        let done = line.contains("curl ");
        banner.push(line);
        if done {
            break;
        }
    }
    (child, url, banner)
}

/// The value of a banner line (`  API key   lk_…` → `lk_…`).
pub fn field(banner: &[String], name: &str) -> Option<String> {
    banner
        .iter()
        .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_owned()))
}

pub fn kill(mut child: Child) {
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap();
}

/// A demo server on a new SQLite database in a directory of its own, with its banner.
pub struct Demo {
    pub dir: tempfile::TempDir,
    pub server: Child,
    pub url: String,
    pub banner: Vec<String>,
}

impl Demo {
    pub fn start() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}/latchkey.db", dir.path().display());
        let (server, url, banner) = serve(dir.path(), &database, &[]);
        Demo {
            dir,
            server,
            url,
            banner,
        }
    }

    /// A line of the banner (`"API key"`, `"Admin password"`, …).
    pub fn field(&self, name: &str) -> String {
        field(&self.banner, name).unwrap_or_else(|| panic!("no {name} in {:?}", self.banner))
    }

    /// The environment that makes the CLI act as the demo organization (by its secret).
    pub fn org_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LATCHKEY_URL", self.url.clone()),
            ("LATCHKEY_API_KEY", self.field("API key")),
            ("LATCHKEY_API_SECRET", self.field("API secret")),
        ]
    }

    pub fn stop(self) {
        kill(self.server);
    }
}
