//! The command line as a client of a running server: `call`, `signin`, `signout`,
//! `unlock` and `audit export`. It uses the typed client of the tests. Credentials come
//! from flags, then `LATCHKEY_*` variables, then the session `latchkey signin` saved.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use latchkey_api_types::UnlockRequest;
use latchkey_client::{Client, Credentials, Error};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Where the server is and who is calling.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The server's base URL.
    #[arg(long, env = "LATCHKEY_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The organization's API key.
    #[arg(long, env = "LATCHKEY_API_KEY")]
    pub api_key: Option<String>,
    /// The API secret: act as the organization.
    #[arg(long, env = "LATCHKEY_API_SECRET", conflicts_with = "session")]
    pub secret: Option<String>,
    /// A session token: act as that person (default: the session `latchkey signin` saved).
    #[arg(long, env = "LATCHKEY_SESSION")]
    pub session: Option<String>,
}

/// What `latchkey signin` keeps, readable by its owner only.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    url: String,
    api_key: String,
    session_token: String,
}

fn saved_path() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".config"),
    };
    Ok(base.join("latchkey").join("session.json"))
}

fn load_saved() -> Option<Saved> {
    let text = std::fs::read_to_string(saved_path().ok()?).ok()?;
    serde_json::from_str(&text).ok()
}

impl Connection {
    /// The client these flags describe.
    pub fn client(&self) -> Result<Client> {
        let saved = load_saved().filter(|s| s.url == self.url);
        let api_key = self
            .api_key
            .clone()
            .or_else(|| saved.as_ref().map(|s| s.api_key.clone()));
        let credentials = match (api_key, &self.secret, &self.session) {
            (None, _, _) => {
                bail!("no API key: pass --api-key, set LATCHKEY_API_KEY, or run latchkey signin")
            }
            (Some(api_key), Some(secret), _) => Credentials::Secret {
                api_key,
                api_secret: secret.clone(),
            },
            (Some(api_key), None, Some(token)) => Credentials::Session {
                api_key,
                session_token: token.clone(),
            },
            (Some(api_key), None, None) => match saved {
                Some(s) if s.api_key == api_key => Credentials::Session {
                    api_key,
                    session_token: s.session_token,
                },
                _ => Credentials::Key { api_key },
            },
        };
        Ok(Client::new(&self.url).with(credentials))
    }
}

/// Says an API error the way the CLI does (`error CODE: message`) and fails.
fn api_error(e: Error) -> anyhow::Error {
    match e {
        Error::Api { body, .. } => anyhow::anyhow!("error {}: {}", body.code, body.error),
        other => anyhow::anyhow!("{other}"),
    }
}

/// `latchkey call FUNCTION [BODY]`: BODY is JSON, `@file`, or `-` for standard input.
pub async fn call(connection: &Connection, function: &str, body: Option<&str>) -> Result<()> {
    let body: Value = match body {
        None => json!({}),
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            serde_json::from_str(&text).context("the body on standard input is not JSON")?
        }
        Some(path) if path.starts_with('@') => {
            let text = std::fs::read_to_string(&path[1..])
                .with_context(|| format!("reading {}", &path[1..]))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", &path[1..]))?
        }
        Some(text) => serde_json::from_str(text).context("the body is not JSON")?,
    };
    let result = connection
        .client()?
        .call_value(function, &body)
        .await
        .map_err(api_error)?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

/// `latchkey signin IDENTIFIER`: the password from `LATCHKEY_PASSWORD` or the first line
/// of standard input; the session is saved for later commands (mode 0600).
pub async fn sign_in(connection: &Connection, identifier: &str) -> Result<()> {
    let api_key = connection
        .api_key
        .clone()
        .context("signin needs --api-key (or LATCHKEY_API_KEY)")?;
    let password = match std::env::var("LATCHKEY_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            eprint!("Password: ");
            std::io::stderr().flush()?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let client = Client::new(&connection.url).with(Credentials::Key {
        api_key: api_key.clone(),
    });
    let signed = client
        .sign_in(identifier, &password)
        .await
        .map_err(api_error)?;
    let path = saved_path()?;
    let saved = Saved {
        url: connection.url.clone(),
        api_key,
        session_token: signed.session_token,
    };
    write_private(&path, &serde_json::to_vec_pretty(&saved)?)?;
    let name = [
        signed.user.first_name.as_deref(),
        signed.user.last_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    println!(
        "Signed in as {} ({}); session saved in {}",
        name,
        signed.user.object_id,
        path.display()
    );
    Ok(())
}

/// `latchkey signout`: ends the saved session and forgets it.
pub async fn sign_out(connection: &Connection) -> Result<()> {
    let path = saved_path()?;
    if let Some(saved) = load_saved() {
        let client = Client::new(&saved.url).with(Credentials::Session {
            api_key: saved.api_key,
            session_token: saved.session_token,
        });
        client.sign_out().await.map_err(api_error)?;
        std::fs::remove_file(&path)?;
        println!("Signed out of {}", saved.url);
    } else {
        println!("No saved session for {}", connection.url);
    }
    Ok(())
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

/// `latchkey unlock LOCK`: starts the unlock and prints each status as the lock reaches
/// it; fails unless the door opened.
pub async fn unlock(connection: &Connection, lock: &str) -> Result<()> {
    let client = connection.client()?;
    let mut request: UnlockRequest = client
        .call("performUnlock", &json!({"lockId": lock, "wait": false}))
        .await
        .map_err(api_error)?;
    let mut shown = 0;
    loop {
        for step in &request.history[shown..] {
            println!("{}  {:>3} {}", step.at, step.status, step.status_name);
        }
        shown = request.history.len();
        if request.success || request.status >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        request = client
            .call("getUnlockStatus", &json!({"requestId": request.request_id}))
            .await
            .map_err(api_error)?;
    }
    if request.success {
        Ok(())
    } else {
        bail!(
            "the lock did not open: {} {}",
            request.status,
            request.status_name
        )
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

/// `latchkey audit export`: the log's entries (oldest first) to standard output.
pub async fn export(
    connection: &Connection,
    format: Format,
    from: Option<&str>,
    to: Option<&str>,
    lock: Option<&str>,
) -> Result<()> {
    let client = connection.client()?;
    let extension = match format {
        Format::Csv => "csv",
        Format::Jsonl => "jsonl",
    };
    let mut query: Vec<(&str, &str)> = Vec::new();
    for (name, value) in [("from", from), ("to", to), ("lockId", lock)] {
        if let Some(v) = value {
            query.push((name, v));
        }
    }
    let mut request = reqwest::Client::new()
        .get(format!("{}/export/activity.{extension}", client.base_url()))
        .query(&query);
    for (name, value) in client.credentials().headers() {
        request = request.header(name, value);
    }
    let mut response = request.send().await?;
    if !response.status().is_success() {
        let body: Value = response.json().await.unwrap_or(Value::Null);
        bail!(
            "error {}: {}",
            body["code"],
            body["error"].as_str().unwrap_or("the export failed")
        );
    }
    let mut out = std::io::stdout().lock();
    while let Some(chunk) = response.chunk().await? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    Ok(())
}
