//! Rows as the server reads and writes them.

use latchkey_core::secret::Digest32;

use crate::outbox::{InboxRecord, JobDraft, WebhookRecord};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// An organization a person may open in the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalOrganization {
    pub id: String,
    pub name: String,
    /// The organization's oldest API key that is not revoked; `None` when every key is.
    pub api_key: Option<String>,
    /// The person administers the organization itself, not only some of its locks.
    pub org_admin: bool,
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
    pub lockdown: bool,
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

    pub fn parse(s: &str) -> Option<KeyStatus> {
        match s {
            "ACTIVE" => Some(KeyStatus::Active),
            "PENDING" => Some(KeyStatus::Pending),
            _ => None,
        }
    }
}

/// A key to one lock: a user's, or a pending one for an invited phone or email.
/// `role` is Nexkey's `roleID`; `schedules` the JSON array of its schedules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub id: String,
    pub org_id: String,
    pub lock_id: String,
    pub user_id: Option<String>,
    pub invite_email: Option<String>,
    pub invite_phone: Option<String>,
    pub invite_first_name: Option<String>,
    pub invite_last_name: Option<String>,
    pub role: i64,
    pub status: KeyStatus,
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
    pub one_time: bool,
    pub used_at: Option<i64>,
    pub can_remote_unlock: bool,
    pub text_key: bool,
    pub sms_code: Option<String>,
    pub schedules: String,
    pub group_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A key with what its views show of its lock and holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub key: KeyRecord,
    pub lock_device_id: String,
    pub lock_short_name: String,
    pub lock_time_zone: String,
    /// The holder, for an active key.
    pub user: Option<UserRecord>,
}

/// Whose key: a user's, a pending key for an invited phone or email (the phone is
/// looked up first), or the lock's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    User(String),
    Owner,
    Invite {
        phone: Option<String>,
        email: Option<String>,
    },
}

/// Which keys to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFilter {
    /// Every key of the organization.
    Organization,
    /// Every key of one lock (by objectId).
    Lock(String),
    /// One user's keys; with `administered_by`, only on locks that user administers.
    User {
        user_id: String,
        administered_by: Option<String>,
    },
}

/// A lock group. `schedules` is the JSON array of its schedules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: Option<String>,
    pub can_remote_unlock: bool,
    pub can_unlock_until: bool,
    pub schedules: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A member of a group: a user, or an invited phone or email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMemberRecord {
    pub id: String,
    pub group_id: String,
    pub user_id: Option<String>,
    pub invite_email: Option<String>,
    pub invite_phone: Option<String>,
    pub role: i64,
    pub created_at: i64,
}

/// An audit log entry before it is sealed: the store gives it the next `seq` of its
/// organization and chains its hash. `body` is the entry's JSON object without `seq`
/// and `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityDraft {
    pub id: String,
    pub entry_type: String,
    pub at: i64,
    pub lock_id: Option<String>,
    pub initiator_id: String,
    pub target_user_id: Option<String>,
    pub body: String,
}

/// Everything one call changes, applied by [`crate::Store::apply`] in one transaction
/// with its audit entries: all of it, or nothing. Deletions of keys run before upserts,
/// and upserts in the order given, so a role swap can respect "one owner per lock".
#[derive(Debug, Clone, Default)]
pub struct WriteSet {
    pub locks_insert: Vec<LockRecord>,
    pub locks_update: Vec<LockRecord>,
    pub locks_delete: Vec<String>,
    pub groups_upsert: Vec<GroupRecord>,
    pub groups_delete: Vec<String>,
    /// `(group_id, lock_id)` pairs.
    pub group_locks_add: Vec<(String, String)>,
    pub group_locks_remove: Vec<(String, String)>,
    pub members_upsert: Vec<GroupMemberRecord>,
    pub members_delete: Vec<String>,
    pub keys_delete: Vec<String>,
    pub keys_upsert: Vec<KeyRecord>,
    pub sessions_insert: Vec<SessionRecord>,
    /// Unlock requests to store as they are now (the end of a request).
    pub unlocks_update: Vec<UnlockRecord>,
    pub secret_rotation: Option<SecretRotation>,
    pub organization_admins: Vec<OrganizationAdmin>,
    pub webhooks_insert: Vec<WebhookRecord>,
    pub webhooks_delete: Vec<String>,
    pub inbox: Vec<InboxRecord>,
    pub jobs: Vec<JobDraft>,
    /// Audit entries. With any, and a webhook or enrollment in the organization, a
    /// `dispatch` job for them is queued in the same transaction: their webhook
    /// deliveries and notifications cannot be lost.
    pub activity: Vec<ActivityDraft>,
}

/// A person made administrator of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationAdmin {
    pub org_id: String,
    pub user_id: String,
    pub created_at: i64,
}

/// A new secret for an API key; the old one opens until `previous_valid_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRotation {
    pub api_key: String,
    pub new_secret: Digest32,
    pub previous_valid_until: i64,
}

/// A sealed audit entry as stored: `entry` is the canonical JSON that was hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    pub seq: i64,
    pub at: i64,
    pub entry_type: String,
    pub lock_id: Option<String>,
    pub entry: String,
    pub hash: Digest32,
}

/// Which audit entries to read, and in which direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Entries about this lock (objectId).
    pub lock_id: Option<String>,
    /// Entries this user initiated or was the target of.
    pub user_id: Option<String>,
    /// Entries of these types (any type when empty).
    pub types: Vec<String>,
    /// `at` at or after (epoch ms).
    pub from: Option<i64>,
    /// `at` before (epoch ms).
    pub to: Option<i64>,
    /// A session user: only entries of locks they administer and their own actions.
    pub visible_to: Option<String>,
}

/// Where a page of audit entries starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityCursor {
    /// Newest first, with `seq` below this (or from the newest, with `None`).
    Before(Option<i64>),
    /// Oldest first, with `seq` above this.
    After(i64),
}

/// A remote unlock or lock request. `history` is the JSON array of its statuses;
/// `on_behalf_of` the JSON of the external person a loosely coupled call named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockRecord {
    pub id: String,
    pub org_id: String,
    pub lock_id: String,
    pub command: String,
    pub client_request_id: Option<String>,
    pub initiator_id: String,
    pub on_behalf_of: Option<String>,
    pub status: i64,
    pub history: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How `start_unlock` went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnlockStart {
    /// The request was stored (and the one-time key consumed).
    Started,
    /// A request with the same client `requestId` exists: nothing was done.
    Existing(Box<UnlockRecord>),
    /// The one-time key had already been used: nothing was done.
    KeyUsed,
}

/// A request that sent an `Idempotency-Key`: the key is claimed for it, unless an earlier
/// request (since `fresh_after`) holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub org_id: String,
    /// Who is calling (a user id, or the API key for key-only calls).
    pub scope: String,
    pub key: String,
    /// SHA-256 of the function name and the body.
    pub body_hash: Digest32,
    pub now: i64,
    /// Claims older than this (epoch ms) are forgotten.
    pub fresh_after: i64,
}

/// What became of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotency {
    /// This request runs; its answer will be kept.
    Claimed,
    /// The first request's answer, to replay.
    Replay { status: i64, response: String },
    /// The key was used with another body.
    Mismatch,
    /// The first request is still running.
    InProgress,
}
