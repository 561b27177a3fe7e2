//! `latchkey-bench seed`: the large dataset of the query scenarios. Locks are registered
//! through the API (so each has its owner key and `LOCK_REGISTERED` entry); people, keys
//! and the activity log are then bulk-inserted with the server stopped, the log sealed
//! into the organization's hash chain exactly as the server seals it (`latchkey audit
//! verify` passes on the result). The dataset is kept (a SQLite directory or a PostgreSQL
//! database, and a JSON file with its credentials) and reused by later runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use latchkey_api_types::{ActivityBody, ActivityLock, Initiator};
use latchkey_core::{audit, ids::new_object_id, time::format_millis};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Connection, Row};

use crate::load::pick;
use crate::server::{Database, Demo, Server, ensure_postgres_database};

/// How much data.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub name: &'static str,
    pub users: usize,
    pub locks: usize,
    pub keys_per_user: usize,
    pub entries: usize,
}

pub const FULL: Scale = Scale {
    name: "full",
    users: 100_000,
    locks: 10_000,
    keys_per_user: 10,
    entries: 10_000_000,
};

pub const QUICK: Scale = Scale {
    name: "quick",
    users: 1_000,
    locks: 20,
    keys_per_user: 10,
    entries: 20_000,
};

/// A seeded dataset, as recorded next to it.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub database: Database,
    pub demo: Demo,
    /// Public `lockId`s of the seeded locks.
    pub locks: Vec<String>,
    pub users: usize,
    pub entries: usize,
    pub seconds: f64,
}

impl Dataset {
    /// The email of seeded person `n`.
    pub fn email(n: usize) -> String {
        format!("person{n}@bench.latchkey.dev")
    }

    fn to_json(&self) -> Value {
        json!({
            "apiKey": self.demo.api_key, "apiSecret": self.demo.api_secret,
            "locks": self.locks, "users": self.users, "entries": self.entries,
            "seconds": self.seconds,
        })
    }

    fn from_json(database: Database, v: &Value) -> Option<Dataset> {
        Some(Dataset {
            database,
            demo: Demo {
                api_key: v["apiKey"].as_str()?.to_owned(),
                api_secret: v["apiSecret"].as_str()?.to_owned(),
            },
            locks: serde_json::from_value(v["locks"].clone()).ok()?,
            users: usize::try_from(v["users"].as_u64()?).ok()?,
            entries: usize::try_from(v["entries"].as_u64()?).ok()?,
            seconds: v["seconds"].as_f64()?,
        })
    }
}

/// Where a dataset of `scale` lives: `data/<db>-<scale>/` for SQLite, database
/// `latchkey_bench_<scale>` for PostgreSQL; its record is `data/<db>-<scale>.json`.
pub struct Place {
    pub database: Database,
    record: PathBuf,
    postgres: Option<(String, String)>,
}

impl Place {
    pub fn sqlite(data: &Path, scale: Scale) -> Place {
        Place {
            database: Database::Sqlite {
                dir: data.join(format!("sqlite-{}", scale.name)),
            },
            record: data.join(format!("sqlite-{}.json", scale.name)),
            postgres: None,
        }
    }

    pub fn postgres(data: &Path, base: &str, scale: Scale) -> Place {
        let name = format!("latchkey_bench_{}", scale.name);
        Place {
            database: Database::Postgres {
                url: crate::server::postgres_database(base, &name),
            },
            record: data.join(format!("postgres-{}.json", scale.name)),
            postgres: Some((base.to_owned(), name)),
        }
    }

    /// The dataset recorded here, if it is still there.
    pub async fn existing(&self) -> Result<Option<Dataset>> {
        let Ok(text) = std::fs::read_to_string(&self.record) else {
            return Ok(None);
        };
        let still_there = match (&self.database, &self.postgres) {
            (_, Some((base, name))) => ensure_postgres_database(base, name, false).await?,
            (Database::Sqlite { dir }, None) => dir.join("latchkey.db").exists(),
            (Database::Postgres { .. }, None) => false,
        };
        let value: Value = serde_json::from_str(&text)?;
        Ok(still_there
            .then(|| Dataset::from_json(self.database.clone(), &value))
            .flatten())
    }

    /// Creates the dataset anew (whatever was here goes).
    pub async fn seed(&self, binary: &Path, scale: Scale) -> Result<Dataset> {
        let _ = std::fs::remove_file(&self.record);
        match (&self.database, &self.postgres) {
            (_, Some((base, name))) => {
                ensure_postgres_database(base, name, true).await?;
            }
            (Database::Sqlite { dir }, None) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            (Database::Postgres { .. }, None) => {}
        }
        let began = Instant::now();
        let (demo, locks) = register_locks(binary, &self.database, scale.locks).await?;
        println!(
            "  {} locks registered through the API in {:.1} s",
            scale.locks,
            began.elapsed().as_secs_f64()
        );
        bulk_insert(&self.database, &demo, scale).await?;
        let dataset = Dataset {
            database: self.database.clone(),
            demo,
            locks,
            users: scale.users,
            entries: scale.entries,
            seconds: began.elapsed().as_secs_f64(),
        };
        if let Some(parent) = self.record.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&self.record, dataset.to_json().to_string())?;
        Ok(dataset)
    }
}

