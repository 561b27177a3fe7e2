//! The scenarios, each measured against a live server.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use futures_util::StreamExt;
use latchkey_client::{Client, Credentials};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::load::{Measured, Period, Table, load, pick};
use crate::seed::Dataset;
use crate::server::{Database, Demo, Server};

/// What every scenario needs.
pub struct Bench<'a> {
    pub binary: &'a Path,
    pub period: Period,
    pub quick: bool,
}

const CONCURRENCY: [usize; 4] = [1, 16, 64, 256];
/// The concurrency of the query scenarios and of the unlocks measured in the sign-in storm.
const QUERY_CONCURRENCY: usize = 16;
const SIGN_IN_CLIENTS: usize = 50;
const PASSWORD: &str = "bench-password-1234";

/// Does `function` with `body` answer a result that `check` accepts?
async fn call(
    client: &Client,
    function: &str,
    body: &Value,
    check: fn(&Value) -> bool,
) -> Result<bool> {
    Ok(check(&client.call_value(function, body).await?))
}

fn unlocked(v: &Value) -> bool {
    v["success"] == true && v["statusName"] == "UNLOCKED"
}

/// On a new database: both ceilings, performUnlock by secret and by session, the sign-in
/// storm and the `/events` fan-out.
pub async fn fresh(bench: &Bench<'_>, database: &Database) -> Result<Table> {
    let server = Server::start(bench.binary, database, true)?;
    let demo = server.demo.clone().context("no demo credentials")?;
    let storage = storage_ceiling(database, bench.period.measure).await?;
    println!(
        "storage ceiling ({}): {storage:.0} single-row insert-and-commit/s",
        database.name()
    );
    let http = reqwest::Client::new();
    let healthz = format!("{}/healthz", server.url);
    let ceiling = load(64, bench.period, move |_| {
        let (http, url) = (http.clone(), healthz.clone());
        async move { Ok(http.get(&url).send().await?.status().is_success()) }
    })
    .await;
    let mut table = Table {
        http_ceiling: ceiling.per_second(),
        rows: Vec::new(),
    };
    println!("{}", Table::header());
    table.push(
        "HTTP ceiling: GET /healthz, c=64",
        ceiling,
        server.peak_rss_mb(),
    );

    let admin = server.client(&demo);
    let lock = admin
        .call_value(
            "registerLock",
            &json!({"shortName": "Bench door", "timeZone": "Europe/Brussels",
                    "driver": {"kind": "simulated", "latencyMs": 0}}),
        )
        .await?["lockId"]
        .as_str()
        .context("registerLock answered no lockId")?
        .to_owned();
    let body = Arc::new(json!({"lockId": lock}));
    for c in CONCURRENCY {
        let measured = unlocks(&admin, &body, c, bench.period).await;
        table.push(
            format!("performUnlock, secret, c={c}"),
            measured,
            server.peak_rss_mb(),
        );
    }

    let user = session_user(&server, &demo, &lock).await?;
    ensure!(
        unlocked(&user.call_value("performUnlock", &body).await?),
        "the session user's key does not open the door"
    );
    for c in CONCURRENCY {
        let measured = unlocks(&user, &body, c, bench.period).await;
        table.push(
            format!("performUnlock, session, USER key with schedules, c={c}"),
            measured,
            server.peak_rss_mb(),
        );
    }

    let (storm, sign_ins) = sign_in_storm(&server, &demo, &admin, &body, bench.period).await;
    table.push(
        format!(
            "performUnlock, secret, c={QUERY_CONCURRENCY}, during {SIGN_IN_CLIENTS} clients' signIn"
        ),
        storm,
        server.peak_rss_mb(),
    );
    table.push(
        format!("signIn by {SIGN_IN_CLIENTS} clients (beside the above)"),
        sign_ins,
        server.peak_rss_mb(),
    );

    let subscribers = if bench.quick { 100 } else { 1000 };
    let rounds = if bench.quick { 3 } else { 20 };
    let fan_out = fan_out(&server, &demo, &admin, &lock, subscribers, rounds).await?;
    table.push(
        format!("/events: UNLOCKED to {subscribers} subscribers, delay from the call"),
        fan_out,
        server.peak_rss_mb(),
    );
    Ok(table)
}

async fn unlocks(
    client: &Client,
    body: &Arc<Value>,
    concurrency: usize,
    period: Period,
) -> Measured {
    let (client, body) = (client.clone(), body.clone());
    load(concurrency, period, move |_| {
        let (client, body) = (client.clone(), body.clone());
        async move { call(&client, "performUnlock", &body, unlocked).await }
    })
    .await
}

