//! The SQL of the API's reads, which both stores run unchanged (numbered `$n` parameters
//! work in both), and the choice of statement and values for the reads with filters. Each
//! store only binds and maps the rows (`crate::rows`).

use crate::{ActivityCursor, ActivityFilter, KeyFilter, UserLookup};

/// Binds: org_id, reference (objectId or lockId; the objectId wins).
pub const LOCK: &str = "SELECT * FROM locks WHERE org_id = $1 AND (id = $2 OR lock_id = $2)
    ORDER BY id = $2 DESC LIMIT 1";

/// The locks of a page with the caller's role on each: every lock of the organization
/// (`all`) or only those the caller holds an active key to.
/// Binds: org_id, user_id, after, limit.
pub fn locks_page(all: bool) -> &'static str {
    if all {
        "SELECT l.*, k.role AS caller_role FROM locks l
         LEFT JOIN keys k ON k.lock_id = l.id AND k.user_id = $2 AND k.status = 'ACTIVE'
         WHERE l.org_id = $1 AND l.id > $3 ORDER BY l.id LIMIT $4"
    } else {
        "SELECT l.*, k.role AS caller_role FROM locks l
         JOIN keys k ON k.lock_id = l.id AND k.user_id = $2 AND k.status = 'ACTIVE'
         WHERE l.org_id = $1 AND l.id > $3 ORDER BY l.id LIMIT $4"
    }
}

/// Keys joined with their lock and holder, of organization `$1` with `id` above `$2`.
macro_rules! key_rows {
    () => {
        "SELECT k.*, l.lock_id AS l_lock_id, l.short_name AS l_short_name,
            l.time_zone AS l_time_zone, u.id AS u_id, u.type AS u_type,
            u.first_name AS u_first_name, u.last_name AS u_last_name, u.email AS u_email,
            u.phone AS u_phone, u.created_at AS u_created_at, u.updated_at AS u_updated_at
        FROM keys k JOIN locks l ON l.id = k.lock_id LEFT JOIN users u ON u.id = k.user_id
        WHERE k.org_id = $1 AND k.id > $2"
    };
}

/// Binds: org_id, "" (no paging), key id.
pub const KEY_ROW: &str = concat!(key_rows!(), " AND k.id = $3");

/// A page of keys with their lock and holder, and the filter's values for `$4` and `$5`.
/// Binds: org_id, after, limit, the two values (`None` where unused).
pub fn keys_page(filter: &KeyFilter) -> (&'static str, Option<&str>, Option<&str>) {
    match filter {
        KeyFilter::Organization => (concat!(key_rows!(), " ORDER BY k.id LIMIT $3"), None, None),
        KeyFilter::Lock(lock_id) => (
            concat!(key_rows!(), " AND k.lock_id = $4 ORDER BY k.id LIMIT $3"),
            Some(lock_id),
            None,
        ),
        KeyFilter::User {
            user_id,
            administered_by: None,
        } => (
            concat!(key_rows!(), " AND k.user_id = $4 ORDER BY k.id LIMIT $3"),
            Some(user_id),
            None,
        ),
        KeyFilter::User {
            user_id,
            administered_by: Some(admin),
        } => (
            concat!(
                key_rows!(),
                " AND k.user_id = $4 AND EXISTS (SELECT 1 FROM keys a WHERE a.lock_id = k.lock_id
                   AND a.user_id = $5 AND a.role >= 1 AND a.status = 'ACTIVE')
                 ORDER BY k.id LIMIT $3"
            ),
            Some(user_id),
            Some(admin),
        ),
    }
}

/// Binds: lock objectId, user_id.
pub const KEY_OF_USER: &str = "SELECT * FROM keys WHERE lock_id = $1 AND user_id = $2";
/// Binds: lock objectId.
pub const KEY_OF_OWNER: &str = "SELECT * FROM keys WHERE lock_id = $1 AND role = 2";
/// Binds: lock objectId, phone, email. A pending key; the phone's wins.
pub const KEY_OF_INVITE: &str = "SELECT * FROM keys WHERE lock_id = $1 AND user_id IS NULL
    AND (invite_phone = $2 OR invite_email = $3)
    ORDER BY CASE WHEN invite_phone = $2 THEN 0 ELSE 1 END LIMIT 1";

/// Binds: email, phone. Keys and group memberships waiting for this person.
pub const PENDING_KEYS: &str = "SELECT * FROM keys WHERE user_id IS NULL
    AND (invite_email = $1 OR invite_phone = $2) ORDER BY id";
pub const PENDING_MEMBERS: &str = "SELECT * FROM group_members WHERE user_id IS NULL
    AND (invite_email = $1 OR invite_phone = $2) ORDER BY id";

/// Binds: org_id, group id.
pub const GROUP: &str = "SELECT * FROM groups WHERE org_id = $1 AND id = $2";
/// Binds: org_id, after, limit.
pub const GROUPS_PAGE: &str =
    "SELECT * FROM groups WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3";
/// Binds: group id.
pub const GROUP_LOCK_IDS: &str =
    "SELECT lock_id FROM group_locks WHERE group_id = $1 ORDER BY lock_id";