async fn register_locks(
    binary: &Path,
    database: &Database,
    count: usize,
) -> Result<(Demo, Vec<String>)> {
    let server = Server::start(binary, database, true)?;
    let demo = server
        .demo
        .clone()
        .context("the new database printed no credentials")?;
    let client = server.client(&demo);
    let mut locks = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(32) {
        let calls = chunk.iter().map(|n| {
            let client = client.clone();
            async move {
                client
                    .call_value(
                        "registerLock",
                        &json!({"shortName": format!("Door {n}"), "timeZone": "Europe/Brussels",
                                "driver": {"kind": "simulated", "latencyMs": 0}}),
                    )
                    .await
            }
        });
        for lock in futures_util::future::try_join_all(calls).await? {
            locks.push(
                lock["lockId"]
                    .as_str()
                    .context("registerLock answered no lockId")?
                    .to_owned(),
            );
        }
    }
    Ok((demo, locks))
}

/// `INSERT INTO {table} ({columns}) VALUES (…), …` for `rows` rows, each of `shape`:
/// `$` is a parameter, anything else a literal.
fn insert_sql(table: &str, columns: &str, shape: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (i, item) in shape.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            if *item == "$" {
                n += 1;
                let _ = write!(sql, "${n}");
            } else {
                sql.push_str(item);
            }
        }
        sql.push(')');
    }
    sql
}

const BATCH: usize = 500;

async fn bulk_insert(database: &Database, demo: &Demo, scale: Scale) -> Result<()> {
    let mut conn = database.connect().await?;
    if matches!(database, Database::Sqlite { .. }) {
        sqlx::query("PRAGMA cache_size = -1000000")
            .execute(&mut conn)
            .await?;
    }
    let org_id: String = sqlx::query("SELECT org_id FROM api_keys WHERE api_key = $1")
        .bind(&demo.api_key)
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    let locks: Vec<(String, String, String)> =
        sqlx::query("SELECT id, lock_id, short_name FROM locks WHERE org_id = $1 ORDER BY id")
            .bind(&org_id)
            .fetch_all(&mut conn)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<_, sqlx::Error>>()?;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis(),
    )?;

    let began = Instant::now();
    let users = seed_people(&mut conn, scale.users, now).await?;
    println!(
        "  {} people in {:.1} s",
        scale.users,
        began.elapsed().as_secs_f64()
    );
    // Bulk loading: the secondary indexes of the two big tables are dropped first and
    // built again at the end (a sort, instead of millions of random inserts).
    let mut indexes = drop_indexes(&mut conn, database, "keys").await?;
    indexes.extend(drop_indexes(&mut conn, database, "activity").await?);
    let began = Instant::now();
    let keys = seed_keys(&mut conn, &org_id, &locks, &users, scale.keys_per_user, now).await?;
    println!("  {keys} keys in {:.1} s", began.elapsed().as_secs_f64());

    let began = Instant::now();
    seed_activity(&mut conn, &org_id, &locks, &users, scale.entries, now).await?;
    println!(
        "  {} activity entries in {:.1} s",
        scale.entries,
        began.elapsed().as_secs_f64()
    );
    let began = Instant::now();
    for index in &indexes {
        sqlx::query(index).execute(&mut conn).await?;
    }
    println!(
        "  {} indexes built in {:.1} s",
        indexes.len(),
        began.elapsed().as_secs_f64()
    );
    if matches!(database, Database::Postgres { .. }) {
        sqlx::query("ANALYZE").execute(&mut conn).await?;
    }
    conn.close().await?;
    Ok(())
}

/// Drops the indexes of `table` that back no constraint; answers the statements that
/// create them again.
async fn drop_indexes(
    conn: &mut AnyConnection,
    database: &Database,
    table: &str,
) -> Result<Vec<String>> {
    let sql = match database {
        Database::Sqlite { .. } => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1
             AND sql IS NOT NULL"
        }
        Database::Postgres { .. } => {
            "SELECT indexname::text, indexdef FROM pg_indexes i WHERE tablename = $1
             AND schemaname = current_schema()
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        }
    };
    let indexes: Vec<(String, String)> = sqlx::query(sql)
        .bind(table)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(indexes.into_iter().map(|(_, create)| create).collect())
}

