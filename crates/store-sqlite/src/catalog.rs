//! Reads of locks, keys and groups (the SQL is `latchkey_store::reads`, shared with
//! PostgreSQL).

use latchkey_store::reads::{self, Value};
use latchkey_store::{
    ActivityCursor, ActivityFilter, ActivityRecord, Columns, GroupMemberRecord, GroupRecord,
    Holder, KeyFilter, KeyRecord, KeyRow, LockRecord, PortalOrganization, Result, sql,
};
use rusqlite::ToSql;
use rusqlite::types::ToSqlOutput;

use crate::SqliteStore;
use crate::reader::{all, first, only};
use latchkey_store::rows::{
    activity_from_row, group_from_row, key_from_row, key_row_from_row, lock_from_row,
    member_from_row, portal_organization_from_row,
};

impl SqliteStore {
    pub(crate) fn find_lock(&self, org_id: &str, reference: &str) -> Result<LockRecord> {
        self.readers.point(|conn| {
            only(conn, reads::LOCK, &[&org_id, &reference], |row| {
                lock_from_row(row)
            })
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
        let (org_id, user_id) = (org_id.to_owned(), user_id.to_owned());
        let after = after.unwrap_or_default().to_owned();
        self.readers
            .page(move |conn| {
                let values: [&dyn ToSql; 4] = [&org_id, &user_id, &after, &limit];
                all(conn, reads::locks_page(all_locks), &values, |row| {
                    Ok((lock_from_row(row)?, row.opt_int("caller_role")?))
                })
            })
            .await
    }

    pub(crate) fn find_key(&self, org_id: &str, key_id: &str) -> Result<KeyRow> {
        self.readers.point(|conn| {
            only(conn, reads::KEY_ROW, &[&org_id, &"", &key_id], |row| {
                key_row_from_row(row)
            })
        })
    }

    pub(crate) fn find_key_of(&self, lock_id: &str, holder: &Holder) -> Result<Option<KeyRecord>> {
        let (sql, values): (&str, Vec<&dyn ToSql>) = match holder {
            Holder::User(user_id) => (reads::KEY_OF_USER, vec![&lock_id, user_id]),
            Holder::Owner => (reads::KEY_OF_OWNER, vec![&lock_id]),
            Holder::Invite { phone, email } => (reads::KEY_OF_INVITE, vec![&lock_id, phone, email]),
        };
        self.readers
            .point(|conn| first(conn, sql, &values, |row| key_from_row(row)))
    }

    pub(crate) async fn list_keys(
        &self,
        org_id: &str,
        filter: &KeyFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<KeyRow>> {
        let (sql, first_value, second_value) = reads::keys_page(filter);
        let (first_value, second_value) = (
            first_value.map(str::to_owned),
            second_value.map(str::to_owned),
        );
        let org_id = org_id.to_owned();
        let after = after.unwrap_or_default().to_owned();
        self.readers
            .page(move |conn| {
                let values: [&dyn ToSql; 5] =
                    [&org_id, &after, &limit, &first_value, &second_value];
                all(conn, sql, &values, |row| key_row_from_row(row))
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
                let values: [&dyn ToSql; 2] = [&email, &phone];
                let keys = all(conn, reads::PENDING_KEYS, &values, |row| key_from_row(row))?;
                let members = all(conn, reads::PENDING_MEMBERS, &values, |row| {
                    member_from_row(row)
                })?;
                Ok((keys, members))
            })
            .await
    }

    pub(crate) fn find_group(&self, org_id: &str, group_id: &str) -> Result<GroupRecord> {
        self.readers.point(|conn| {
            only(conn, reads::GROUP, &[&org_id, &group_id], |row| {
                group_from_row(row)
            })
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
                    reads::GROUPS_PAGE,
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
                all(conn, reads::GROUP_LOCK_IDS, &[&group_id], |row| {
                    row.text("lock_id")
                })
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
                all(conn, reads::GROUP_MEMBERS, &[&group_id], |row| {
                    member_from_row(row)
                })
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
        let (sql, values) = reads::activity_page(org_id, filter, cursor, limit);
        self.readers
            .page(move |conn| {
                let values: Vec<Bound> = values.into_iter().map(Bound).collect();
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
            .page(|conn| all(conn, reads::ORGANIZATION_IDS, &[], |row| row.text("id")))
            .await
    }
}

/// A value of a shared statement, bound by rusqlite.
struct Bound(Value);

impl ToSql for Bound {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match &self.0 {
            Value::Text(text) => text.to_sql(),
            Value::Int(int) => int.to_sql(),
        }
    }
}
