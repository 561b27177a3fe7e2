//! `GET /export/activity.csv` and `GET /export/activity.jsonl`: every audit entry that
//! matches the `getActivity` filters (query parameters `lockId`, `userId`, `types`
//! comma-separated, `from`, `to`), oldest first, streamed a page at a time so that any
//! time range is exported without being held in memory. Same credentials as the API.

use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use latchkey_api_types::{ErrorCode, GetActivityRequest};
use latchkey_core::version::ApiVersion;
use latchkey_store::{ActivityCursor, ActivityFilter, ActivityRecord};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Access, Caller, Principal, authenticate};
use crate::error::ApiError;
use crate::functions::activity;
use crate::router::Ctx;
use crate::state::AppState;

/// Entries read from the store per page.
const PAGE: i64 = 1000;

/// The export's query parameters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportQuery {
    lock_id: Option<String>,
    user_id: Option<String>,
    types: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    Jsonl,
}

pub async fn csv(
    state: State<AppState>,
    client: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Response {
    export(state, client, headers, query, Format::Csv).await
}

pub async fn jsonl(
    state: State<AppState>,
    client: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Response {
    export(state, client, headers, query, Format::Jsonl).await
}

async fn export(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<ExportQuery>, QueryRejection>,
    format: Format,
) -> Response {
    match prepare(state, client, &headers, query).await {
        Ok((state, org_id, filter)) => stream_entries(state, org_id, filter, format),
        Err(e) => e.into_response(),
    }
}

async fn prepare(
    state: AppState,
    client: SocketAddr,
    headers: &HeaderMap,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<(AppState, String, ActivityFilter), ApiError> {
    let Query(query) = query.map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.body_text()))?;
    let auth = authenticate(&state, headers, Access::Caller).await?;
    let caller = Caller::from_authenticated(auth)?;
    let request = GetActivityRequest {
        lock_id: query.lock_id,
        user_id: query.user_id,
        types: query.types.map(|t| {
            t.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        }),
        from: query.from,
        to: query.to,
        limit: None,
        before: None,
    };
    let ctx = Ctx {
        state: state.clone(),
        version: ApiVersion::CURRENT,
        client_ip: client.ip(),
    };
    let filter = activity::filter(&ctx, &caller, &request).await?;
    Ok((state, caller.org_id().to_owned(), filter))
}

/// The response: a header line (CSV), then the entries page by page. A failure after the
/// first byte ends the stream with an error, which the client sees as a broken transfer.
fn stream_entries(
    state: AppState,
    org_id: String,
    filter: ActivityFilter,
    format: Format,
) -> Response {
    let first = match format {
        Format::Csv => Some(csv_row(&CSV_COLUMNS.map(str::to_owned))),
        Format::Jsonl => None,
    };
    let pages = stream::unfold(Some((0i64, first)), move |cursor| {
        let state = state.clone();
        let org_id = org_id.clone();
        let filter = filter.clone();
        async move {
            let (after, header) = cursor?;
            if let Some(header) = header {
                return Some((Ok(Bytes::from(header)), Some((after, None))));
            }
            let page = state
                .store
                .activity_page(&org_id, &filter, ActivityCursor::After(after), PAGE)
                .await;
            match page {
                Ok(records) if records.is_empty() => None,
                Ok(records) => {
                    let last = records.last().map_or(after, |r| r.seq);
                    let bytes = render(&records, format);
                    Some((bytes.map(Bytes::from), Some((last, None))))
                }
                Err(e) => {
                    tracing::error!(error = %e, "export failed");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Jsonl => "application/x-ndjson",
    };
    let mut response = Body::from_stream(pages).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const CSV_COLUMNS: [&str; 17] = [
    "seq",
    "at",
    "type",
    "outcome",
    "lockObjectId",
    "lockId",
    "lockName",
    "initiatorId",
    "initiatorFirstName",
    "initiatorLastName",
    "initiatorType",
    "onBehalfOf",
    "target",
    "requestId",
    "status",
    "reason",
    "hash",
];

fn render(records: &[ActivityRecord], format: Format) -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::new();
    for record in records {
        let entry =
            activity::with_hash(record).map_err(|e| std::io::Error::other(e.to_string()))?;
        match format {
            Format::Jsonl => {
                out.extend_from_slice(entry.get().as_bytes());
                out.push(b'\n');
            }
            Format::Csv => {
                let v: Value = serde_json::from_str(entry.get())?;
                let text = |v: &Value| match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let row = [
                    &v["seq"],
                    &v["at"],
                    &v["type"],
                    &v["outcome"],
                    &v["lock"]["objectId"],
                    &v["lock"]["lockId"],
                    &v["lock"]["shortName"],
                    &v["initiator"]["objectId"],
                    &v["initiator"]["firstName"],
                    &v["initiator"]["lastName"],
                    &v["initiator"]["type"],
                    &v["onBehalfOf"],
                    &v["target"],
                    &v["requestId"],
                    &v["status"],
                    &v["reason"],
                    &v["hash"],
                ]
                .map(text);
                out.extend_from_slice(csv_row(&row).as_bytes());
            }
        }
    }
    Ok(out)
}

/// One CSV line, quoted where needed.
fn csv_row(fields: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(fields);
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
