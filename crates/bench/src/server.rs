//! The server under test, a `latchkey serve` process of its own, and the databases it
//! runs on.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};
use latchkey_client::{Client, Credentials};
use sqlx::{Connection, Executor};

/// A database the server runs on.
#[derive(Debug, Clone)]
pub enum Database {
    /// The SQLite file `dir/latchkey.db`.
    Sqlite { dir: PathBuf },
    /// A database of a PostgreSQL server.
    Postgres { url: String },
}

impl Database {
    pub fn url(&self) -> String {
        match self {
            Database::Sqlite { dir } => format!("sqlite://{}/latchkey.db", dir.display()),
            Database::Postgres { url } => url.clone(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Database::Sqlite { .. } => "SQLite",
            Database::Postgres { .. } => "PostgreSQL",
        }
    }

    /// A connection usable on either kind (the seed and the storage ceiling).
    pub async fn connect(&self) -> Result<sqlx::AnyConnection> {
        sqlx::any::install_default_drivers();
        let url = match self {
            Database::Sqlite { dir } => format!("sqlite://{}/latchkey.db?mode=rwc", dir.display()),
            Database::Postgres { url } => url.clone(),
        };
        sqlx::AnyConnection::connect(&url)
            .await
            .with_context(|| format!("connecting to {url}"))
    }
}

/// `base` (`postgres://user@host:port[/db]`) with its database replaced by `name`.
pub fn postgres_database(base: &str, name: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let (authority, query) = match rest.split_once('/') {
        Some((authority, path)) => (authority, path.split_once('?').map(|(_, q)| q)),
        None => (rest, None),
    };
    match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// Drops (if `fresh`) and creates database `name` on the server of `base`; answers
/// whether it already existed.
pub async fn ensure_postgres_database(base: &str, name: &str, fresh: bool) -> Result<bool> {
    let mut admin = sqlx::PgConnection::connect(&postgres_database(base, "postgres"))
        .await
        .context("connecting to PostgreSQL")?;
    if fresh {
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await?;
    }
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut admin)
        .await?;
    if exists.is_none() {
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
    }
    Ok(exists.is_some())
}

/// The demo organization's credentials, printed once by a server on a new database.
#[derive(Debug, Clone)]
pub struct Demo {
    pub api_key: String,
    pub api_secret: String,
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    /// Set when the server created the demo organization at this start.
    pub demo: Option<Demo>,
}

impl Server {
    /// Starts the server on `database`; `new` when it has no organization yet (the server
    /// then creates the demo organization and prints its credentials).
    pub fn start(binary: &Path, database: &Database, new: bool) -> Result<Server> {
        if let Database::Sqlite { dir } = database {
            std::fs::create_dir_all(dir)?;
        }
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(database.url())
            .env("LATCHKEY_LOG__LEVEL", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("the server's output")?;
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        let (mut url, mut key, mut secret) = (None, None, None);
        for line in lines.by_ref() {
            let line = line?;
            let line = line.trim();
            if url.is_none() {
                url = line
                    .split_whitespace()
                    .find(|w| w.starts_with("http://"))
                    .map(str::to_owned);
            } else if let Some(k) = line.strip_prefix("API key") {
                key = Some(k.trim().to_owned());
            } else if let Some(s) = line.strip_prefix("API secret") {
                secret = Some(s.trim().to_owned());
            }
            // On an existing database nothing follows the address.
            if url.is_some() && (!new || secret.is_some()) {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let Some(url) = url else {
            bail!("the server did not print its address");
        };
        let demo = match (key, secret) {
            (Some(api_key), Some(api_secret)) => Some(Demo {
                api_key,
                api_secret,
            }),
            _ => None,
        };
        Ok(Server { child, url, demo })
    }

    /// A client of this server with the secret of `demo`.
    pub fn client(&self, demo: &Demo) -> Client {
        Client::new(&self.url).with(Credentials::Secret {
            api_key: demo.api_key.clone(),
            api_secret: demo.api_secret.clone(),
        })
    }

    /// The server's peak resident memory so far (VmHWM), in MB.
    pub fn peak_rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
