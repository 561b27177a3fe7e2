//! Notifications, messaging, push devices and webhooks (spec section 4, Notifications and
//! messaging, Webhooks).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::key::{Patch, Schedule, ScheduleInput};

/// The categories of activity an enrollment can ask for, each with the activity types it
/// covers.
pub const CATEGORIES: [(&str, &[&str]); 4] = [
    ("UNLOCKS_AND_LOCKS", &["UNLOCK", "LOCK", "UNLOCK_DENIED"]),
    (
        "ACCESS_MANAGEMENT",
        &["KEY_SENT", "KEY_MODIFIED", "KEY_REVOKED"],
    ),
    (
        "KEY_ADMINISTRATION",
        &[
            "LOCK_REGISTERED",
            "LOCK_MODIFIED",
            "LOCK_REMOVED",
            "OWNERSHIP_TRANSFERRED",
        ],
    ),
    (
        "GROUP_MANAGEMENT",
        &["GROUP_CREATED", "GROUP_MODIFIED", "GROUP_DELETED"],
    ),
];

/// The category an activity type belongs to, if any.
pub fn category_of(entry_type: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .find(|(_, types)| types.contains(&entry_type))
        .map(|(name, _)| *name)
}

/// `enrollNotifications`, and `modifyNotificationEnrollment` (with `enrollmentId`;
/// absent fields stay).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentRequest {
    pub enrollment_id: Option<String>,
    pub name: Option<String>,
    pub lock_ids: Option<Vec<String>>,
    pub group_id: Option<String>,
    pub categories: Option<Vec<String>>,
    /// A schedule in the lock's time zone during which nothing is sent; `null` clears.
    #[serde(default)]
    pub quiet_hours: Patch<ScheduleInput>,
}

/// An enrollment as the API shows it. `lockIds` are objectIds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    pub object_id: String,
    pub name: Option<String>,
    pub lock_ids: Vec<String>,
    pub group_id: Option<String>,
    pub categories: Vec<String>,
    pub quiet_hours: Option<Schedule>,
    pub created_at: String,
    pub updated_at: String,
}

/// `unenrollNotifications`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentIdRequest {
    pub enrollment_id: Option<String>,
}

/// `registerPushDevice`: `token` for `apns` and `fcm`, `url` for `webhook`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterDeviceRequest {
    pub platform: Option<String>,
    pub token: Option<String>,
    pub url: Option<String>,
}

/// A push device. `secret` (the signing secret of a `webhook` device) is shown once, at
/// registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub object_id: String,
    pub platform: String,
    pub token: Option<String>,
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
    pub created_at: String,
}

/// `unregisterPushDevice`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceIdRequest {
    pub device_id: Option<String>,
}

/// `sendMessage`: exactly one of `lockIds`, `groupId`, `userIds`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    pub title: Option<String>,
    pub body: Option<String>,
    pub lock_ids: Option<Vec<String>>,
    pub group_id: Option<String>,
    pub user_ids: Option<Vec<String>>,
}

/// What `sendMessage` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageSent {
    pub message_id: String,
    pub recipients: i64,
}

/// `getMessages`: newest first; `before` is a message's `seq`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetMessagesRequest {
    pub limit: Option<i64>,
    pub before: Option<i64>,
}

/// A message or notification in a user's inbox. `kind` is `MESSAGE` (sent by
/// `sendMessage`, with `from`) or `NOTIFICATION` (an enrollment matched `activity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub object_id: String,
    pub seq: i64,
    pub kind: String,
    pub message_id: String,
    pub title: String,
    pub body: String,
    pub from: Option<Value>,
    pub activity: Option<Value>,
    pub created_at: String,
}

/// `createWebhook`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateWebhookRequest {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
}

/// A webhook endpoint. `secret` is shown once, by `createWebhook`. `enabled` turns false
/// when deliveries kept failing for the whole retry schedule; its queue is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub object_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub disabled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
    pub created_at: String,
}

/// `deleteWebhook`, `enableWebhook`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRequest {
    pub webhook_id: Option<String>,
}

/// `getWebhookDeliveries`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetDeliveriesRequest {
    pub webhook_id: Option<String>,
    pub limit: Option<i64>,
}

/// One event sent (or to be sent) to a webhook, newest first, with every attempt.
/// `state`: `QUEUED`, `SENDING`, `DELIVERED`, `FAILED` (gave up) or `HELD` (the endpoint
/// is disabled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The `webhook-id` header: the same on every attempt.
    pub object_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub seq: Option<i64>,
    pub state: String,
    pub next_attempt_at: Option<String>,
    pub attempts: Vec<Attempt>,
    pub created_at: String,
}

/// One try at a delivery: HTTP status (none when no answer came), time taken, error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub at: String,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
}
