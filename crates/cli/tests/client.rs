//! The command line as a client of a running demo server: `call`, `signin` (the saved
//! session, mode 0600), `unlock` with its live steps, `audit export`, `completions`, and
//! errors as `error CODE: message` with a failing exit status.

mod common;

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use common::{Demo, latchkey};
use serde_json::Value;

fn run<V: AsRef<std::ffi::OsStr>>(args: &[&str], env: &[(&str, V)]) -> Output {
    latchkey()
        .args(args)
        .envs(env.iter().map(|(name, value)| (*name, value)))
        .output()
        .expect("run latchkey")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_cli_calls_signs_in_unlocks_and_exports() {
    let demo = Demo::start();
    let home = tempfile::tempdir().unwrap();
    let (dir, url) = (&demo.dir, demo.url.as_str());
    let (key, email, password) = (
        demo.field("API key"),
        demo.field("Admin email"),
        demo.field("Admin password"),
    );
    let config_home = home.path().to_str().unwrap();
    let mut as_org = demo.org_env();
    as_org.push(("XDG_CONFIG_HOME", config_home.to_owned()));

    // call: pretty JSON of the result.
    let locks: Value = serde_json::from_str(&stdout(&run(&["call", "getLocks"], &as_org))).unwrap();
    let lock_id = locks[0]["lockId"].as_str().unwrap().to_owned();
    assert_eq!(locks.as_array().unwrap().len(), 2);
    let body_file = dir.path().join("body.json");
    std::fs::write(&body_file, format!("{{\"lockId\": \"{lock_id}\"}}")).unwrap();
    let lock: Value = serde_json::from_str(&stdout(&run(
        &["call", "getLock", &format!("@{}", body_file.display())],
        &as_org,
    )))
    .unwrap();
    assert_eq!(lock["lockId"], lock_id.as_str());
    // Errors: the code and message, and a failing status.
    let failed = run(&["call", "getLock", "{\"lockId\": \"nope\"}"], &as_org);
    assert!(!failed.status.success());
    let said = String::from_utf8_lossy(&failed.stderr);
    assert!(said.starts_with("error: error 101: "), "{said}");
    let failed = run(&["call", "getLock", "{not json"], &as_org);
    assert!(!failed.status.success());

    // signin saves a session readable by its owner only; later calls use it.
    let as_person = [
        ("LATCHKEY_URL", url),
        ("LATCHKEY_API_KEY", key.as_str()),
        ("LATCHKEY_PASSWORD", password.as_str()),
        ("XDG_CONFIG_HOME", config_home),
    ];
    let said = stdout(&run(&["signin", &email], &as_person));
    assert!(said.contains("Signed in as"), "{said}");
    let saved = home.path().join("latchkey/session.json");
    let mode = std::fs::metadata(&saved).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let me: Value =
        serde_json::from_str(&stdout(&run(&["call", "getCurrentUser"], &as_person))).unwrap();
    assert_eq!(me["primaryEmail"], email.as_str());
    assert_eq!(me["type"], "USER");

    // unlock: every step, in order, as it happens.
    let steps = stdout(&run(&["unlock", &lock_id], &as_org));
    let names: Vec<&str> = steps
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(
        names,
        [
            "INITIATED",
            "RECEIVED",
            "AUTHD_BY_SERVER",
            "LOCK_FOUND",
            "CONNECTED",
            "AUTHD_BY_LOCK",
            "UNLOCKED"
        ]
    );

    // audit export: the unlock is in the log.
    let lines = stdout(&run(&["audit", "export", "--format", "jsonl"], &as_org));
    let types: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(types.contains(&"UNLOCK".to_owned()), "{types:?}");
    let csv = stdout(&run(
        &["audit", "export", "--format", "csv", "--lock", &lock_id],
        &as_org,
    ));
    assert!(csv.starts_with("seq,at,type"), "{csv}");

    // signout forgets the session.
    stdout(&run(&["signout"], &as_person));
    assert!(!saved.exists());
    demo.stop();
}

#[test]
fn completions_and_every_command_s_help_with_an_example() {
    let script = stdout(&run(&["completions", "bash"], &[] as &[(&str, &str)]));
    assert!(script.contains("latchkey") && script.contains("signin"));
    for command in [
        &["serve", "--help"][..],
        &["org", "create", "--help"],
        &["lock", "add", "--help"],
        &["audit", "verify", "--help"],
        &["audit", "export", "--help"],
        &["config", "default", "--help"],
        &["call", "--help"],
        &["signin", "--help"],
        &["signout", "--help"],
        &["unlock", "--help"],
        &["import", "--help"],
        &["completions", "--help"],
    ] {
        let help = stdout(&run(command, &[] as &[(&str, &str)]));
        assert!(
            help.contains("Example"),
            "{command:?} has an example: {help}"
        );
    }
}

#[test]
fn import_sends_keys_in_batches_reports_refusals_and_is_idempotent() {
    let demo = Demo::start();
    let dir = &demo.dir;
    let env = demo.org_env();
    let locks: Value = serde_json::from_str(&stdout(&run(&["call", "getLocks"], &env))).unwrap();
    let lock = locks[0]["lockId"].as_str().unwrap();
    let mut csv = String::from("Lock,Email,Phone,Role,First name,Last name,Schedule\n");
    for i in 0..250 {
        writeln!(csv, "{lock},person{i}@example.com,,USER,,,").unwrap();
    }
    writeln!(csv, "{lock},,+1415555{:04},ADMIN,Grace,Hopper,", 1).unwrap();
    writeln!(csv, "{lock},sched@example.com,,USER,,,\"{{\"\"startDate\"\":\"\"2027-03-01T09:00:00\"\",\"\"endDate\"\":\"\"2027-03-01T17:00:00\"\",\"\"repeatType\"\":\"\"WEEKLY\"\",\"\"repeatPattern\"\":[1,2,3,4,5]}}\"").unwrap();
    csv.push_str("no-such-lock,lost@example.com,,USER,,,\n");
    writeln!(csv, "{lock},not-an-email,,USER,,,").unwrap();
    let file = dir.path().join("keys.csv");
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap();

    let first = run(&["import", path], &env);
    assert!(!first.status.success(), "refused rows fail the import");
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        said.contains("252 keys sent, 0 unchanged, 2 refused"),
        "{said}"
    );
    let report = std::fs::read_to_string(dir.path().join("keys.refused.csv")).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    assert!(lines[0].starts_with("line,Lock,Email") && lines[0].ends_with(",error"));
    assert!(
        lines[1].starts_with("254,no-such-lock") && lines[1].contains("error 101"),
        "{report}"
    );
    assert!(
        lines[2].starts_with("255,") && lines[2].contains("error 142"),
        "{report}"
    );
    let keys: Value = serde_json::from_str(&stdout(&run(
        &[
            "call",
            "getLockUsers",
            &format!("{{\"lockId\": \"{lock}\", \"limit\": 1000}}"),
        ],
        &env,
    )))
    .unwrap();
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 252 + 2, "the imported keys and the demo's own");
    let grace = keys
        .iter()
        .find(|k| k["user"]["primaryPhone"] == "+14155550001")
        .unwrap();
    assert_eq!(
        (grace["role"].as_str(), grace["status"].as_str()),
        (Some("ADMIN"), Some("PENDING"))
    );
    let scheduled = keys
        .iter()
        .find(|k| k["user"]["primaryEmail"] == "sched@example.com")
        .unwrap();
    assert_eq!(
        scheduled["schedules"][0]["repeatPattern"],
        serde_json::json!([1, 2, 3, 4, 5])
    );

    // Again: nothing changes, nothing is written to the log.
    let log_before = stdout(&run(&["audit", "export", "--format", "jsonl"], &env))
        .lines()
        .count();
    let second = run(&["import", path], &env);
    let said = String::from_utf8_lossy(&second.stdout);
    assert!(
        said.contains("0 keys sent, 252 unchanged, 2 refused"),
        "{said}"
    );
    let log_after = stdout(&run(&["audit", "export", "--format", "jsonl"], &env))
        .lines()
        .count();
    assert_eq!(log_before, log_after);
    demo.stop();
}
