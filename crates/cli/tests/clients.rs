//! The unlock examples of `clients/` (curl, Python with requests, Node with fetch) run
//! against a live demo server and open its door. A missing interpreter or library skips
//! its example with a message; `.ci/run` installs them.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Demo, latchkey};

fn clients() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../clients")
}

fn available(program: &str, probe: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: {program} {probe:?} is not available, so its example did not run");
    }
    ok
}

#[test]
fn every_client_example_opens_the_demo_door() {
    let demo = Demo::start();
    let env = demo.org_env();
    let locks = latchkey()
        .args(["call", "getLocks"])
        .envs(env.clone())
        .output()
        .unwrap();
    let locks: serde_json::Value = serde_json::from_slice(&locks.stdout).unwrap();
    let lock = locks[0]["lockId"].as_str().unwrap().to_owned();
    let examples: [(&str, &[&str], &str); 3] = [
        ("sh", &["-c", "command -v curl"], "unlock.sh"),
        ("python3", &["-c", "import requests"], "unlock.py"),
        ("node", &["--version"], "unlock.mjs"),
    ];
    let mut ran = 0;
    for (program, probe, script) in examples {
        if !available(program, probe) {
            continue;
        }
        let output = Command::new(program)
            .arg(clients().join(script))
            .envs(env.clone())
            .env("LOCK_ID", &lock)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{script}: {said} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(said.contains("UNLOCKED"), "{script}: {said}");
        ran += 1;
    }
    // Each example left its unlock in the log, done on behalf of the front desk.
    let log = latchkey()
        .args(["audit", "export", "--format", "jsonl"])
        .envs(env.clone())
        .output()
        .unwrap();
    let unlocks = String::from_utf8_lossy(&log.stdout)
        .lines()
        .filter(|l| l.contains("\"type\":\"UNLOCK\"") && l.contains("Front desk"))
        .count();
    assert_eq!(unlocks, ran);
    demo.stop();
}
