//! `latchkey import keys.csv`: keys for many people, sent in batches with a progress bar.
//!
//! Columns (header names, any case; `first name` or `first_name`): `lock` (lockId or
//! objectId), `email`, `phone` (one of the two), `role` (USER or ADMIN, default USER),
//! `first name`, `last name`, `schedule` (a schedule as JSON, as `sendKey` takes it, or
//! empty). Rows whose key already exists with the same role and schedule are left alone,
//! so importing a file again changes nothing. Rows with the same lock, role, names and
//! schedule go in one `sendKey` of up to 100 people; a refused batch is retried row by
//! row, and the refused rows are written with their errors next to the file
//! (`keys.refused.csv`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use latchkey_api_types::Key;
use latchkey_client::{Client, Error};
use serde_json::{Value, json};

use crate::remote::Connection;

const BATCH: usize = 100;

/// One row of the file, read.
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    lock: String,
    email: Option<String>,
    phone: Option<String>,
    role: String,
    first_name: Option<String>,
    last_name: Option<String>,
    schedule: Option<Value>,
    raw: Vec<String>,
}

impl Row {
    fn person(&self) -> &str {
        self.phone
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or_default()
    }
}

/// What became of the import.
#[derive(Debug, Default)]
struct Tally {
    sent: usize,
    unchanged: usize,
    refused: Vec<(Row, String)>,
}

pub async fn run(connection: &Connection, path: &Path) -> Result<()> {
    let client = connection.client()?;
    let (header, rows, mut tally) = read(path)?;
    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let existing = existing_keys(&client, &rows).await?;
    let mut batches: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for row in rows {
        let unchanged = existing
            .get(&(row.lock.clone(), row.person().to_lowercase()))
            .is_some_and(|key| same_terms(key, &row));
        if unchanged {
            tally.unchanged += 1;
            bar.inc(1);
            continue;
        }
        let group = json!([
            row.lock,
            row.role,
            row.first_name,
            row.last_name,
            row.schedule
        ])
        .to_string();
        batches.entry(group).or_default().push(row);
    }
    for rows in batches.values() {
        for chunk in rows.chunks(BATCH) {
            send(&client, chunk, &mut tally).await;
            bar.inc(chunk.len() as u64);
        }
    }
    bar.finish_and_clear();
    println!(
        "{} keys sent, {} unchanged, {} refused",
        tally.sent,
        tally.unchanged,
        tally.refused.len()
    );
    if !tally.refused.is_empty() {
        tally.refused.sort_by_key(|(row, _)| row.line);
        let report = report_path(path);
        write_report(&report, &header, &tally.refused)?;
        println!("Refused rows, with their errors: {}", report.display());
        anyhow::bail!("{} rows were refused", tally.refused.len());
    }
    Ok(())
}

/// Reads the file; rows that cannot be read are refused at once.
fn read(path: &Path) -> Result<(Vec<String>, Vec<Row>, Tally)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.to_lowercase().replace(['_', '-'], " ") == name)
    };
    let lock = column("lock").context("the file needs a `lock` column")?;
    let (email, phone, role) = (column("email"), column("phone"), column("role"));
    let (first, last, schedule) = (
        column("first name"),
        column("last name"),
        column("schedule"),
    );
    let mut rows = Vec::new();
    let mut tally = Tally::default();
    for (index, record) in reader.records().enumerate() {
        let record = record?;
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut row = Row {
            line: index + 2,
            lock: get(Some(lock)).unwrap_or_default(),
            email: get(email),
            phone: get(phone),
            role: get(role).unwrap_or_else(|| "USER".into()).to_uppercase(),
            first_name: get(first),
            last_name: get(last),
            schedule: None,
            raw: record.iter().map(str::to_owned).collect(),
        };
        let problem = if row.lock.is_empty() {
            Some("no lock".to_owned())
        } else if row.email.is_none() && row.phone.is_none() {
            Some("no email or phone".to_owned())
        } else {
            match get(schedule).map(|s| serde_json::from_str::<Value>(&s)) {
                Some(Ok(value)) => {
                    row.schedule = Some(value);
                    None
                }
                Some(Err(e)) => Some(format!("schedule is not JSON: {e}")),
                None => None,
            }
        };
        match problem {
            Some(error) => tally.refused.push((row, error)),
            None => rows.push(row),
        }
    }
    Ok((header, rows, tally))
}