/// A person who signed up and holds a `USER` key on `lock` with two daily schedules
/// covering the whole day (the full decision path: key, dates, schedules in the lock's
/// zone, remote unlock).
async fn session_user(server: &Server, demo: &Demo, lock: &str) -> Result<Client> {
    let anonymous = Client::new(&server.url).with(Credentials::Key {
        api_key: demo.api_key.clone(),
    });
    let signed_up = anonymous
        .call_value(
            "signUp",
            &json!({"firstName": "Bench", "lastName": "User", "email": "bench@bench.latchkey.dev",
                    "phone": "+15550100001", "password": PASSWORD}),
        )
        .await?;
    let morning = json!({"startDate": "2026-01-01T00:00:00", "endDate": "2026-01-01T12:00:00",
                         "repeatType": 1, "repeatInterval": 1});
    let afternoon = json!({"startDate": "2026-01-01T12:00:00", "endDate": "2026-01-02T00:00:00",
                           "repeatType": 1, "repeatInterval": 1});
    server
        .client(demo)
        .call_value(
            "sendKey",
            &json!({"lockId": lock, "email": "bench@bench.latchkey.dev", "role": "USER",
                    "canRemoteUnlock": true, "schedules": [morning, afternoon]}),
        )
        .await?;
    Ok(anonymous.with(Credentials::Session {
        api_key: demo.api_key.clone(),
        session_token: signed_up["sessionToken"]
            .as_str()
            .context("signUp answered no sessionToken")?
            .to_owned(),
    }))
}

/// performUnlock at `QUERY_CONCURRENCY` while `SIGN_IN_CLIENTS` clients sign in without
/// pause; answers both measurements.
async fn sign_in_storm(
    server: &Server,
    demo: &Demo,
    admin: &Client,
    body: &Arc<Value>,
    period: Period,
) -> (Measured, Measured) {
    let anonymous = Client::new(&server.url).with(Credentials::Key {
        api_key: demo.api_key.clone(),
    });
    let credentials =
        Arc::new(json!({"userIdentifier": "bench@bench.latchkey.dev", "password": PASSWORD}));
    let sign_ins = load(SIGN_IN_CLIENTS, period, move |_| {
        let (client, credentials) = (anonymous.clone(), credentials.clone());
        async move {
            call(&client, "signIn", &credentials, |v| {
                v["sessionToken"].is_string()
            })
            .await
        }
    });
    let unlocks = unlocks(admin, body, QUERY_CONCURRENCY, period);
    tokio::join!(unlocks, sign_ins)
}

/// `subscribers` clients on `GET /events?lockId=…`; `rounds` unlocks one after another;
/// the delay from sending each unlock to each subscriber seeing its `UNLOCKED` update.
async fn fan_out(
    server: &Server,
    demo: &Demo,
    admin: &Client,
    lock: &str,
    subscribers: usize,
    rounds: usize,
) -> Result<Measured> {
    let (seen, mut receipts) = tokio::sync::mpsc::unbounded_channel();
    let http = reqwest::Client::new();
    let url = format!("{}/events?lockId={lock}", server.url);
    let headers = Credentials::Secret {
        api_key: demo.api_key.clone(),
        api_secret: demo.api_secret.clone(),
    }
    .headers();
    let mut streams = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let mut request = http.get(&url);
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let response = request.send().await?;
        ensure!(
            response.status().is_success(),
            "/events answered {}",
            response.status()
        );
        let seen = seen.clone();
        streams.push(tokio::spawn(async move {
            let mut body = response.bytes_stream();
            let mut buffer = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    if is_unlocked_update(&event) {
                        let _ = seen.send(Instant::now());
                    }
                }
            }
        }));
    }
    let began = Instant::now();
    let (mut delays, mut missed) = (Vec::new(), 0);
    for _ in 0..rounds {
        let sent = Instant::now();
        let ok = unlocked(
            &admin
                .call_value("performUnlock", &json!({"lockId": lock}))
                .await?,
        );
        missed += usize::from(!ok);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut got = 0;
        while got < subscribers {
            match tokio::time::timeout_at(deadline, receipts.recv()).await {
                Ok(Some(at)) => {
                    delays.push(at - sent);
                    got += 1;
                }
                _ => break,
            }
        }
        missed += subscribers - got;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for stream in streams {
        stream.abort();
    }
    Ok(Measured::from_latencies(
        delays,
        missed,
        began.elapsed().as_secs_f64(),
    ))
}