/// `count` people who can be found by email (no password: they never sign in); answers
/// their ids.
async fn seed_people(conn: &mut AnyConnection, count: usize, now: i64) -> Result<Vec<String>> {
    let users: Vec<String> = (0..count).map(|_| new_object_id()).collect();
    let mut tx = conn.begin().await?;
    for chunk in users.chunks(BATCH).enumerate().collect::<Vec<_>>() {
        let (c, ids) = chunk;
        let sql = insert_sql(
            "users",
            "id, type, first_name, last_name, email, phone, password_hash, created_at, updated_at",
            &["$", "'USER'", "'Bench'", "$", "$", "NULL", "NULL", "$", "$"],
            ids.len(),
        );
        let mut query = sqlx::query(&sql);
        for (i, id) in ids.iter().enumerate() {
            let n = c * BATCH + i;
            query = query
                .bind(id)
                .bind(format!("Person {n}"))
                .bind(Dataset::email(n))
                .bind(now)
                .bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(users)
}

/// `per_person` `USER` keys for each person: person u holds keys on locks u, u + L/k,
/// u + 2L/k, … (mod L), so every lock gets the same number of people. Answers how many.
async fn seed_keys(
    conn: &mut AnyConnection,
    org_id: &str,
    locks: &[(String, String, String)],
    users: &[String],
    per_person: usize,
    now: i64,
) -> Result<usize> {
    let stride = (locks.len() / per_person).max(1);
    let keys: Vec<(usize, usize)> = (0..users.len())
        .flat_map(|u| (0..per_person).map(move |j| (u, j)))
        .map(|(u, j)| (u, (u + j * stride) % locks.len()))
        .collect();
    let mut tx = conn.begin().await?;
    for chunk in keys.chunks(BATCH) {
        let sql = insert_sql(
            "keys",
            "id, org_id, lock_id, user_id, role, status, one_time, can_remote_unlock, text_key, \
             schedules, created_at, updated_at",
            &[
                "$", "$", "$", "$", "0", "'ACTIVE'", "FALSE", "TRUE", "FALSE", "'[]'", "$", "$",
            ],
            chunk.len(),
        );
        let mut query = sqlx::query(&sql);
        for (u, l) in chunk {
            query = query
                .bind(new_object_id())
                .bind(org_id)
                .bind(&locks[*l].0)
                .bind(&users[*u])
                .bind(now)
                .bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(keys.len())
}

/// Appends `count` `UNLOCK` entries (spread over the locks and people, 50 ms apart, ending
/// now) to the organization's log, chained after its head.
async fn seed_activity(
    conn: &mut AnyConnection,
    org_id: &str,
    locks: &[(String, String, String)],
    users: &[String],
    count: usize,
    now: i64,
) -> Result<()> {
    let head = sqlx::query("SELECT activity_seq, activity_head FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?;
    let mut seq: i64 = head.try_get(0)?;
    let mut hash: [u8; 32] = match head.try_get::<Option<Vec<u8>>, _>(1)? {
        Some(bytes) => bytes.try_into().ok().context("corrupt audit head")?,
        None => audit::GENESIS,
    };
    let first_at = now - i64::try_from(count)? * 50;
    let mut tx = conn.begin().await?;
    let mut batches = 0;
    let mut written = 0;
    while written < count {
        let rows = BATCH.min(count - written);
        let sql = insert_sql(
            "activity",
            "org_id, seq, id, type, at, lock_id, initiator_id, target_user_id, entry, hash",
            &["$", "$", "$", "'UNLOCK'", "$", "$", "$", "NULL", "$", "$"],
            rows,
        );
        let mut query = sqlx::query(&sql);
        for i in written..written + rows {
            let lock = &locks[pick(i, locks.len())];
            let user = pick(i.wrapping_mul(7).wrapping_add(3), users.len());
            let at = first_at + i64::try_from(i)? * 50;
            let body = ActivityBody {
                object_id: new_object_id(),
                entry_type: "UNLOCK".into(),
                at: format_millis(at),
                outcome: "SUCCESS".into(),
                lock: Some(ActivityLock {
                    object_id: lock.0.clone(),
                    lock_id: lock.1.clone(),
                    short_name: lock.2.clone(),
                }),
                initiator: Initiator {
                    object_id: users[user].clone(),
                    first_name: Some("Bench".into()),
                    last_name: Some(format!("Person {user}")),
                    user_type: "USER".into(),
                },
                on_behalf_of: None,
                target: None,
                request_id: Some(new_object_id()),
                status: Some(70),
                status_name: Some("UNLOCKED".into()),
                reason: None,
            };
            seq += 1;
            let entry = audit::seal(seq, &serde_json::to_string(&body)?);
            hash = audit::chain(&hash, &entry);
            query = query
                .bind(org_id.to_owned())
                .bind(seq)
                .bind(body.object_id)
                .bind(at)
                .bind(lock.0.clone())
                .bind(users[user].clone())
                .bind(entry)
                .bind(hash.to_vec());
        }
        query.execute(&mut *tx).await?;
        written += rows;
        batches += 1;
        if batches % 200 == 0 {
            tx.commit().await?;
            tx = conn.begin().await?;
        }
    }
    let updated =
        sqlx::query("UPDATE organizations SET activity_seq = $2, activity_head = $3 WHERE id = $1")
            .bind(org_id.to_owned())
            .bind(seq)
            .bind(hash.to_vec())
            .execute(&mut *tx)
            .await?;
    ensure!(updated.rows_affected() == 1, "the organization is gone");
    tx.commit().await?;
    Ok(())
}
