//! The `latchkey` binary: `serve` on a fresh directory prints working demo credentials
//! and a `curl` line, stops cleanly on SIGTERM, and `org create`, `lock add`,
//! `config default` do what they say, on SQLite and PostgreSQL.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_client::{Client, Credentials};

fn latchkey(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    command.current_dir(dir).env_remove("RUST_LOG");
    for (name, _) in std::env::vars() {
        if name.starts_with("LATCHKEY_") {
            command.env_remove(name);
        }
    }
    command
}

/// What `serve` printed before it started answering.
struct Banner {
    url: String,
    api_key: String,
    api_secret: String,
    password: String,
    curl: String,
}

fn read_banner(child: &mut Child) -> Banner {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut field = |prefix: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "no {prefix:?} line");
            let line = lines.next().expect("serve exited early").expect("read");
            if let Some(rest) = line.trim().strip_prefix(prefix) {
                return rest.trim().to_owned();
            }
        }
    };
    let listening = field("Latchkey ");
    let url = listening
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("url")
        .to_owned();
    let api_key = field("API key");
    let api_secret = field("API secret");
    let _email = field("Admin email");
    let password = field("Admin password");
    let curl = field("curl ");
    Banner {
        url,
        api_key,
        api_secret,
        password,
        curl: format!("curl {curl}"),
    }
}

