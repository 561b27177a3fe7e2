//! `getActivity`, and the filters it shares with the exports.

use latchkey_api_types::{ACTIVITY_TYPES, ActivityEntry, ErrorCode, GetActivityRequest};
use latchkey_store::{ActivityFilter, ActivityRecord};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::router::Ctx;

/// Default and largest page of `getActivity`.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

/// `getActivity`: audit entries newest first, filtered by lock, user, types and time,
/// paged with `before` (a `seq`). Session users see entries of the locks they
/// administer and their own actions.
pub async fn get_activity(
    ctx: Ctx,
    who: Caller,
    req: GetActivityRequest,
) -> Result<Vec<Entry>, ApiError> {
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid_query(format!(
            "limit must be between 1 and {MAX_LIMIT}."
        )));
    }
    if req.before.is_some_and(|b| b < 1) {
        return Err(invalid_query("before must be a seq of at least 1.".into()));
    }
    let filter = filter(&ctx, &who, &req).await?;
    let cursor = latchkey_store::ActivityCursor::Before(req.before);
    let records = ctx
        .state
        .store
        .activity_page(who.org_id(), &filter, cursor, limit)
        .await?;
    records.iter().map(|r| with_hash(r).map(Entry)).collect()
}

/// An entry as stored, answered without being parsed again; described as
/// [`ActivityEntry`].
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Entry(pub Box<RawValue>);

impl JsonSchema for Entry {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        ActivityEntry::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ActivityEntry::json_schema(generator)
    }
}

/// The store filter of a request; 102 for a bad filter, 101 for a lock that is not
/// there.
pub async fn filter(
    ctx: &Ctx,
    who: &Caller,
    req: &GetActivityRequest,
) -> Result<ActivityFilter, ApiError> {
    let lock_id = match &req.lock_id {
        Some(reference) => Some(ctx.state.store.lock(who.org_id(), reference).await?.id),
        None => None,
    };
    let types = req.types.clone().unwrap_or_default();
    if let Some(unknown) = types.iter().find(|t| !ACTIVITY_TYPES.contains(&t.as_str())) {
        return Err(invalid_query(format!(
            "types: {unknown:?} is not an activity type."
        )));
    }
    let time = |value: &Option<String>, field: &str| {
        value
            .as_deref()
            .map(|v| {
                latchkey_core::time::parse_millis(v)
                    .ok_or_else(|| invalid_query(format!("{field} must be an ISO-8601 time.")))
            })
            .transpose()
    };
    Ok(ActivityFilter {
        lock_id,
        user_id: req.user_id.clone(),
        types,
        from: time(&req.from, "from")?,
        to: time(&req.to, "to")?,
        visible_to: match who {
            Caller::Virtual(_) => None,
            Caller::Session(s) => Some(s.user_id.clone()),
        },
    })
}

/// The entry as the API shows it: its canonical JSON with `hash` (hex) added last.
pub fn with_hash(record: &ActivityRecord) -> Result<Box<RawValue>, ApiError> {
    let body = record
        .entry
        .trim_end()
        .strip_suffix('}')
        .unwrap_or(&record.entry);
    let json = format!("{body},\"hash\":\"{}\"}}", hex::encode(record.hash));
    RawValue::from_string(json).map_err(ApiError::internal)
}

fn invalid_query(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message)
}
