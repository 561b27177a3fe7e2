//! Remote unlock and lock requests (spec section 4, Unlocking).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::activity::Initiator;

/// `performUnlock` / `performLock`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PerformUnlockRequest {
    pub lock_id: Option<String>,
    /// Answer when the request ends (default true), or at once with status 10.
    pub wait: Option<bool>,
    /// The request's deadline, 1 to 30000 ms (default 10000).
    pub timeout_ms: Option<i64>,
    /// How long the door stays unlocked, 1 to 3600 s (the lock's `relockSeconds` when
    /// absent).
    pub unlock_seconds: Option<i64>,
    /// The client's idempotency key: sent again, it answers the first request.
    pub request_id: Option<String>,
    /// The external person a loosely coupled integration acts for.
    pub user: Option<Value>,
}

/// `getUnlockStatus`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnlockStatusRequest {
    pub request_id: Option<String>,
}

/// One status a request passed through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusStep {
    pub status: u16,
    pub status_name: String,
    pub at: String,
}

/// A remote unlock or lock request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnlockRequest {
    pub request_id: String,
    pub lock_id: String,
    pub status: u16,
    pub status_name: String,
    pub success: bool,
    pub initiator: Initiator,
    pub on_behalf_of: Option<Value>,
    pub history: Vec<StatusStep>,
}

/// `setLockdown`: `lockIds` or `all: true`, and whether lockdown is on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetLockdownRequest {
    pub lock_ids: Option<Vec<String>>,
    pub all: Option<bool>,
    pub enabled: Option<bool>,
}

/// What `setLockdown` did to one lock: with lockdown on, the lock command it sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LockdownResult {
    pub lock_id: String,
    pub lockdown: bool,
    pub request: Option<UnlockRequest>,
}
