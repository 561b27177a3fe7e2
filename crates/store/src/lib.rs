//! The storage boundary of Latchkey: the [`Store`] trait that the server calls, the
//! records it reads and writes, and [`StoreError`], which keeps "not found" and
//! "conflict" apart from real failures. One crate per database implements it
//! (`latchkey-store-sqlite`, `latchkey-store-postgres`); both pass the same tests.
//!
//! Times are milliseconds since the Unix epoch; secrets are SHA-256 digests.

mod columns;
mod error;
pub mod group_commit;
mod outbox;
pub mod reads;
mod records;
pub mod rows;
pub mod sql;

pub use columns::Columns;
pub use error::{Result, StoreError, UniqueField};
pub use outbox::{
    AttemptRecord, DISPATCH, DeviceRecord, EnrollmentRecord, InboxRecord, JobDraft, JobFinish,
    JobOutcome, JobRecord, JobState, Outbox, WebhookRecord, dispatch_job,
};
pub use records::{
    ActivityCursor, ActivityDraft, ActivityFilter, ActivityRecord, ApiKeyRecord, GroupMemberRecord,
    GroupRecord, Holder, Idempotency, IdempotencyClaim, KeyFilter, KeyRecord, KeyRow, KeyStatus,
    LockRecord, NewOrganization, Organization, OrganizationAdmin, PortalOrganization,
    SecretRotation, SessionRecord, UnlockRecord, UnlockStart, UserChanges, UserLookup, UserRecord,
    UserType, Viewer, WriteSet,
};

use async_trait::async_trait;
use latchkey_core::secret::Digest32;

/// Everything the server asks of its database.
#[async_trait]
pub trait Store: Outbox + std::fmt::Debug + 'static {
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

    /// Creates a user. `Conflict(Email | Phone)` when either is taken.
    async fn create_user(&self, user: &UserRecord) -> Result<()>;

    /// The user with this id, normalized email or E.164 phone.
    async fn user(&self, by: UserLookup<'_>) -> Result<UserRecord>;

    /// Applies `changes` and returns the user as stored. A new password hash ends every
    /// session of the user in the same transaction.
    async fn update_user(&self, id: &str, changes: &UserChanges, now: i64) -> Result<UserRecord>;

    /// Whether `user_id` holds a key on a lock of `org_id` that `viewer` administers.
    async fn user_visible(&self, org_id: &str, viewer: &Viewer, user_id: &str) -> Result<bool>;

    async fn session(&self, token_hash: &Digest32) -> Result<SessionRecord>;

    /// Records a use of the session (sessions expire a while after their last use).
    async fn touch_session(&self, token_hash: &Digest32, now: i64) -> Result<()>;

    /// Ends one session. `NotFound` if it had already ended.
    async fn delete_session(&self, token_hash: &Digest32) -> Result<()>;

    /// The lock of `org_id` whose objectId or device `lockId` is `reference`.
    async fn lock(&self, org_id: &str, reference: &str) -> Result<LockRecord>;

    /// A page of locks ordered by objectId, each with the role of `user_id` on it (its
    /// active key). `all`: every lock of the organization; else only those `user_id`
    /// holds an active key to.
    async fn locks_page(
        &self,
        org_id: &str,
        user_id: &str,
        all: bool,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(LockRecord, Option<i64>)>>;

    /// The key with this objectId in `org_id`.
    async fn key(&self, org_id: &str, key_id: &str) -> Result<KeyRow>;

    /// The key of `holder` on `lock_id`, if any.
    async fn key_of(&self, lock_id: &str, holder: &Holder) -> Result<Option<KeyRecord>>;

    /// A page of keys ordered by objectId.
    async fn keys_page(
        &self,
        org_id: &str,
        filter: &KeyFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<KeyRow>>;

    /// Pending keys and group memberships waiting for this email or phone, in every
    /// organization.
    async fn pending_for(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(Vec<KeyRecord>, Vec<GroupMemberRecord>)>;

    async fn group(&self, org_id: &str, group_id: &str) -> Result<GroupRecord>;

    async fn groups_page(
        &self,
        org_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<GroupRecord>>;

    /// The objectIds of the group's locks, ordered.
    async fn group_lock_ids(&self, group_id: &str) -> Result<Vec<String>>;

    async fn group_members(&self, group_id: &str) -> Result<Vec<GroupMemberRecord>>;

    /// A page of `org_id`'s audit entries that match `filter`, from `cursor`.
    async fn activity_page(
        &self,
        org_id: &str,
        filter: &ActivityFilter,
        cursor: ActivityCursor,
        limit: i64,
    ) -> Result<Vec<ActivityRecord>>;

    /// Stores a new request, first consuming the one-time key `consume_key` (if any),
    /// in one transaction; see [`UnlockStart`].
    async fn start_unlock(
        &self,
        request: &UnlockRecord,
        consume_key: Option<&str>,
    ) -> Result<UnlockStart>;

    /// The request with this requestId in `org_id`.
    async fn unlock_request(&self, org_id: &str, request_id: &str) -> Result<UnlockRecord>;

    /// Claims an `Idempotency-Key`, or answers what holds it.
    async fn claim_idempotency(&self, claim: &IdempotencyClaim) -> Result<Idempotency>;

    /// Keeps the answer of a claimed key.
    async fn finish_idempotency(
        &self,
        claim: &IdempotencyClaim,
        status: i64,
        response: &str,
    ) -> Result<()>;

    /// Gives a claimed key up (its request failed on the server's side).
    async fn release_idempotency(&self, claim: &IdempotencyClaim) -> Result<()>;

    /// Every organization's id, in order (for `latchkey audit verify`).
    async fn organization_ids(&self) -> Result<Vec<String>>;

    /// The organizations a person may open in the portal, by name.
    async fn portal_organizations(&self, user_id: &str) -> Result<Vec<PortalOrganization>>;

    /// Applies every change of `changes` and appends its audit entries to `org_id`'s log
    /// (next `seq`, chained hash), in one transaction. With no audit entries, `org_id`
    /// is not read. Answers the entries as sealed.
    async fn apply(&self, org_id: &str, changes: &WriteSet) -> Result<Vec<ActivityRecord>>;
}
