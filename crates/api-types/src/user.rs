//! Users, sessions and the organization's API secret.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `USER` (a person) or `VIRTUAL` (an API key acting with its secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum UserType {
    User,
    Virtual,
}

/// A user as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub object_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    #[serde(rename = "type")]
    pub user_type: UserType,
    pub created_at: String,
    pub updated_at: String,
}

/// `signIn` / `signUp` answer: the user and a new session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    #[serde(flatten)]
    pub user: User,
    pub session_token: String,
}

/// `signIn`: `userIdentifier` is an email or a phone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    pub user_identifier: Option<String>,
    pub password: Option<String>,
}

/// `signUp`: an email or a phone (or both) and a password of at least 10 characters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignUpRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Option<String>,
}

/// `modifyCurrentUser`: a new `password` needs the `currentPassword`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifyCurrentUserRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub password: Option<String>,
    pub current_password: Option<String>,
}

/// `modifyCurrentUser` answer. A password change ends every session of the user,
/// the caller's too, so the answer carries a fresh `sessionToken` in that case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedUser {
    #[serde(flatten)]
    pub user: User,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
}

/// `getUser`: exactly one of `userId`, `email`, `phone`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetUserRequest {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// `rotateApiSecret`: how long the old secret keeps working (default 0, at most 7 days).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotateApiSecretRequest {
    pub grace_seconds: Option<i64>,
}

/// `rotateApiSecret` answer: the new secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiSecret {
    pub api_secret: String,
}

/// `latchkey org create` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationCreated {
    pub organization_id: String,
    pub api_key: String,
    pub api_secret: String,
}
