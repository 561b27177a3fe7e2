//! Rows to records.

use latchkey_core::secret::Digest32;
use latchkey_store::{
    ApiKeyRecord, Organization, Result, SessionRecord, StoreError, UserRecord, UserType,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::db;

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("corrupt row: {what}").into())
}

fn digest(bytes: Vec<u8>) -> Result<Digest32> {
    bytes.try_into().map_err(|_| corrupt("digest length"))
}

pub(crate) fn organization_from_row(row: &SqliteRow) -> Result<Organization> {
    Ok(Organization {
        id: row.try_get("id").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) fn api_key_from_row(row: &SqliteRow) -> Result<ApiKeyRecord> {
    let previous: Option<Vec<u8>> = row.try_get("previous_secret_hash").map_err(db)?;
    Ok(ApiKeyRecord {
        api_key: row.try_get("api_key").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        virtual_user_id: row.try_get("virtual_user_id").map_err(db)?,
        secret_hash: digest(row.try_get("secret_hash").map_err(db)?)?,
        previous_secret_hash: previous.map(digest).transpose()?,
        previous_valid_until: row.try_get("previous_valid_until").map_err(db)?,
        revoked_at: row.try_get("revoked_at").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
    })
}

pub(crate) fn user_from_row(row: &SqliteRow) -> Result<UserRecord> {
    let user_type: String = row.try_get("type").map_err(db)?;
    Ok(UserRecord {
        id: row.try_get("id").map_err(db)?,
        user_type: UserType::parse(&user_type).ok_or_else(|| corrupt("user type"))?,
        first_name: row.try_get("first_name").map_err(db)?,
        last_name: row.try_get("last_name").map_err(db)?,
        email: row.try_get("email").map_err(db)?,
        phone: row.try_get("phone").map_err(db)?,
        password_hash: row.try_get("password_hash").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
    })
}

pub(crate) fn session_from_row(row: &SqliteRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        token_hash: digest(row.try_get("token_hash").map_err(db)?)?,
        user_id: row.try_get("user_id").map_err(db)?,
        org_id: row.try_get("org_id").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        last_used_at: row.try_get("last_used_at").map_err(db)?,
    })
}