/// Binds: group id.
pub const GROUP_MEMBERS: &str = "SELECT * FROM group_members WHERE group_id = $1 ORDER BY id";

pub const ORGANIZATION_IDS: &str = "SELECT id FROM organizations ORDER BY id";
/// Binds: org id.
pub const ORGANIZATION: &str = "SELECT id, name, created_at FROM organizations WHERE id = $1";
/// Binds: org id. The virtual user of the organization's oldest API key.
pub const VIRTUAL_USER_OF: &str = "SELECT virtual_user_id FROM api_keys WHERE org_id = $1
    ORDER BY created_at, api_key LIMIT 1";
/// Binds: api key.
pub const API_KEY: &str = "SELECT api_key, org_id, virtual_user_id, secret_hash,
    previous_secret_hash, previous_valid_until, revoked_at, created_at
    FROM api_keys WHERE api_key = $1";
/// Binds: token hash.
pub const SESSION: &str = "SELECT token_hash, user_id, org_id, created_at, last_used_at
    FROM sessions WHERE token_hash = $1";

macro_rules! user_columns {
    () => {
        "SELECT id, type, first_name, last_name, email, phone, password_hash,
            created_at, updated_at FROM users WHERE "
    };
}

/// The statement finding a user, and the value it binds.
pub fn user(by: UserLookup<'_>) -> (&'static str, &str) {
    match by {
        UserLookup::Id(id) => (concat!(user_columns!(), "id = $1"), id),
        UserLookup::Email(email) => (concat!(user_columns!(), "email = $1"), email),
        UserLookup::Phone(phone) => (concat!(user_columns!(), "phone = $1"), phone),
    }
}

/// Binds: org_id, client requestId.
pub const UNLOCK_BY_CLIENT_ID: &str =
    "SELECT * FROM unlock_requests WHERE org_id = $1 AND client_request_id = $2";
/// Binds: org_id, requestId.
pub const UNLOCK: &str = "SELECT * FROM unlock_requests WHERE org_id = $1 AND id = $2";

/// A value of an activity page's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Int(i64),
}

/// The statement of an activity page and its values, for `$1` onwards in order.
pub fn activity_page(
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
    let text = |s: &str| Value::Text(s.to_owned());
    let mut clauses = vec![format!("org_id = {}", bind(text(org_id)))];
    if let Some(lock_id) = &filter.lock_id {
        clauses.push(format!("lock_id = {}", bind(text(lock_id))));
    }
    if let Some(user_id) = &filter.user_id {
        let n = bind(text(user_id));
        clauses.push(format!("(initiator_id = {n} OR target_user_id = {n})"));
    }
    if !filter.types.is_empty() {
        let list: Vec<String> = filter.types.iter().map(|t| bind(text(t))).collect();
        clauses.push(format!("type IN ({})", list.join(", ")));
    }
    if let Some(from) = filter.from {
        clauses.push(format!("at >= {}", bind(Value::Int(from))));
    }
    if let Some(to) = filter.to {
        clauses.push(format!("at < {}", bind(Value::Int(to))));
    }
    if let Some(viewer) = &filter.visible_to {
        let n = bind(text(viewer));
        clauses.push(format!(
            "(initiator_id = {n} OR lock_id IN (SELECT lock_id FROM keys
              WHERE status = 'ACTIVE' AND role >= 1 AND user_id = {n}))"
        ));
    }
    let order = match cursor {
        ActivityCursor::Before(before) => {
            if let Some(before) = before {
                clauses.push(format!("seq < {}", bind(Value::Int(before))));
            }
            "seq DESC"
        }
        ActivityCursor::After(after) => {
            clauses.push(format!("seq > {}", bind(Value::Int(after))));
            "seq"
        }
    };
    let limit = bind(Value::Int(limit));
    let sql = format!(
        "SELECT seq, at, type, lock_id, entry, hash FROM activity a WHERE {}
         ORDER BY {order} LIMIT {limit}",
        clauses.join(" AND ")
    );
    (sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_page_numbers_its_values_in_order_and_reuses_a_repeated_one() {
        let filter = ActivityFilter {
            lock_id: Some("L".into()),
            user_id: Some("U".into()),
            types: vec!["UNLOCK".into(), "LOCK".into()],
            from: Some(5),
            to: None,
            visible_to: None,
        };
        let (sql, values) = activity_page("O", &filter, ActivityCursor::Before(Some(9)), 50);
        assert!(sql.contains("org_id = $1 AND lock_id = $2"), "{sql}");
        assert!(
            sql.contains("(initiator_id = $3 OR target_user_id = $3)"),
            "{sql}"
        );
        assert!(
            sql.contains("type IN ($4, $5) AND at >= $6 AND seq < $7"),
            "{sql}"
        );
        assert!(sql.contains("ORDER BY seq DESC LIMIT $8"), "{sql}");
        let text = |s: &str| Value::Text(s.into());
        assert_eq!(
            values,
            [
                text("O"),
                text("L"),
                text("U"),
                text("UNLOCK"),
                text("LOCK"),
                Value::Int(5),
                Value::Int(9),
                Value::Int(50)
            ]
        );
    }
}
