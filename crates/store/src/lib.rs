//! The storage boundary of Latchkey: the [`Store`] trait that the server calls, the
//! records it reads and writes, and [`StoreError`], which keeps "not found" and
//! "conflict" apart from real failures. One crate per database implements it
//! (`latchkey-store-sqlite`, `latchkey-store-postgres`); both pass the same tests.
//!
//! Times are milliseconds since the Unix epoch; secrets are SHA-256 digests.

mod error;
mod records;

pub use error::{Result, StoreError, UniqueField};
pub use records::{
    ApiKeyRecord, KeyRecord, KeyStatus, LockRecord, NewOrganization, Organization, SessionRecord,
    UserChanges, UserLookup, UserRecord, UserType, Viewer,
};

use async_trait::async_trait;
use latchkey_core::secret::Digest32;

/// Everything the server asks of its database.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Answers when the database does.
    async fn ping(&self) -> Result<()>;

    /// Whether any organization exists (a new database has none).
    async fn has_organizations(&self) -> Result<bool>;

    /// Creates an organization with its virtual user and API key, all or nothing.
    async fn create_organization(&self, new: &NewOrganization) -> Result<()>;

    async fn organization(&self, id: &str) -> Result<Organization>;

    /// The virtual user of the organization's first API key (the owner of its locks).
    async fn virtual_user_of(&self, org_id: &str) -> Result<String>;

    /// The API key record, revoked or not.
    async fn api_key(&self, api_key: &str) -> Result<ApiKeyRecord>;

    /// Replaces the secret of `api_key`; the old one stays valid until
    /// `previous_valid_until` (epoch ms; in the past for no grace).
    async fn rotate_api_secret(
        &self,
        api_key: &str,
        new_secret: &Digest32,
        previous_valid_until: i64,
    ) -> Result<()>;

    /// Creates a user. `Conflict(Email | Phone)` when either is taken.
    async fn create_user(&self, user: &UserRecord) -> Result<()>;

    /// The user with this id, normalized email or E.164 phone.
    async fn user(&self, by: UserLookup<'_>) -> Result<UserRecord>;

    /// Applies `changes` and returns the user as stored. A new password hash ends every
    /// session of the user in the same transaction.
    async fn update_user(&self, id: &str, changes: &UserChanges, now: i64) -> Result<UserRecord>;

    /// Whether `user_id` holds a key on a lock of `org_id` that `viewer` administers.
    async fn user_visible(&self, org_id: &str, viewer: &Viewer, user_id: &str) -> Result<bool>;

    async fn create_session(&self, session: &SessionRecord) -> Result<()>;

    async fn session(&self, token_hash: &Digest32) -> Result<SessionRecord>;

    /// Records a use of the session (sessions expire a while after their last use).
    async fn touch_session(&self, token_hash: &Digest32, now: i64) -> Result<()>;

    /// Ends one session. `NotFound` if it had already ended.
    async fn delete_session(&self, token_hash: &Digest32) -> Result<()>;

    /// Registers a lock with its first keys (the virtual user's `OWNER` key), all or
    /// nothing. `Conflict(LockId)` when the device id is taken.
    async fn create_lock(&self, lock: &LockRecord, keys: &[KeyRecord]) -> Result<()>;
}
