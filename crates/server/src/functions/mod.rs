//! The handlers of the API's functions, one file per area. Each handler's doc comment
//! names the function and what it changes.

pub mod activity;
pub mod explain;
pub mod groups;
pub mod keys;
pub mod lockdown;
pub mod locks;
pub mod notify;
pub mod organization;
pub mod session;
pub mod unlock;
pub mod webhooks;

use latchkey_api_types::ErrorCode;
use latchkey_core::contact::{self, ContactError};
use latchkey_core::ids::is_object_id;
use latchkey_store::{LockRecord, UserLookup, UserRecord};

use crate::error::ApiError;
use crate::router::Ctx;

/// Longest accepted name (first, last, lock names).
const MAX_NAME_CHARS: usize = 100;

/// A required value, or 142 naming the field.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::missing(field))
}

/// A person's or a thing's name: trimmed, not empty, at most 100 characters.
pub fn name(value: &str, field: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid(field, "may not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid(
            field,
            format!("may have at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

pub fn email(value: &str, field: &str) -> Result<String, ApiError> {
    contact::normalize_email(value).map_err(|e| contact_error(field, &e))
}

pub fn phone(value: &str, field: &str) -> Result<String, ApiError> {
    contact::normalize_phone(value).map_err(|e| contact_error(field, &e))
}

fn contact_error(field: &str, e: &ContactError) -> ApiError {
    ApiError::invalid(field, e)
}

/// Default and largest page of a list function.
const DEFAULT_LIMIT: i64 = 1000;
const MAX_LIMIT: i64 = 10_000;

/// Checks `limit` (1 to 10000, default 1000) and `after` (an objectId); 102 otherwise.
pub fn page(limit: Option<i64>, after: Option<&str>) -> Result<(Option<&str>, i64), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            format!("limit must be between 1 and {MAX_LIMIT}."),
        ));
    }
    if let Some(after) = after.filter(|a| !is_object_id(a)) {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            format!("after must be an objectId from the previous page, not {after:?}."),
        ));
    }
    Ok((after, limit))
}

/// The lock references of `lockId` and `lockIds`, without repeats; 142 when there is none.
pub fn lock_refs(
    lock_id: Option<&String>,
    lock_ids: Option<&Vec<String>>,
) -> Result<Vec<String>, ApiError> {
    let mut refs: Vec<String> = Vec::new();
    for r in lock_id.into_iter().chain(lock_ids.into_iter().flatten()) {
        let r = r.trim().to_owned();
        if r.is_empty() {
            return Err(ApiError::invalid("lockId", "may not be empty"));
        }
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    if refs.is_empty() {
        return Err(ApiError::missing("lockId or lockIds"));
    }
    Ok(refs)
}

/// The locks of the caller's organization with these references (objectId or device
/// lockId); 101 for any that does not exist there.
pub async fn find_locks(
    ctx: &Ctx,
    org_id: &str,
    refs: &[String],
) -> Result<Vec<LockRecord>, ApiError> {
    let mut locks = Vec::with_capacity(refs.len());
    for r in refs {
        let lock = ctx.state.store.lock(org_id, r).await?;
        if !locks.iter().any(|l: &LockRecord| l.id == lock.id) {
            locks.push(lock);
        }
    }
    Ok(locks)
}

/// A person named in a request: a phone, an email, or both (the phone wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Person {
    /// How errors name this person.
    pub fn label(&self) -> &str {
        self.phone
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or("?")
    }
}

/// The people of `phone`+`email` (one person) and of each entry of `phones` and
/// `emails`, normalized and without repeats; 142 when there is none.
pub fn people(
    phone: Option<&String>,
    email: Option<&String>,
    phones: Option<&Vec<String>>,
    emails: Option<&Vec<String>>,
) -> Result<Vec<Person>, ApiError> {
    let mut people = Vec::new();
    let mut add = |person: Person| {
        if !people.contains(&person) {
            people.push(person);
        }
    };
    if phone.is_some() || email.is_some() {
        add(Person {
            phone: phone.map(|p| self::phone(p, "phone")).transpose()?,
            email: email.map(|e| self::email(e, "email")).transpose()?,
        });
    }
    for (i, p) in phones.into_iter().flatten().enumerate() {
        add(Person {
            phone: Some(self::phone(p, &format!("phones[{i}]"))?),
            email: None,
        });
    }
    for (i, e) in emails.into_iter().flatten().enumerate() {
        add(Person {
            phone: None,
            email: Some(self::email(e, &format!("emails[{i}]"))?),
        });
    }
    if people.is_empty() {
        return Err(ApiError::missing("phone or email"));
    }
    Ok(people)
}

/// The user a person names: the phone's user if there is one (the phone wins), else the
/// email's.
pub async fn find_user(ctx: &Ctx, person: &Person) -> Result<Option<UserRecord>, ApiError> {
    let store = &ctx.state.store;
    for lookup in [
        person.phone.as_deref().map(UserLookup::Phone),
        person.email.as_deref().map(UserLookup::Email),
    ]
    .into_iter()
    .flatten()
    {
        match store.user(lookup).await {
            Ok(user) => return Ok(Some(user)),
            Err(latchkey_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// Reads an optional UTC instant field.
pub fn instant(value: Option<&str>, field: &str) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            latchkey_core::time::parse_millis(v).ok_or_else(|| {
                ApiError::invalid(
                    field,
                    "must be an ISO-8601 time like 2027-03-01T09:00:00.000Z",
                )
            })
        })
        .transpose()
}
