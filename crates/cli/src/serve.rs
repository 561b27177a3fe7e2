//! `latchkey serve`: opens the database, creates the demo organization on a new one,
//! prints how to reach it, and serves until SIGINT or SIGTERM.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::Args;
use latchkey_server::config::{LogFormat, Settings};
use latchkey_server::provision::{self, Demo};
use latchkey_server::{AppState, storage};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free port).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Do not create the demo organization on a new database.
    #[arg(long)]
    no_demo: bool,
    /// Answer every function with its documented example: no database, no credentials.
    #[arg(long)]
    mock: bool,
}

pub async fn run(mut settings: Settings, unknown_keys: &[String], args: ServeArgs) -> Result<()> {
    if let Some(listen) = args.listen {
        settings.listen = listen;
    }
    if args.no_demo {
        settings.demo = false;
    }
    init_logs(&settings)?;
    for key in unknown_keys {
        tracing::warn!(key = %key, "unknown configuration key ignored");
    }
    if args.mock {
        return mock(&settings).await;
    }
    let store = storage::open(settings.database.as_str())
        .await
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("opening {}", settings.database.redacted()))?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let address = listener.local_addr()?;
    let shutdown = latchkey_server::shutdown_signal().context("installing signal handlers")?;
    let url = base_url(address);
    let state = AppState::new(settings.clone(), store);
    let demo = if settings.demo {
        provision::seed_demo(&*state.store, &state.passwords, state.now())
            .await
            .map_err(|e| anyhow::anyhow!("creating the demo organization: {e}"))?
    } else {
        None
    };
    println!(
        "Latchkey {} is listening on {url} (database {})",
        env!("CARGO_PKG_VERSION"),
        settings.database.redacted()
    );
    if let Some(demo) = demo {
        print_demo(&url, &demo);
    }
    tracing::info!(%address, "listening");
    latchkey_server::serve(listener, state, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// `serve --mock`: the documented examples, with no database and no credentials.
async fn mock(settings: &Settings) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let url = base_url(listener.local_addr()?);
    let shutdown = latchkey_server::shutdown_signal().context("installing signal handlers")?;
    println!(
        "Latchkey {} mock server is listening on {url}: every function answers its example \
         (no database, no credentials; reference at {url}/docs)",
        env!("CARGO_PKG_VERSION")
    );
    axum::serve(listener, latchkey_server::reference::mock::app())
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

fn base_url(address: SocketAddr) -> String {
    let ip = if address.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else if address.is_ipv6() {
        format!("[{}]", address.ip())
    } else {
        address.ip().to_string()
    };
    format!("http://{ip}:{}", address.port())
}

fn print_demo(url: &str, demo: &Demo) {
    let org = &demo.organization;
    let locks: Vec<String> = demo
        .locks
        .iter()
        .map(|l| format!("{} (lockId {})", l.short_name, l.lock_id))
        .collect();
    println!(
        "
This is a new database: a demo organization was created. Its credentials are shown
only this once.

  API key         {key}
  API secret      {secret}
  Admin email     {email}
  Admin password  {password}
  Locks           {locks}

Try it:
  curl -s -X POST {url}/rest/functions/getCurrentUser -H 'Nexkey-Api-Key: {key}' -H 'Nexkey-Api-Secret: {secret}'
",
        key = org.api_key,
        secret = org.api_secret,
        email = demo.admin_email,
        password = demo.admin_password,
        locks = locks.join(", "),
    );
}

fn init_logs(settings: &Settings) -> Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log.level))
        .context("log level")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match settings.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("logging: {e}"))
}
