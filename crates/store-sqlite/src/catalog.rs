//! Reads of locks, keys and groups, each one call on a reading connection.

use latchkey_store::Columns;
use latchkey_store::{
    ActivityCursor, ActivityFilter, ActivityRecord, GroupMemberRecord, GroupRecord, Holder,
    KeyFilter, KeyRecord, KeyRow, LockRecord, PortalOrganization, Result, sql,
};
use rusqlite::ToSql;
use rusqlite::types::Value;

use crate::SqliteStore;
use crate::reader::{all, first, only};
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
    pub(crate) fn find_lock(&self, org_id: &str, reference: &str) -> Result<LockRecord> {
        self.readers.point(|conn| {
            only(
                conn,
                "SELECT * FROM locks WHERE org_id = $1 AND (id = $2 OR lock_id = $2)
                     ORDER BY id = $2 DESC LIMIT 1",
                &[&org_id, &reference],
                |row| lock_from_row(row),
            )
        })
    }

    pub(crate) async fn list_locks(
        &self,
        org_id: &str,
        user_id: &str,
        all_locks: bool,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(LockRecord, Option<i64>)>> {
        let sql = if all_locks {
            "SELECT l.*, k.role AS caller_role FROM locks l
             LEFT JOIN keys k ON k.lock_id = l.id AND k.user_id = $2 AND k.status = 'ACTIVE'
             WHERE l.org_id = $1 AND l.id > $3 ORDER BY l.id LIMIT $4"
        } else {
            "SELECT l.*, k.role AS caller_role FROM locks l
             JOIN keys k ON k.lock_id = l.id AND k.user_id = $2 AND k.status = 'ACTIVE'
             WHERE l.org_id = $1 AND l.id > $3 ORDER BY l.id LIMIT $4"
        };
        let (org_id, user_id) = (org_id.to_owned(), user_id.to_owned());
        let after = after.unwrap_or_default().to_owned();
        self.readers
            .page(move |conn| {
                all(conn, sql, &[&org_id, &user_id, &after, &limit], |row| {
                    Ok((lock_from_row(row)?, row.opt_int("caller_role")?))
                })
            })
            .await
    }

    pub(crate) fn find_key(&self, org_id: &str, key_id: &str) -> Result<KeyRow> {
        self.readers.point(|conn| {
            let sql = format!("{KEY_ROW_SELECT} AND k.id = $3");
            only(conn, &sql, &[&org_id, &"", &key_id], |row| {
                key_row_from_row(row)
            })
        })
    }

    pub(crate) fn find_key_of(&self, lock_id: &str, holder: &Holder) -> Result<Option<KeyRecord>> {
        self.readers.point(|conn| match holder {
            Holder::User(user_id) => first(
                conn,
                "SELECT * FROM keys WHERE lock_id = $1 AND user_id = $2",
                &[&lock_id, user_id],
                |row| key_from_row(row),
            ),
            Holder::Owner => first(
                conn,
                "SELECT * FROM keys WHERE lock_id = $1 AND role = 2",
                &[&lock_id],
                |row| key_from_row(row),
            ),
            Holder::Invite { phone, email } => first(
                conn,
                "SELECT * FROM keys WHERE lock_id = $1 AND user_id IS NULL
                     AND (invite_phone = $2 OR invite_email = $3)
                     ORDER BY CASE WHEN invite_phone = $2 THEN 0 ELSE 1 END LIMIT 1",
                &[&lock_id, phone, email],
                |row| key_from_row(row),
            ),
        })
    }

    pub(crate) async fn list_keys(
        &self,
        org_id: &str,
        filter: &KeyFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<KeyRow>> {
        let (condition, first_value, second_value) = match filter {
            KeyFilter::Organization => ("", None, None),
            KeyFilter::Lock(lock_id) => (" AND k.lock_id = $4", Some(lock_id.clone()), None),
            KeyFilter::User {
                user_id,
                administered_by: None,
            } => (" AND k.user_id = $4", Some(user_id.clone()), None),
            KeyFilter::User {
                user_id,
                administered_by: Some(admin),
            } => (
                " AND k.user_id = $4 AND EXISTS (SELECT 1 FROM keys a WHERE a.lock_id = k.lock_id
                   AND a.user_id = $5 AND a.role >= 1 AND a.status = 'ACTIVE')",
                Some(user_id.clone()),
                Some(admin.clone()),
            ),
        };
        let org_id = org_id.to_owned();
        let after = after.unwrap_or_default().to_owned();
        self.readers
            .page(move |conn| {
                let sql = format!("{KEY_ROW_SELECT}{condition} ORDER BY k.id LIMIT $3");
                all(
                    conn,
                    &sql,
                    &[&org_id, &after, &limit, &first_value, &second_value],
                    |row| key_row_from_row(row),
                )
            })
            .await
    }

    pub(crate) async fn find_pending(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(Vec<KeyRecord>, Vec<GroupMemberRecord>)> {
        let (email, phone) = (email.map(str::to_owned), phone.map(str::to_owned));
        self.readers
            .page(move |conn| {
                let keys = all(
                    conn,
                    "SELECT * FROM keys WHERE user_id IS NULL
                     AND (invite_email = $1 OR invite_phone = $2) ORDER BY id",
                    &[&email, &phone],
                    |row| key_from_row(row),
                )?;
                let members = all(
                    conn,
                    "SELECT * FROM group_members WHERE user_id IS NULL
                     AND (invite_email = $1 OR invite_phone = $2) ORDER BY id",
                    &[&email, &phone],
                    |row| member_from_row(row),
                )?;
                Ok((keys, members))
            })
            .await
    }

    pub(crate) fn find_group(&self, org_id: &str, group_id: &str) -> Result<GroupRecord> {
        self.readers.point(|conn| {
            only(
                conn,
                "SELECT * FROM groups WHERE org_id = $1 AND id = $2",
                &[&org_id, &group_id],
                |row| group_from_row(row),
            )
        })
    }

    pub(crate) async fn list_groups(
        &self,
        org_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<GroupRecord>> {
        let org_id = org_id.to_owned();
        let after = after.unwrap_or_default().to_owned();
        self.readers
            .page(move |conn| {
                all(
                    conn,
                    "SELECT * FROM groups WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                    &[&org_id, &after, &limit],
                    |row| group_from_row(row),
                )
            })
            .await
    }

    pub(crate) async fn list_group_lock_ids(&self, group_id: &str) -> Result<Vec<String>> {
        let group_id = group_id.to_owned();
        self.readers
            .page(move |conn| {
                all(
                    conn,
                    "SELECT lock_id FROM group_locks WHERE group_id = $1 ORDER BY lock_id",
                    &[&group_id],
                    |row| row.text("lock_id"),
                )
            })
            .await
    }

    pub(crate) async fn list_group_members(
        &self,
        group_id: &str,
    ) -> Result<Vec<GroupMemberRecord>> {
        let group_id = group_id.to_owned();
        self.readers
            .page(move |conn| {
                all(
                    conn,
                    "SELECT * FROM group_members WHERE group_id = $1 ORDER BY id",
                    &[&group_id],
                    |row| member_from_row(row),
                )
            })
            .await
    }

    pub(crate) async fn list_activity(
        &self,
        org_id: &str,
        filter: &ActivityFilter,
        cursor: ActivityCursor,
        limit: i64,
    ) -> Result<Vec<ActivityRecord>> {
        let (sql, values) = activity_query(org_id, filter, cursor, limit);
        self.readers
            .page(move |conn| {
                let values: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
                all(conn, &sql, &values, |row| activity_from_row(row))
            })
            .await
    }

    pub(crate) async fn list_portal_organizations(
        &self,
        user_id: &str,
    ) -> Result<Vec<PortalOrganization>> {
        let user_id = user_id.to_owned();
        self.readers
            .page(move |conn| {
                all(conn, sql::PORTAL_ORGANIZATIONS, &[&user_id], |row| {
                    portal_organization_from_row(row)
                })
            })
            .await
    }

    pub(crate) async fn list_organization_ids(&self) -> Result<Vec<String>> {
        self.readers
            .page(|conn| {
                all(
                    conn,
                    "SELECT id FROM organizations ORDER BY id",
                    &[],
                    |row| row.text("id"),
                )
            })
            .await
    }
}

/// The SQL of an activity page and its values, `$1` onwards in order.
fn activity_query(
    org_id: &str,
    filter: &ActivityFilter,
    cursor: ActivityCursor,
    limit: i64,
) -> (String, Vec<Value>) {
    let mut values = Vec::new();
    let mut bind = |value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    let mut clauses = vec![format!("org_id = {}", bind(org_id.to_owned().into()))];
    if let Some(lock_id) = &filter.lock_id {
        clauses.push(format!("lock_id = {}", bind(lock_id.clone().into())));
    }
    if let Some(user_id) = &filter.user_id {
        let n = bind(user_id.clone().into());
        clauses.push(format!("(initiator_id = {n} OR target_user_id = {n})"));
    }
    if !filter.types.is_empty() {
        let list: Vec<String> = filter
            .types
            .iter()
            .map(|t| bind(t.clone().into()))
            .collect();
        clauses.push(format!("type IN ({})", list.join(", ")));
    }
    if let Some(from) = filter.from {
        clauses.push(format!("at >= {}", bind(from.into())));
    }
    if let Some(to) = filter.to {
        clauses.push(format!("at < {}", bind(to.into())));
    }
    if let Some(viewer) = &filter.visible_to {
        let n = bind(viewer.clone().into());
        clauses.push(format!(
            "(initiator_id = {n} OR lock_id IN (SELECT lock_id FROM keys
              WHERE status = 'ACTIVE' AND role >= 1 AND user_id = {n}))"
        ));
    }
    let order = match cursor {
        ActivityCursor::Before(before) => {
            if let Some(before) = before {
                clauses.push(format!("seq < {}", bind(before.into())));
            }
            "seq DESC"
        }
        ActivityCursor::After(after) => {
            clauses.push(format!("seq > {}", bind(after.into())));
            "seq"
        }
    };
    let limit = bind(limit.into());
    let sql = format!(
        "SELECT seq, at, type, lock_id, entry, hash FROM activity a WHERE {}
         ORDER BY {order} LIMIT {limit}",
        clauses.join(" AND ")
    );
    (sql, values)
}