/// Whether an SSE event is an unlock request's update to `UNLOCKED`.
fn is_unlocked_update(event: &str) -> bool {
    let mut kind = "";
    let mut data = String::new();
    for line in event.lines() {
        if let Some(k) = line.strip_prefix("event:") {
            kind = k.trim();
        } else if let Some(d) = line.strip_prefix("data:") {
            data.push_str(d.trim_start());
        }
    }
    // The request's own `statusName` comes before its history's: the first one is it.
    // (Read without parsing the whole JSON: this program shares the machine with the
    // server, and its own work per event would count in the delay it measures.)
    kind == "unlockRequest"
        && data
            .split_once("\"statusName\":")
            .is_some_and(|(_, rest)| rest.starts_with("\"UNLOCKED\""))
}

/// The queries on the large dataset, on a server started over it, alone (c=1: their
/// latency) and at `QUERY_CONCURRENCY` (their throughput).
pub async fn queries(bench: &Bench<'_>, dataset: &Dataset, table: &mut Table) -> Result<()> {
    let server = Server::start(bench.binary, &dataset.database, false)?;
    let admin = server.client(&dataset.demo);
    let locks = Arc::new(dataset.locks.clone());
    let (users, entries) = (dataset.users, dataset.entries);
    // A page about 90% of the way into the log (entries are newest first).
    let deep_before = i64::try_from(entries / 10)?;
    for c in [1, QUERY_CONCURRENCY] {
        let label = |what: &str| format!("{what}, {users} people / {entries} entries, c={c}");
        let client = admin.clone();
        let measured = load(c, bench.period, move |i| {
            let client = client.clone();
            async move {
                let body = json!({"email": Dataset::email(pick(i, users))});
                call(&client, "getUserKeys", &body, non_empty).await
            }
        })
        .await;
        table.push(
            label("getUserKeys by email"),
            measured,
            server.peak_rss_mb(),
        );

        let (client, l) = (admin.clone(), locks.clone());
        let measured = load(c, bench.period, move |i| {
            let (client, locks) = (client.clone(), l.clone());
            async move {
                let body = json!({"lockId": locks[pick(i, locks.len())]});
                call(&client, "getLockUsers", &body, non_empty).await
            }
        })
        .await;
        table.push(
            label("getLockUsers (a lock's every key)"),
            measured,
            server.peak_rss_mb(),
        );

        for (name, before) in [("first page", None), ("deep page", Some(deep_before))] {
            let (client, l) = (admin.clone(), locks.clone());
            let measured = load(c, bench.period, move |i| {
                let (client, locks) = (client.clone(), l.clone());
                async move {
                    let mut body = json!({"lockId": locks[pick(i, locks.len())], "limit": 100});
                    if let Some(before) = before {
                        body["before"] = json!(before);
                    }
                    call(&client, "getActivity", &body, non_empty).await
                }
            })
            .await;
            table.push(
                label(&format!("getActivity by lock, {name}")),
                measured,
                server.peak_rss_mb(),
            );
        }
    }
    Ok(())
}

fn non_empty(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

/// Single-row insert-and-commit with the server's settings, on a table of the bench's
/// own (SQLite: a file beside the server's, in WAL with `synchronous = FULL`).
async fn storage_ceiling(database: &Database, measure: Duration) -> Result<f64> {
    let mut conn = match database {
        Database::Sqlite { dir } => {
            let dir = dir.join("ceiling");
            std::fs::create_dir_all(&dir)?;
            Database::Sqlite { dir }.connect().await?
        }
        Database::Postgres { .. } => database.connect().await?,
    };
    if matches!(database, Database::Sqlite { .. }) {
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"] {
            sqlx::query(pragma).execute(&mut conn).await?;
        }
    }
    sqlx::query("CREATE TABLE bench_ceiling (id BIGINT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut conn)
        .await?;
    let began = Instant::now();
    let mut commits = 0_i64;
    while began.elapsed() < measure {
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO bench_ceiling (id, body) VALUES ($1, $2)")
            .bind(commits)
            .bind("a row of about the size of an activity entry")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        commits += 1;
    }
    sqlx::query("DROP TABLE bench_ceiling")
        .execute(&mut conn)
        .await?;
    #[allow(clippy::cast_precision_loss)]
    Ok(commits as f64 / began.elapsed().as_secs_f64())
}