fn terminate(mut child: Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn serve_prints_demo_credentials_that_work_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = latchkey(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let banner = read_banner(&mut child);
    assert!(
        dir.path().join("latchkey-data/latchkey.db").exists(),
        "embedded SQLite in ./latchkey-data"
    );

    // The printed curl line, run as printed.
    let output = Command::new("sh")
        .arg("-c")
        .arg(&banner.curl)
        .output()
        .expect("curl");
    let answer: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("curl answered JSON");
    assert_eq!(answer["result"]["type"], "VIRTUAL", "{answer}");

    let client = Client::new(&banner.url);
    let secret = client.with(Credentials::Secret {
        api_key: banner.api_key.clone(),
        api_secret: banner.api_secret.clone(),
    });
    assert_eq!(
        secret
            .get_current_user()
            .await
            .unwrap()
            .first_name
            .as_deref(),
        Some("Demo")
    );
    let key = client.with(Credentials::Key {
        api_key: banner.api_key.clone(),
    });
    let admin = key
        .sign_in("admin@demo.latchkey.dev", &banner.password)
        .await
        .unwrap();
    assert_eq!(admin.user.last_name.as_deref(), Some("Admin"));

    // The portal, as the README says: the demo admin signs in and sees both locks and
    // the organization's sections (they administer the organization).
    let jar = dir.path().join("cookies");
    let script = format!(
        "set -e; url='{url}'; jar='{jar}';
         csrf=$(curl -sf -c \"$jar\" \"$url/portal/signin\" | sed -E 's/.*name=\"csrf\" value=\"([0-9a-f]+)\".*/\\1/');
         curl -sf -b \"$jar\" -c \"$jar\" -o /dev/null -w '%{{http_code}} ' \"$url/portal/signin\" \\
           --data-urlencode \"csrf=$csrf\" --data-urlencode 'identifier=admin@demo.latchkey.dev' \\
           --data-urlencode 'password={password}';
         curl -sf -b \"$jar\" \"$url/portal\"",
        url = banner.url,
        jar = jar.display(),
        password = banner.password,
    );
    let output = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("curl");
    let page = String::from_utf8_lossy(&output.stdout);
    assert!(page.starts_with("303 "), "{page}");
    for shown in ["Front door", "Back door", "/portal/webhooks", "Demo Admin"] {
        assert!(page.contains(shown), "{shown}: {page}");
    }

    assert!(terminate(child).success(), "SIGTERM is a clean stop");

    // A second start on the same database creates no second demo and prints no secret.
    let mut again = latchkey(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(again.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("Latchkey "), "{first}");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    Client::new(&url)
        .with(Credentials::Secret {
            api_key: banner.api_key,
            api_secret: banner.api_secret,
        })
        .get_current_user()
        .await
        .expect("the demo credentials survive a restart");
    assert!(terminate(again).success());
}

#[test]
fn no_demo_skips_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = latchkey(dir.path())
        .args(["serve", "--no-demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("Latchkey "), "{first}");
    assert!(terminate(child).success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(!rest.contains("API secret"), "{rest}");
}

fn provisioning_works_against(dir: &std::path::Path, database: &str) {
    let run = |args: &[&str]| {
        let output = latchkey(dir)
            .args(["--database", database])
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["org", "create", "--name", "Acme"]);
    assert!(ok, "{err}");
    let org: serde_json::Value = serde_json::from_str(&out).unwrap();
    for field in ["organizationId", "apiKey", "apiSecret"] {
        assert!(
            org[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {out}"
        );
    }
    let org_id = org["organizationId"].as_str().unwrap();
    let (ok, out, err) = run(&[
        "lock",
        "add",
        "--org",
        org_id,
        "--name",
        "Gate",
        "--tz",
        "Europe/Brussels",
    ]);
    assert!(ok, "{err}");
    let lock: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(lock["shortName"], "Gate");
    assert_eq!(lock["timeZone"], "Europe/Brussels");
    assert_eq!(lock["role"], "OWNER");
    assert_eq!(lock["driver"]["kind"], "simulated");

    let (ok, _, err) = run(&[
        "lock",
        "add",
        "--org",
        org_id,
        "--name",
        "Gate",
        "--tz",
        "Mars/Base",
    ]);
    assert!(!ok && err.contains("timeZone"), "{err}");
    let (ok, _, err) = run(&[
        "lock",
        "add",
        "--org",
        "NoSuchOrg1",
        "--name",
        "Gate",
        "--tz",
        "UTC",
    ]);
    assert!(!ok && err.contains("101"), "{err}");
    let (ok, _, err) = run(&[
        "org",
        "admin",
        "--org",
        org_id,
        "--user",
        "nobody@example.com",
    ]);
    assert!(!ok && err.contains("has no account"), "{err}");
    let (ok, _, err) = run(&["org", "admin", "--org", org_id, "--user", "not a person"]);
    assert!(!ok && err.contains("user"), "{err}");
    let (ok, _, err) = run(&["org", "create", "--name", "   "]);
    assert!(!ok && err.contains("name"), "{err}");
}

#[test]
fn org_create_and_lock_add_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    provisioning_works_against(dir.path(), "sqlite://cli.db");
    assert!(dir.path().join("cli.db").exists());
}

#[test]
fn org_create_and_lock_add_on_postgres() {
    let Ok(url) = std::env::var("LATCHKEY_TEST_POSTGRES_URL") else {
        eprintln!(
            "SKIPPED: LATCHKEY_TEST_POSTGRES_URL is not set, so this PostgreSQL test did not run"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    provisioning_works_against(dir.path(), &url);
}

#[test]
fn config_default_prints_a_commented_configuration_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let output = latchkey(dir.path())
        .args(["config", "default"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("# ") && text.contains("listen = \"127.0.0.1:8080\""),
        "{text}"
    );
    std::fs::write(dir.path().join("latchkey.toml"), &text).unwrap();
    // The printed file is accepted as a configuration: `org create` runs with it.
    let created = latchkey(dir.path())
        .args([
            "--config",
            "latchkey.toml",
            "--database",
            "sqlite://c.db",
            "org",
            "create",
            "--name",
            "X",
        ])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = latchkey(dir.path())
        .args(["--database", "mysql://x", "org", "create", "--name", "X"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("unsupported database URL scheme"), "{err}");
}

#[tokio::test]
async fn no_secret_token_or_password_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut child = latchkey(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let banner = read_banner(&mut child);
    let client = Client::new(&banner.url);
    let key = client.with(Credentials::Key {
        api_key: banner.api_key.clone(),
    });
    let admin = key
        .sign_in("admin@demo.latchkey.dev", &banner.password)
        .await
        .unwrap();
    let wrong = key
        .sign_in("admin@demo.latchkey.dev", "a wrong password")
        .await;
    assert!(wrong.is_err());
    let session = client.with(Credentials::Session {
        api_key: banner.api_key.clone(),
        session_token: admin.session_token.clone(),
    });
    session.get_current_user().await.unwrap();
    let secret = client.with(Credentials::Secret {
        api_key: banner.api_key.clone(),
        api_secret: banner.api_secret.clone(),
    });
    let rotated = secret.rotate_api_secret(None).await.unwrap();
    assert!(terminate(child).success());

    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(
        log.contains("signIn"),
        "the log has request spans: {}",
        &log[..log.len().min(500)]
    );
    for (what, value) in [
        ("API secret", banner.api_secret.as_str()),
        ("rotated secret", rotated.api_secret.as_str()),
        ("session token", admin.session_token.as_str()),
        ("password", banner.password.as_str()),
        ("wrong password", "a wrong password"),
    ] {
        assert!(!log.contains(value), "the {what} appears in the log");
    }
}

#[test]
fn serve_runs_on_postgres() {
    let Ok(url) = std::env::var("LATCHKEY_TEST_POSTGRES_URL") else {
        eprintln!(
            "SKIPPED: LATCHKEY_TEST_POSTGRES_URL is not set, so this PostgreSQL test did not run"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut child = latchkey(dir.path())
        .args([
            "serve",
            "--no-demo",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("database postgres://"), "{first}");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let ready = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{url}/readyz"),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&ready.stdout), "200");
    assert!(terminate(child).success());
    assert!(
        !dir.path().join("latchkey-data").exists(),
        "no SQLite file when on PostgreSQL"
    );
}

/// Creates an organization with three locks (three audit entries) and answers its id.
fn seeded_org(dir: &std::path::Path, database: &str) -> String {
    let run = |args: &[&str]| {
        latchkey(dir)
            .args(["--database", database])
            .args(args)
            .output()
            .unwrap()
    };
    let created = run(&["org", "create", "--name", "Audited"]);
    assert!(created.status.success());
    let org: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let org_id = org["organizationId"].as_str().unwrap().to_owned();
    for name in ["Gate", "Door", "Shed"] {
        assert!(
            run(&[
                "lock", "add", "--org", &org_id, "--name", name, "--tz", "UTC"
            ])
            .status
            .success()
        );
    }
    org_id
}

fn verify(dir: &std::path::Path, database: &str, org: &str) -> (bool, String) {
    let output = latchkey(dir)
        .args(["--database", database, "audit", "verify", "--org", org])
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn audit_verify_names_a_changed_entry_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let org = seeded_org(dir.path(), "sqlite://audit.db");
    let (ok, out) = verify(dir.path(), "sqlite://audit.db", &org);
    assert!(ok && out.contains("3 entries, chain intact"), "{out}");
    // Someone with access to the database file edits entry 2.
    let tamper = format!(
        "import sqlite3; c = sqlite3.connect('audit.db'); \
         c.execute(\"UPDATE activity SET entry = replace(entry, 'Door', 'Dorr') WHERE org_id = '{org}' AND seq = 2\"); \
         c.commit()"
    );
    let python = Command::new("python3")
        .current_dir(dir.path())
        .args(["-c", &tamper])
        .status()
        .unwrap();
    assert!(python.success());
    let (ok, out) = verify(dir.path(), "sqlite://audit.db", &org);
    assert!(!ok, "verify must fail: {out}");
    assert!(out.contains("entry 2 does not match its hash"), "{out}");
}

#[test]
fn audit_verify_names_a_changed_entry_on_postgres() {
    let Ok(url) = std::env::var("LATCHKEY_TEST_POSTGRES_URL") else {
        eprintln!(
            "SKIPPED: LATCHKEY_TEST_POSTGRES_URL is not set, so this PostgreSQL test did not run"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let org = seeded_org(dir.path(), &url);
    let (ok, out) = verify(dir.path(), &url, &org);
    assert!(ok && out.contains("3 entries, chain intact"), "{out}");
    let sql = format!(
        "UPDATE activity SET at = at + 1, entry = replace(entry, 'Shed', 'Barn') WHERE org_id = '{org}' AND seq = 3"
    );
    let psql = Command::new("psql")
        .args([url.as_str(), "-qc", &sql])
        .status()
        .unwrap();
    assert!(psql.success());
    let (ok, out) = verify(dir.path(), &url, &org);
    assert!(
        !ok && out.contains("entry 3 does not match its hash"),
        "{out}"
    );
    let (ok, _) = verify(dir.path(), &url, "NoSuchOrg1");
    assert!(!ok);
}
