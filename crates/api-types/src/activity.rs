//! Audit log entries (spec section 3, Activity entry).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The lock an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityLock {
    pub object_id: String,
    pub lock_id: String,
    pub short_name: String,
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Initiator {
    pub object_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[serde(rename = "type")]
    pub user_type: String,
}

/// An entry without its `seq` and `hash`, in the field order that is hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityBody {
    pub object_id: String,
    #[serde(rename = "type")]
    pub entry_type: String,
    pub at: String,
    pub outcome: String,
    pub lock: Option<ActivityLock>,
    pub initiator: Initiator,
    pub on_behalf_of: Option<Value>,
    pub target: Option<Value>,
    pub request_id: Option<String>,
    pub status: Option<i64>,
    pub status_name: Option<String>,
    pub reason: Option<String>,
}

/// An entry as the API shows it: its body with `seq` and `hash` (hex SHA-256 of the
/// previous hash and the canonical JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    pub seq: i64,
    #[serde(flatten)]
    pub body: ActivityBody,
    pub hash: String,
}

/// Every activity entry type.
pub const ACTIVITY_TYPES: [&str; 20] = [
    "UNLOCK",
    "LOCK",
    "UNLOCK_DENIED",
    "KEY_SENT",
    "KEY_MODIFIED",
    "KEY_REVOKED",
    "LOCK_REGISTERED",
    "LOCK_MODIFIED",
    "LOCK_REMOVED",
    "OWNERSHIP_TRANSFERRED",
    "GROUP_CREATED",
    "GROUP_MODIFIED",
    "GROUP_DELETED",
    "SIGN_IN",
    "SIGN_IN_FAILED",
    "MESSAGE_SENT",
    "WEBHOOK_CREATED",
    "WEBHOOK_DELETED",
    "API_SECRET_ROTATED",
    "ORGANIZATION_ADMIN_GRANTED",
];

/// `getActivity`, and the query of the exports (`types` comma-separated there).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetActivityRequest {
    pub lock_id: Option<String>,
    pub user_id: Option<String>,
    pub types: Option<Vec<String>>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub before: Option<i64>,
}