/// The keys already on the file's locks, by (lock as written, phone or email).
async fn existing_keys(client: &Client, rows: &[Row]) -> Result<HashMap<(String, String), Key>> {
    let mut locks: Vec<&str> = rows.iter().map(|r| r.lock.as_str()).collect();
    locks.sort_unstable();
    locks.dedup();
    let mut keys = HashMap::new();
    for lock in locks {
        let mut after: Option<String> = None;
        loop {
            let page: Vec<Key> = match client
                .call(
                    "getLockUsers",
                    &json!({"lockId": lock, "limit": 1000, "after": after}),
                )
                .await
            {
                Ok(page) => page,
                // A lock that is not there: its rows are refused when sent.
                Err(Error::Api { .. }) => break,
                Err(e) => return Err(e.into()),
            };
            for key in &page {
                for contact in [&key.user.primary_phone, &key.user.primary_email]
                    .into_iter()
                    .flatten()
                {
                    keys.insert((lock.to_owned(), contact.to_lowercase()), key.clone());
                }
            }
            match page.last() {
                Some(last) if page.len() == 1000 => after = Some(last.object_id.clone()),
                _ => break,
            }
        }
    }
    Ok(keys)
}

/// Whether a key already says what the row asks.
fn same_terms(key: &Key, row: &Row) -> bool {
    let schedules_match = match &row.schedule {
        None => key.schedules.is_empty(),
        Some(wanted) => {
            key.schedules.len() == 1
                && wanted["startDate"] == key.schedules[0].start_date.as_str()
                && wanted["endDate"] == key.schedules[0].end_date.as_str()
        }
    };
    key.role == row.role && schedules_match
}

/// Sends one batch (rows with the same terms); a refused batch is retried row by row.
async fn send(client: &Client, rows: &[Row], tally: &mut Tally) {
    match client.call_value("sendKey", &body(rows)).await {
        Ok(_) => tally.sent += rows.len(),
        Err(e) if rows.len() == 1 => tally.refused.push((rows[0].clone(), message(&e))),
        Err(_) => {
            for row in rows {
                Box::pin(send(client, std::slice::from_ref(row), tally)).await;
            }
        }
    }
}

fn body(rows: &[Row]) -> Value {
    let first = &rows[0];
    let phones: Vec<&str> = rows.iter().filter_map(|r| r.phone.as_deref()).collect();
    let emails: Vec<&str> = rows
        .iter()
        .filter(|r| r.phone.is_none())
        .filter_map(|r| r.email.as_deref())
        .collect();
    let mut body =
        json!({"lockId": first.lock, "role": first.role, "phones": phones, "emails": emails});
    if let Some(name) = &first.first_name {
        body["firstName"] = json!(name);
    }
    if let Some(name) = &first.last_name {
        body["lastName"] = json!(name);
    }
    if let Some(schedule) = &first.schedule {
        body["schedules"] = json!([schedule]);
    }
    body
}

fn message(e: &Error) -> String {
    match e {
        Error::Api { body, .. } => format!("error {}: {}", body.code, body.error),
        other => other.to_string(),
    }
}

fn report_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("keys");
    path.with_file_name(format!("{stem}.refused.csv"))
}

fn write_report(path: &Path, header: &[String], refused: &[(Row, String)]) -> Result<()> {
    let mut writer = csv::Writer::from_path(path)?;
    let mut columns = vec!["line".to_owned()];
    columns.extend(header.iter().cloned());
    columns.push("error".into());
    writer.write_record(&columns)?;
    for (row, error) in refused {
        let mut record = vec![row.line.to_string()];
        record.extend(row.raw.iter().cloned());
        record.resize(header.len() + 1, String::new());
        record.push(error.clone());
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
