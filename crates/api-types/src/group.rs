//! Lock groups and the requests of the group functions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::key::{Schedule, ScheduleInput};

/// A group as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub object_id: String,
    pub name: String,
    pub description: Option<String>,
    pub lock_ids: Vec<String>,
    pub can_remote_unlock: bool,
    pub can_unlock_until: bool,
    pub schedules: Vec<Schedule>,
    pub user_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// `createGroup`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateGroupRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub lock_ids: Option<Vec<String>>,
    pub can_remote_unlock: Option<bool>,
    pub can_unlock_until: Option<bool>,
    pub schedules: Option<Vec<ScheduleInput>>,
}

/// `getGroup`, `deleteGroup`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupRequest {
    pub group_id: Option<String>,
}

/// `getGroups`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetGroupsRequest {
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// `modifyGroup`: absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifyGroupRequest {
    pub group_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub can_remote_unlock: Option<bool>,
    pub can_unlock_until: Option<bool>,
    pub schedules: Option<Vec<ScheduleInput>>,
}

/// `addGroupUsers` / `removeGroupUsers`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupUsersRequest {
    pub group_id: Option<String>,
    pub emails: Option<Vec<String>>,
    pub phones: Option<Vec<String>>,
    pub role: Option<String>,
}

/// `addGroupLocks` / `removeGroupLocks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupLocksRequest {
    pub group_id: Option<String>,
    pub lock_ids: Option<Vec<String>>,
}
