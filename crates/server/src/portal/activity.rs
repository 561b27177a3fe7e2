//! The activity log of what a person administers: filters, pages, the CSV export and two
//! charts (unlocks per hour over the last day, refusals per day over the last two weeks).

use std::net::SocketAddr;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use latchkey_api_types::{ACTIVITY_TYPES, ActivityEntry};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;

use super::Portal;
use super::chart;
use super::layout::{self, Section, shell, time_utc};
use super::people::administered;
use crate::export::{self, ExportQuery};

/// Entries per page.
const PAGE: i64 = 50;
/// A chart reads `getActivity` in its largest pages, at most this many.
const CHART_LIMIT: i64 = 1000;
const CHART_PAGES: i64 = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityQuery {
    lock_id: Option<String>,
    #[serde(rename = "type")]
    entry_type: Option<String>,
    before: Option<i64>,
}

/// `GET /portal/activity`.
pub async fn page(portal: Portal, Query(query): Query<ActivityQuery>) -> Response {
    let lock_id = query.lock_id.filter(|l| !l.is_empty());
    let entry_type = query.entry_type.filter(|t| !t.is_empty());
    let mut request = json!({"limit": PAGE});
    if let Some(l) = &lock_id {
        request["lockId"] = json!(l);
    }
    if let Some(t) = &entry_type {
        request["types"] = json!([t]);
    }
    if let Some(b) = query.before {
        request["before"] = json!(b);
    }
    let now = Timestamp::from_millisecond(portal.now()).unwrap_or_else(|_| Timestamp::now());
    let loaded = tokio::try_join!(
        portal.call::<Vec<ActivityEntry>>("getActivity", request),
        administered(&portal),
        since(&portal, lock_id.as_deref(), "UNLOCK", now, 1),
        since(&portal, lock_id.as_deref(), "UNLOCK_DENIED", now, 14),
    );
    let (entries, locks, unlocks, refusals) = match loaded {
        Ok(all) => all,
        Err(e) => return layout::error_page(&portal, &e),
    };
    let mut export = Vec::new();
    if let Some(l) = &lock_id {
        export.push(format!("lockId={l}"));
    }
    if let Some(t) = &entry_type {
        export.push(format!("types={t}"));
    }
    let older = entries
        .last()
        .filter(|_| i64::try_from(entries.len()) == Ok(PAGE))
        .map(|e| e.seq);
    let filters = |before: i64| {
        let mut q = vec![format!("before={before}")];
        q.extend(lock_id.iter().map(|l| format!("lockId={l}")));
        q.extend(entry_type.iter().map(|t| format!("type={t}")));
        q.join("&")
    };
    let body = html! {
        div.charts {
            (per_hour(&unlocks, now))
            (per_day(&refusals, now))
        }
        form.filters method="get" action="/portal/activity" {
            div.field {
                label for="lockId" { "Lock" }
                select #lockId name="lockId" {
                    option value="" { "All locks" }
                    @for l in &locks {
                        option value=(l.object_id) selected[lock_id.as_deref() == Some(l.object_id.as_str())] { (l.short_name) }
                    }
                }
            }
            div.field {
                label for="type" { "Type" }
                select #type name="type" {
                    option value="" { "All types" }
                    @for t in ACTIVITY_TYPES {
                        option value=(t) selected[entry_type.as_deref() == Some(t)] { (words(t)) }
                    }
                }
            }
            button type="submit" { "Filter" }
            a.button href={ "/portal/activity.csv?" (export.join("&")) } download { "Export CSV" }
        }
        div.table-wrap {
            table.activity {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { "When (UTC)" } th scope="col" { "What" }
                    th scope="col" { "Lock" } th scope="col" { "By" } th scope="col" { "Result" }
                } }
                tbody {
                    @if entries.is_empty() { tr { td colspan="6" { "Nothing recorded here." } } }
                    @for e in &entries { (row(e)) }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if query.before.is_some() { a href="/portal/activity" { "Newest" } }
            @if let Some(seq) = older { a href={ "/portal/activity?" (filters(seq)) } { "Older entries" } }
        }
    };
    shell(&portal, Section::Activity, "Activity", &body).into_response()
}

