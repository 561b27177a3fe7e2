//! Latchkey's storage on PostgreSQL, for deployments of several stateless servers over
//! one database. Migrations in `migrations/` are applied by [`PostgresStore::connect`]
//! (sqlx takes an advisory lock, so servers starting together apply them once).

mod apply;
mod catalog;
mod idempotency;
mod outbox;

mod unlocks;
mod writer;

use async_trait::async_trait;
use latchkey_core::secret::Digest32;
use latchkey_store::reads;
use latchkey_store::{
    ActivityCursor, ActivityFilter, ActivityRecord, ApiKeyRecord, GroupMemberRecord, GroupRecord,
    Holder, Idempotency, IdempotencyClaim, KeyFilter, KeyRecord, KeyRow, LockRecord,
    NewOrganization, Organization, PortalOrganization, Result, SessionRecord, Store, StoreError,
    UniqueField, UnlockRecord, UnlockStart, UserChanges, UserLookup, UserRecord, Viewer, WriteSet,
};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};

use latchkey_store::rows::{
    api_key_from_row, organization_from_row, session_from_row, user_from_row,
};

/// Connections in the pool of each server.
const POOL_SIZE: u32 = 16;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    writer: writer::Writer,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host/db`) and applies the migrations.
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect(url)
            .await
            .map_err(other)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(other)?;
        let writer = writer::Writer::start(pool.clone());
        Ok(PostgresStore { pool, writer })
    }
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Other(Box::new(e))
}

/// Maps a database error: a missing row is `NotFound`, a unique violation `Conflict`.
fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            // The migrations name the constraints that a caller can run into.
            let field = match d.constraint() {
                Some("users_email_unique") => UniqueField::Email,
                Some("users_phone_unique") => UniqueField::Phone,
                Some("locks_lock_id_unique") => UniqueField::LockId,
                Some("api_keys_pkey") => UniqueField::ApiKey,
                _ => UniqueField::Other,
            };
            StoreError::Conflict(field)
        }
        e => other(e),
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<()> {
        self.pool.execute("SELECT 1").await.map_err(db)?;
        Ok(())
    }

    async fn has_organizations(&self) -> Result<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM organizations)")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn create_organization(&self, new: &NewOrganization) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let org = &new.organization;
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&org.id)
            .bind(&org.name)
            .bind(org.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_user(&mut tx, &new.virtual_user).await?;
        let key = &new.api_key;
        sqlx::query(
            "INSERT INTO api_keys (api_key, org_id, virtual_user_id, secret_hash, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.api_key)
        .bind(&key.org_id)
        .bind(&key.virtual_user_id)
        .bind(&key.secret_hash[..])
        .bind(key.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn organization(&self, id: &str) -> Result<Organization> {
        let row = sqlx::query(reads::ORGANIZATION)
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        organization_from_row(&row)
    }

    async fn virtual_user_of(&self, org_id: &str) -> Result<String> {
        sqlx::query_scalar(reads::VIRTUAL_USER_OF)
            .bind(org_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn api_key(&self, api_key: &str) -> Result<ApiKeyRecord> {
        let row = sqlx::query(reads::API_KEY)
            .bind(api_key)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        api_key_from_row(&row)
    }

    async fn create_user(&self, user: &UserRecord) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        insert_user(&mut conn, user).await
    }

    async fn user(&self, by: UserLookup<'_>) -> Result<UserRecord> {
        let (sql, value) = reads::user(by);
        let row = sqlx::query(sql)
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        user_from_row(&row)
    }

    async fn update_user(&self, id: &str, changes: &UserChanges, now: i64) -> Result<UserRecord> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let row = sqlx::query(
            "UPDATE users SET first_name = COALESCE($2, first_name),
                    last_name = COALESCE($3, last_name),
                    password_hash = COALESCE($4, password_hash), updated_at = $5
             WHERE id = $1
             RETURNING id, type, first_name, last_name, email, phone, password_hash,
                       created_at, updated_at",
        )
        .bind(id)
        .bind(&changes.first_name)
        .bind(&changes.last_name)
        .bind(&changes.password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if changes.password_hash.is_some() {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let user = user_from_row(&row)?;
        tx.commit().await.map_err(db)?;
        Ok(user)
    }

    async fn user_visible(&self, org_id: &str, viewer: &Viewer, user_id: &str) -> Result<bool> {
        let query = match viewer {
            Viewer::Organization => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM keys WHERE user_id = $1 AND org_id = $2 AND $3::text IS NULL)",
            ),
            Viewer::User(_) => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM keys k JOIN keys a ON a.lock_id = k.lock_id
                 WHERE k.user_id = $1 AND k.org_id = $2 AND a.user_id = $3::text AND a.role >= 1)",
            ),
        };
        let viewer_id = match viewer {
            Viewer::Organization => None,
            Viewer::User(id) => Some(id.as_str()),
        };
        query
            .bind(user_id)
            .bind(org_id)
            .bind(viewer_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn session(&self, token_hash: &Digest32) -> Result<SessionRecord> {
        let row = sqlx::query(reads::SESSION)
            .bind(&token_hash[..])
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        session_from_row(&row)
    }

    async fn touch_session(&self, token_hash: &Digest32, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_used_at = $2 WHERE token_hash = $1")
            .bind(&token_hash[..])
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &Digest32) -> Result<()> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&token_hash[..])
            .execute(&self.pool)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn lock(&self, org_id: &str, reference: &str) -> Result<LockRecord> {
        self.find_lock(org_id, reference).await
    }

    async fn locks_page(
        &self,
        org_id: &str,
        user_id: &str,
        all: bool,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(LockRecord, Option<i64>)>> {
        self.list_locks(org_id, user_id, all, after, limit).await
    }

    async fn key(&self, org_id: &str, key_id: &str) -> Result<KeyRow> {
        self.find_key(org_id, key_id).await
    }

    async fn key_of(&self, lock_id: &str, holder: &Holder) -> Result<Option<KeyRecord>> {
        self.find_key_of(lock_id, holder).await
    }

    async fn keys_page(
        &self,
        org_id: &str,
        filter: &KeyFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<KeyRow>> {
        self.list_keys(org_id, filter, after, limit).await
    }

    async fn pending_for(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(Vec<KeyRecord>, Vec<GroupMemberRecord>)> {
        self.find_pending(email, phone).await
    }

    async fn group(&self, org_id: &str, group_id: &str) -> Result<GroupRecord> {
        self.find_group(org_id, group_id).await
    }

    async fn groups_page(
        &self,
        org_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<GroupRecord>> {
        self.list_groups(org_id, after, limit).await
    }

    async fn group_lock_ids(&self, group_id: &str) -> Result<Vec<String>> {
        self.list_group_lock_ids(group_id).await
    }

    async fn group_members(&self, group_id: &str) -> Result<Vec<GroupMemberRecord>> {
        self.list_group_members(group_id).await
    }

    async fn activity_page(
        &self,
        org_id: &str,
        filter: &ActivityFilter,
        cursor: ActivityCursor,
        limit: i64,
    ) -> Result<Vec<ActivityRecord>> {
        self.list_activity(org_id, filter, cursor, limit).await
    }

    async fn start_unlock(
        &self,
        request: &UnlockRecord,
        consume_key: Option<&str>,
    ) -> Result<UnlockStart> {
        self.insert_unlock(request, consume_key).await
    }

    async fn unlock_request(&self, org_id: &str, request_id: &str) -> Result<UnlockRecord> {
        self.find_unlock(org_id, request_id).await
    }

    async fn claim_idempotency(&self, claim: &IdempotencyClaim) -> Result<Idempotency> {
        self.claim_key(claim).await
    }

    async fn finish_idempotency(
        &self,
        claim: &IdempotencyClaim,
        status: i64,
        response: &str,
    ) -> Result<()> {
        self.finish_key(claim, status, response).await
    }

    async fn release_idempotency(&self, claim: &IdempotencyClaim) -> Result<()> {
        self.release_key(claim).await
    }

    async fn organization_ids(&self) -> Result<Vec<String>> {
        self.list_organization_ids().await
    }

    async fn portal_organizations(&self, user_id: &str) -> Result<Vec<PortalOrganization>> {
        self.list_portal_organizations(user_id).await
    }

    async fn apply(&self, org_id: &str, changes: &WriteSet) -> Result<Vec<ActivityRecord>> {
        self.writer.apply(org_id, changes).await
    }
}

async fn insert_user(conn: &mut sqlx::PgConnection, user: &UserRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, type, first_name, last_name, email, phone, password_hash,
                created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&user.id)
    .bind(user.user_type.as_str())
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(&user.email)
    .bind(&user.phone)
    .bind(&user.password_hash)
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}
