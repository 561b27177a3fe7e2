//! Does a slow webhook endpoint slow `performUnlock`? Starts a server on a temporary
//! SQLite database and a webhook receiver that takes 200 ms per delivery, then times
//! 1,000 unlocks (one client, keep-alive) twice: with no webhook, and with the webhook
//! subscribed to every unlock (so a backlog of deliveries builds up behind them).
//!
//! `cargo run --release -p latchkey-server --example slow_webhook` (a temporary SQLite
//! file; `LATCHKEY_DATABASE=postgres://…` for PostgreSQL).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use latchkey_client::{Client, Credentials};
use latchkey_server::config::{DatabaseUrl, Settings};
use latchkey_server::{AppState, provision, storage};
use serde_json::{Value, json};

const UNLOCKS: usize = 1000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("LATCHKEY_DATABASE")
        .unwrap_or_else(|_| format!("sqlite://{}/latchkey.db", dir.path().display()));
    let settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database: DatabaseUrl(url.clone()),
        demo: false,
        ..Settings::default()
    };
    let store = storage::open(&url).await.map_err(anyhow::Error::msg)?;
    let state = AppState::new(settings, store);
    let org = provision::create_organization(&*state.store, "Bench", state.now()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(latchkey_server::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));

    let slow = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/", slow.local_addr()?);
    let app = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        "ok"
    });
    tokio::spawn(async move { axum::serve(slow, app).await });

    let client = Client::new(&base).with(Credentials::Secret {
        api_key: org.api_key,
        api_secret: org.api_secret,
    });
    let lock: Value = client
        .call(
            "registerLock",
            &json!({"shortName": "Door", "timeZone": "UTC",
                    "driver": {"kind": "simulated", "latencyMs": 0}}),
        )
        .await?;
    let quiet = unlocks(&client, &lock["lockId"]).await?;
    client
        .call_value(
            "createWebhook",
            &json!({"url": hook_url, "events": ["UNLOCK"]}),
        )
        .await?;
    let loaded = unlocks(&client, &lock["lockId"]).await?;
    let backlog = state.store.pending_jobs("webhook").await?;
    let database = url.split(':').next().unwrap_or_default();
    println!("performUnlock, {UNLOCKS} sequential calls, {database}, release build");
    println!("{:<28} {:>8} {:>8} {:>8}", "", "p50 ms", "p99 ms", "max ms");
    for (name, mut times) in [("no webhook", quiet), ("webhook at 200 ms/event", loaded)] {
        times.sort_unstable();
        // The value below which `per_mille`/1000 of the calls fall.
        let at = |per_mille: usize| times[(times.len() - 1) * per_mille / 1000].as_secs_f64() * 1e3;
        println!(
            "{name:<28} {:>8.2} {:>8.2} {:>8.2}",
            at(500),
            at(990),
            at(1000)
        );
    }
    println!("deliveries still queued behind the slow endpoint: {backlog}");
    Ok(())
}

async fn unlocks(client: &Client, lock_id: &Value) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(UNLOCKS);
    for _ in 0..UNLOCKS {
        let started = Instant::now();
        let done: Value = client
            .call("performUnlock", &json!({"lockId": lock_id}))
            .await?;
        times.push(started.elapsed());
        anyhow::ensure!(done["success"] == true, "unlock failed: {done}");
    }
    Ok(times)
}
