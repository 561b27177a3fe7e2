//! Keys, schedules and the requests of the key functions (spec sections 3 and 4).

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A field that can be left as it is (absent), cleared (`null`) or set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Patch::Set(value),
            None => Patch::Clear,
        })
    }
}

/// On the wire a patch is an optional, nullable value.
impl<T: JsonSchema> JsonSchema for Patch<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        Option::<T>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Option::<T>::json_schema(generator)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(value) => serializer.serialize_some(value),
            Patch::Keep | Patch::Clear => serializer.serialize_none(),
        }
    }
}

/// A schedule as the API shows it (and stores it): local times without offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub object_id: String,
    pub start_date: String,
    pub end_date: String,
    pub repeat_type: i64,
    pub repeat_interval: i64,
    pub repeat_pattern: Vec<i64>,
    pub expiration_date: Option<String>,
    pub expiration_date_uses_num_occurrences: bool,
    pub num_occurrences: Option<i64>,
}

/// A schedule as a client sends it. `repeatType` is a number (0–3) or a name
/// (`"WEEKLY"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleInput {
    pub object_id: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub repeat_type: Option<Value>,
    pub repeat_interval: Option<i64>,
    pub repeat_pattern: Option<Vec<i64>>,
    pub expiration_date: Option<String>,
    pub expiration_date_uses_num_occurrences: Option<bool>,
    pub num_occurrences: Option<i64>,
}

/// The lock of a key, as the key shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyLock {
    pub object_id: String,
    pub lock_id: String,
    pub short_name: String,
    pub time_zone: String,
}

/// The holder of a key; a pending key shows the invited phone or email and no objectId.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyUser {
    pub object_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
}

/// A key (Nexkey's `KeyRelationship`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    pub object_id: String,
    pub lock: KeyLock,
    pub user: KeyUser,
    pub role: String,
    #[serde(rename = "roleID")]
    pub role_id: i64,
    pub status: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub one_time: bool,
    pub used_at: Option<String>,
    pub can_remote_unlock: bool,
    pub text_key: bool,
    /// Shown to admins of the lock only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_unlock_code: Option<String>,
    pub schedules: Vec<Schedule>,
    pub group_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `sendKey`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendKeyRequest {
    pub lock_id: Option<String>,
    pub lock_ids: Option<Vec<String>>,
    pub email: Option<String>,
    pub emails: Option<Vec<String>>,
    pub phone: Option<String>,
    pub phones: Option<Vec<String>>,
    pub role: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub schedules: Option<Vec<ScheduleInput>>,
    pub one_time: Option<bool>,
    pub can_remote_unlock: Option<bool>,
    pub text_key: Option<bool>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// `revokeKey`: by `keyId`, or by locks and people.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevokeKeyRequest {
    pub key_id: Option<String>,
    pub lock_id: Option<String>,
    pub lock_ids: Option<Vec<String>>,
    pub email: Option<String>,
    pub emails: Option<Vec<String>>,
    pub phone: Option<String>,
    pub phones: Option<Vec<String>>,
}

/// `modifyKey`: absent fields stay; `null` clears `startDate`/`endDate`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifyKeyRequest {
    pub key_id: Option<String>,
    pub role: Option<String>,
    #[serde(default)]
    pub start_date: Patch<String>,
    #[serde(default)]
    pub end_date: Patch<String>,
    pub schedules: Option<Vec<ScheduleInput>>,
    pub one_time: Option<bool>,
    pub can_remote_unlock: Option<bool>,
}

/// `getUserKeys`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetUserKeysRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// `getLockUsers`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetLockUsersRequest {
    pub lock_id: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// `explainAccess`: about `userId`/`email`/`phone`, or the caller when none is given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExplainAccessRequest {
    pub lock_id: Option<String>,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub at: Option<String>,
}

/// One rule `explainAccess` checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessRule {
    pub rule: String,
    pub passed: bool,
    pub detail: String,
}

/// `explainAccess` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessExplanation {
    pub allowed: bool,
    pub code: Option<i64>,
    pub reason: Option<String>,
    pub rules: Vec<AccessRule>,
    pub next_valid_at: Option<String>,
}
