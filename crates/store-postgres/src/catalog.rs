//! Reads of locks, keys and groups (the SQL is `latchkey_store::reads`, shared with
//! SQLite).

use latchkey_store::reads::{self, Value};
use latchkey_store::{
    ActivityCursor, ActivityFilter, ActivityRecord, GroupMemberRecord, GroupRecord, Holder,
    KeyFilter, KeyRecord, KeyRow, LockRecord, PortalOrganization, Result, sql,
};
use sqlx::Row;

use crate::{PostgresStore, db};
use latchkey_store::rows::{
    activity_from_row, group_from_row, key_from_row, key_row_from_row, lock_from_row,
    member_from_row, portal_organization_from_row,
};

impl PostgresStore {
    pub(crate) async fn find_lock(&self, org_id: &str, reference: &str) -> Result<LockRecord> {
        let row = sqlx::query(reads::LOCK)
            .bind(org_id)
            .bind(reference)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        lock_from_row(&row)
    }

    pub(crate) async fn list_locks(
        &self,
        org_id: &str,
        user_id: &str,
        all: bool,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(LockRecord, Option<i64>)>> {
        let sql = reads::locks_page(all);
        let rows = sqlx::query(sql)
            .bind(org_id)
            .bind(user_id)
            .bind(after.unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| Ok((lock_from_row(row)?, row.try_get("caller_role").map_err(db)?)))
            .collect()
    }

    pub(crate) async fn find_key(&self, org_id: &str, key_id: &str) -> Result<KeyRow> {
        let row = sqlx::query(reads::KEY_ROW)
            .bind(org_id)
            .bind("")
            .bind(key_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        key_row_from_row(&row)
    }

    pub(crate) async fn find_key_of(
        &self,
        lock_id: &str,
        holder: &Holder,
    ) -> Result<Option<KeyRecord>> {
        let row = match holder {
            Holder::User(user_id) => {
                sqlx::query(reads::KEY_OF_USER)
                    .bind(lock_id)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
            }
            Holder::Owner => {
                sqlx::query(reads::KEY_OF_OWNER)
                    .bind(lock_id)
                    .fetch_optional(&self.pool)
                    .await
            }
            Holder::Invite { phone, email } => {
                sqlx::query(reads::KEY_OF_INVITE)
                    .bind(lock_id)
                    .bind(phone)
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await
            }
        }
        .map_err(db)?;
        row.as_ref().map(key_from_row).transpose()
    }

    pub(crate) async fn list_keys(
        &self,
        org_id: &str,
        filter: &KeyFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<KeyRow>> {
        let (sql, first, second) = reads::keys_page(filter);
        let mut query = sqlx::query(sql)
            .bind(org_id)
            .bind(after.unwrap_or_default())
            .bind(limit);
        if let Some(value) = first {
            query = query.bind(value);
        }
        if let Some(value) = second {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(key_row_from_row).collect()
    }

    pub(crate) async fn find_pending(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(Vec<KeyRecord>, Vec<GroupMemberRecord>)> {
        let keys = sqlx::query(reads::PENDING_KEYS)
            .bind(email)
            .bind(phone)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let members = sqlx::query(reads::PENDING_MEMBERS)
            .bind(email)
            .bind(phone)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok((
            keys.iter().map(key_from_row).collect::<Result<_>>()?,
            members.iter().map(member_from_row).collect::<Result<_>>()?,
        ))
    }

    pub(crate) async fn find_group(&self, org_id: &str, group_id: &str) -> Result<GroupRecord> {
        let row = sqlx::query(reads::GROUP)
            .bind(org_id)
            .bind(group_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        group_from_row(&row)
    }

    pub(crate) async fn list_groups(
        &self,
        org_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<GroupRecord>> {
        let rows = sqlx::query(reads::GROUPS_PAGE)
            .bind(org_id)
            .bind(after.unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(group_from_row).collect()
    }

    pub(crate) async fn list_group_lock_ids(&self, group_id: &str) -> Result<Vec<String>> {
        sqlx::query_scalar(reads::GROUP_LOCK_IDS)
            .bind(group_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }

    pub(crate) async fn list_group_members(
        &self,
        group_id: &str,
    ) -> Result<Vec<GroupMemberRecord>> {
        let rows = sqlx::query(reads::GROUP_MEMBERS)
            .bind(group_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(member_from_row).collect()
    }

    pub(crate) async fn list_activity(
        &self,
        org_id: &str,
        filter: &ActivityFilter,
        cursor: ActivityCursor,
        limit: i64,
    ) -> Result<Vec<ActivityRecord>> {
        let (sql, values) = reads::activity_page(org_id, filter, cursor, limit);
        let mut query = sqlx::query(&sql);
        for value in values {
            query = match value {
                Value::Text(text) => query.bind(text),
                Value::Int(int) => query.bind(int),
            };
        }
        let rows = query.fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(activity_from_row).collect()
    }

    pub(crate) async fn list_portal_organizations(
        &self,
        user_id: &str,
    ) -> Result<Vec<PortalOrganization>> {
        let rows = sqlx::query(sql::PORTAL_ORGANIZATIONS)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(portal_organization_from_row).collect()
    }

    pub(crate) async fn list_organization_ids(&self) -> Result<Vec<String>> {
        sqlx::query_scalar(reads::ORGANIZATION_IDS)
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }
}
