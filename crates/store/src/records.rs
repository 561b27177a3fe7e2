//! Rows as the server reads and writes them.

use latchkey_core::secret::Digest32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// An organization's API key. The key itself is an identifier; only the secret's digest
/// is stored. During a rotation's grace period the previous digest still opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub api_key: String,
    pub org_id: String,
    pub virtual_user_id: String,
    pub secret_hash: Digest32,
    pub previous_secret_hash: Option<Digest32>,
    pub previous_valid_until: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

/// What `create_organization` writes in one transaction.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub organization: Organization,
    pub virtual_user: UserRecord,
    pub api_key: ApiKeyRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserType {
    User,
    Virtual,
}

impl UserType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::User => "USER",
            UserType::Virtual => "VIRTUAL",
        }
    }

    pub fn parse(s: &str) -> Option<UserType> {
        match s {
            "USER" => Some(UserType::User),
            "VIRTUAL" => Some(UserType::Virtual),
            _ => None,
        }
    }
}

/// A user. Emails are stored lowercased and phones in E.164; virtual users have
/// neither, nor a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub user_type: UserType,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Argon2id PHC string.
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How to find a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserLookup<'a> {
    Id(&'a str),
    /// A normalized (lowercased) email.
    Email(&'a str),
    /// An E.164 phone.
    Phone(&'a str),
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub password_hash: Option<String>,
}

/// Who is looking: the organization itself (a virtual user) or one of its session users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    Organization,
    User(String),
}

/// A session, found by the digest of its token, bound to the organization whose API key
/// signed it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: Digest32,
    pub user_id: String,
    pub org_id: String,
    pub created_at: i64,
    pub last_used_at: i64,
}

/// A lock. `driver` is the JSON of its driver settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRecord {
    pub id: String,
    pub org_id: String,
    pub lock_id: String,
    pub short_name: String,
    pub long_name: Option<String>,
    pub time_zone: String,
    pub lock_type: String,
    pub relock_seconds: i64,
    pub driver: String,
    pub online: bool,
    pub last_seen_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Pending,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "ACTIVE",
            KeyStatus::Pending => "PENDING",
        }
    }
}

/// A user's key to one lock; `role` is Nexkey's `roleID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub id: String,
    pub org_id: String,
    pub lock_id: String,
    pub user_id: String,
    pub role: i64,
    pub status: KeyStatus,
    pub created_at: i64,
    pub updated_at: i64,
}