fn words(entry_type: &str) -> String {
    let lower = entry_type.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn row(e: &ActivityEntry) -> Markup {
    let b = &e.body;
    let by = [
        b.initiator.first_name.as_deref(),
        b.initiator.last_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    html! {
        tr {
            td { (e.seq) }
            td { (time_utc(&b.at)) }
            td { (words(&b.entry_type)) }
            td { @if let Some(l) = &b.lock { (l.short_name) } }
            td { (by) }
            td {
                span.badge.good[b.outcome == "SUCCESS"].bad[b.outcome != "SUCCESS"] { (b.outcome.to_lowercase()) }
                @if let Some(s) = &b.status_name { " " small.muted { (s) } }
                @if let Some(r) = &b.reason { " " small.muted { (r) } }
            }
        }
    }
}

/// Entries of one type in the last `days` days, newest first, read page by page up to
/// `CHART_PAGES` pages (a chart says when it shows only those).
async fn since(
    portal: &Portal,
    lock_id: Option<&str>,
    entry_type: &str,
    now: Timestamp,
    days: i64,
) -> Result<Vec<ActivityEntry>, crate::error::ApiError> {
    let from = now - SignedDuration::from_hours(24 * days);
    let mut request = json!({
        "types": [entry_type],
        "from": from.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
        "limit": CHART_LIMIT,
    });
    if let Some(l) = lock_id {
        request["lockId"] = json!(l);
    }
    let mut entries: Vec<ActivityEntry> = Vec::new();
    for _ in 0..CHART_PAGES {
        let page: Vec<ActivityEntry> = portal.call("getActivity", request.clone()).await?;
        let full = i64::try_from(page.len()) == Ok(CHART_LIMIT);
        entries.extend(page);
        match entries.last() {
            Some(last) if full => request["before"] = json!(last.seq),
            _ => break,
        }
    }
    Ok(entries)
}

/// How many of `entries` fall in each of `buckets` spans of `span` ending at `now`.
fn count(
    entries: &[ActivityEntry],
    now: Timestamp,
    span: SignedDuration,
    buckets: usize,
) -> Vec<u32> {
    let mut counts = vec![0u32; buckets];
    let start = now - span * i32::try_from(buckets).unwrap_or(0);
    for e in entries {
        let Ok(at) = e.body.at.parse::<Timestamp>() else {
            continue;
        };
        let offset = at.duration_since(start).as_secs();
        let index = usize::try_from(offset / span.as_secs().max(1)).ok();
        if let Some(slot) = index.and_then(|i| counts.get_mut(i)) {
            *slot += 1;
        }
    }
    counts
}

/// A chart's title, saying when the entries were more than a chart reads.
fn titled(title: &str, entries: &[ActivityEntry]) -> String {
    let most = CHART_LIMIT * CHART_PAGES;
    if i64::try_from(entries.len()).is_ok_and(|n| n >= most) {
        format!("{title}, the latest {most} only")
    } else {
        title.to_owned()
    }
}

fn per_hour(entries: &[ActivityEntry], now: Timestamp) -> Markup {
    let hour = SignedDuration::from_hours(1);
    let counts = count(entries, now, hour, 24);
    let labels: Vec<String> = (0..24)
        .map(|i| (now - hour * (24 - i)).strftime("%H:00").to_string())
        .collect();
    chart::bars(
        "unlocks-per-hour",
        &titled("Unlocks per hour, last 24 hours (UTC)", entries),
        &labels,
        &counts,
        4,
    )
}

fn per_day(entries: &[ActivityEntry], now: Timestamp) -> Markup {
    let day = SignedDuration::from_hours(24);
    let counts = count(entries, now, day, 14);
    let labels: Vec<String> = (0..14)
        .map(|i| (now - day * (13 - i)).strftime("%d %b").to_string())
        .collect();
    chart::bars(
        "refusals-per-day",
        &titled("Refusals per day, last 14 days (UTC)", entries),
        &labels,
        &counts,
        2,
    )
}

/// `GET /portal/activity.csv`: the export of the API, as this person.
pub async fn csv(
    portal: Portal,
    client: ConnectInfo<SocketAddr>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Response {
    let state = State(portal.state().clone());
    let mut response = export::csv(state, client, portal.api_headers(), query).await;
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"activity.csv\""),
    );
    response
}
