//! When a key opens: the send form's schedule editor, filled with the key's schedule and
//! saved through `modifyKey` (which checks it, and its overlaps, as the API does).

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use latchkey_api_types::{Key, Lock};
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::editor::{self, Editor};
use super::layout::{self, Section, csrf, shell};
use super::locks::{back_to_lock, is_admin};
use super::{Portal, Posted};
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct KeyOfLock {
    lock: String,
}

/// The key `key_id` of the administered lock `lock_ref`.
async fn key_of(portal: &Portal, lock_ref: &str, key_id: &str) -> Result<(Lock, Key), ApiError> {
    let lock: Lock = portal.call("getLock", json!({"lockId": lock_ref})).await?;
    if !is_admin(&lock) {
        return Err(ApiError::forbidden(
            "Only administrators of this lock manage its keys.",
        ));
    }
    let keys: Vec<Key> = portal
        .call("getLockUsers", json!({"lockId": lock.object_id}))
        .await?;
    let key = keys
        .into_iter()
        .find(|k| k.object_id == key_id)
        .ok_or_else(ApiError::not_found)?;
    Ok((lock, key))
}

async fn render(
    portal: &Portal,
    lock_ref: &str,
    key_id: &str,
    edited: Option<Editor>,
    error: Option<&str>,
) -> Response {
    let (lock, key) = match key_of(portal, lock_ref, key_id).await {
        Ok(found) => found,
        Err(e) => return layout::error_page(portal, &e),
    };
    let tz = TimeZone::get(&lock.time_zone).unwrap_or(TimeZone::UTC);
    let now = Timestamp::from_millisecond(portal.now()).unwrap_or_else(|_| Timestamp::now());
    let editor = edited.unwrap_or_else(|| Editor::of_key(&key, &tz, now));
    let who = key
        .user
        .primary_email
        .clone()
        .or_else(|| key.user.primary_phone.clone())
        .unwrap_or_default();
    let body = html! {
        p { a href={ "/portal/locks/" (lock.object_id) } { "← " (lock.short_name) } }
        p { "The key of " strong { (who) } " to " (lock.short_name) ", in " (lock.time_zone) "." }
        form.stack method="post" action={ "/portal/keys/" (key.object_id) "/access" } {
            (csrf(portal))
            input type="hidden" name="lock" value=(lock.object_id);
            (editor.markup(&lock.object_id, error))
            div.preview #schedule-preview aria-live="polite" { (editor::preview(&editor, &lock.time_zone, now)) }
            button.primary type="submit" { "Save access" }
        }
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        shell(portal, Section::Locks, "When the key opens", &body),
    )
        .into_response()
}

/// `GET /portal/keys/{key}/access?lock=…`.
pub async fn page(
    portal: Portal,
    Path(key): Path<String>,
    Query(of): Query<KeyOfLock>,
) -> Response {
    render(&portal, &of.lock, &key, None, None).await
}

/// `POST /portal/keys/{key}/access`: `modifyKey` with the editor's schedules.
pub async fn save(Path(key): Path<String>, posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    let lock = fields.get("lock").to_owned();
    let editor = Editor::read(&fields);
    let schedules = match editor.schedules() {
        Ok(s) => s,
        Err(e) => return render(&portal, &lock, &key, Some(editor), Some(&e)).await,
    };
    let body = json!({"keyId": key, "schedules": schedules});
    match portal.call::<Key>("modifyKey", body).await {
        Ok(_) => back_to_lock(&fields, "modified"),
        Err(e) if e.message().starts_with("schedules") => {
            let message = layout::plain(&e);
            render(&portal, &lock, &key, Some(editor), Some(&message)).await
        }
        Err(e) => layout::error_page(&portal, &e),
    }
}
