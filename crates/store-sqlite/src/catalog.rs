//! Reads of locks, keys and groups.

use latchkey_store::{
    ActivityCursor, ActivityFilter, ActivityRecord, GroupMemberRecord, GroupRecord, Holder,
    KeyFilter, KeyRecord, KeyRow, LockRecord, PortalOrganization, Result, sql,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{SqliteStore, db};
use latchkey_store::rows::{
    activity_from_row, group_from_row, key_from_row, key_row_from_row, lock_from_row,
    member_from_row, portal_organization_from_row,
};

/// Keys joined with their lock and holder; filters and paging are appended.
const KEY_ROW_SELECT: &str = "SELECT k.*, l.lock_id AS l_lock_id, l.short_name AS l_short_name,
        l.time_zone AS l_time_zone, u.id AS u_id, u.type AS u_type,
        u.first_name AS u_first_name, u.last_name AS u_last_name, u.email AS u_email,
        u.phone AS u_phone, u.created_at AS u_created_at, u.updated_at AS u_updated_at
    FROM keys k JOIN locks l ON l.id = k.lock_id LEFT JOIN users u ON u.id = k.user_id
    WHERE k.org_id = $1 AND k.id > $2";

impl SqliteStore {
    pub(crate) async fn find_lock(&self, org_id: &str, reference: &str) -> Result<LockRecord> {
        let row = sqlx::query(
            "SELECT * FROM locks WHERE org_id = $1 AND (id = $2 OR lock_id = $2)
             ORDER BY id = $2 DESC LIMIT 1",
        )
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
        let sql = if all {
            "SELECT l.*, k.role AS caller_role FROM locks l
             LEFT JOIN keys k ON k.lock_id = l.id AND k.user_id = $2 AND k.status = 'ACTIVE'
             WHERE l.org_id = $1 AND l.id > $3 ORDER BY l.id LIMIT $4"
        } else {
            "SELECT l.*, k.role AS caller_role FROM locks l
             JOIN keys k ON k.lock_id = l.id AND k.user_id = $2 AND k.status = 'ACTIVE'
             WHERE l.org_id = $1 AND l.id > $3 ORDER BY l.id LIMIT $4"
        };
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
        let sql = format!("{KEY_ROW_SELECT} AND k.id = $3");
        let row = sqlx::query(&sql)
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
                sqlx::query("SELECT * FROM keys WHERE lock_id = $1 AND user_id = $2")
                    .bind(lock_id)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
            }
            Holder::Owner => {
                sqlx::query("SELECT * FROM keys WHERE lock_id = $1 AND role = 2")
                    .bind(lock_id)
                    .fetch_optional(&self.pool)
                    .await
            }
            Holder::Invite { phone, email } => {
                sqlx::query(
                    "SELECT * FROM keys WHERE lock_id = $1 AND user_id IS NULL
                     AND (invite_phone = $2 OR invite_email = $3)
                     ORDER BY CASE WHEN invite_phone = $2 THEN 0 ELSE 1 END LIMIT 1",
                )
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
        let (condition, first, second) = match filter {
            KeyFilter::Organization => ("", None, None),
            KeyFilter::Lock(lock_id) => (" AND k.lock_id = $4", Some(lock_id.as_str()), None),
            KeyFilter::User {
                user_id,
                administered_by: None,
            } => (" AND k.user_id = $4", Some(user_id.as_str()), None),
            KeyFilter::User {
                user_id,
                administered_by: Some(admin),
            } => (
                " AND k.user_id = $4 AND EXISTS (SELECT 1 FROM keys a WHERE a.lock_id = k.lock_id
                   AND a.user_id = $5 AND a.role >= 1 AND a.status = 'ACTIVE')",
                Some(user_id.as_str()),
                Some(admin.as_str()),
            ),
        };
        let sql = format!("{KEY_ROW_SELECT}{condition} ORDER BY k.id LIMIT $3");
        let mut query = sqlx::query(&sql)
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
        let keys = sqlx::query(
            "SELECT * FROM keys WHERE user_id IS NULL AND (invite_email = $1 OR invite_phone = $2)
             ORDER BY id",
        )
        .bind(email)
        .bind(phone)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let members = sqlx::query(
            "SELECT * FROM group_members WHERE user_id IS NULL
             AND (invite_email = $1 OR invite_phone = $2) ORDER BY id",
        )
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
        let row = sqlx::query("SELECT * FROM groups WHERE org_id = $1 AND id = $2")
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
        let rows =
            sqlx::query("SELECT * FROM groups WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(org_id)
                .bind(after.unwrap_or_default())
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(group_from_row).collect()
    }

    pub(crate) async fn list_group_lock_ids(&self, group_id: &str) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT lock_id FROM group_locks WHERE group_id = $1 ORDER BY lock_id")
            .bind(group_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }

    pub(crate) async fn list_group_members(
        &self,
        group_id: &str,
    ) -> Result<Vec<GroupMemberRecord>> {
        let rows = sqlx::query("SELECT * FROM group_members WHERE group_id = $1 ORDER BY id")
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
        let mut sql = QueryBuilder::<Sqlite>::new(
            "SELECT seq, at, type, lock_id, entry, hash FROM activity a WHERE org_id = ",
        );
        sql.push_bind(org_id);
        if let Some(lock_id) = &filter.lock_id {
            sql.push(" AND lock_id = ").push_bind(lock_id);
        }
        if let Some(user_id) = &filter.user_id {
            sql.push(" AND (initiator_id = ").push_bind(user_id);
            sql.push(" OR target_user_id = ")
                .push_bind(user_id)
                .push(")");
        }
        if !filter.types.is_empty() {
            sql.push(" AND type IN (");
            let mut list = sql.separated(", ");
            for t in &filter.types {
                list.push_bind(t);
            }
            sql.push(")");
        }
        if let Some(from) = filter.from {
            sql.push(" AND at >= ").push_bind(from);
        }
        if let Some(to) = filter.to {
            sql.push(" AND at < ").push_bind(to);
        }
        if let Some(viewer) = &filter.visible_to {
            sql.push(" AND (initiator_id = ").push_bind(viewer);
            sql.push(
                " OR lock_id IN (SELECT lock_id FROM keys WHERE status = 'ACTIVE' AND role >= 1
                 AND user_id = ",
            );
            sql.push_bind(viewer).push("))");
        }
        match cursor {
            ActivityCursor::Before(before) => {
                if let Some(before) = before {
                    sql.push(" AND seq < ").push_bind(before);
                }
                sql.push(" ORDER BY seq DESC LIMIT ");
            }
            ActivityCursor::After(after) => {
                sql.push(" AND seq > ")
                    .push_bind(after)
                    .push(" ORDER BY seq LIMIT ");
            }
        }
        sql.push_bind(limit);
        let rows = sql.build().fetch_all(&self.pool).await.map_err(db)?;
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
        sqlx::query_scalar("SELECT id FROM organizations ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }
}
