//! The locks a person administers, one lock's keys, sending and changing keys, the
//! lockdown switch and the unlock button with its live status steps.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use latchkey_api_types::{ActivityEntry, Key, Lock, UnlockRequest};
use latchkey_core::status;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::editor::{self, Editor};
use super::layout::{self, FormError, Section, csrf, field, notice, shell, text_input, time_in};
use super::{Fields, Portal, Posted};
use crate::error::ApiError;

/// Locks shown on the first page.
const LOCKS_SHOWN: i64 = 200;

pub(super) fn is_admin(lock: &Lock) -> bool {
    matches!(lock.role.as_deref(), Some("ADMIN" | "OWNER"))
}

/// Notices a redirect asks a page to show.
#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    notice: Option<String>,
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "sent" => "The key was sent.",
        "revoked" => "The key was revoked.",
        "modified" => "The key was changed.",
        "lockdown-on" => "Lockdown is on: no key opens the lock.",
        "lockdown-off" => "Lockdown is off.",
        "unlocked" => "The lock opened.",
        "unlock-failed" => "The lock did not open: see its activity.",
        _ => return None,
    })
}

fn shown(query: &Shown) -> Markup {
    html! {
        @if let Some(text) = query.notice.as_deref().and_then(notice_text) { (notice("ok", text)) }
    }
}

/// `GET /portal`: the locks the person administers.
pub async fn index(portal: Portal, Query(query): Query<Shown>) -> Response {
    let locks: Vec<Lock> = match portal.call("getLocks", json!({"limit": LOCKS_SHOWN})).await {
        Ok(locks) => locks,
        Err(e) => return layout::error_page(&portal, &e),
    };
    // Each lock's latest entry, asked for side by side.
    let locks: Vec<Lock> = locks.into_iter().filter(is_admin).collect();
    let latest = futures_util::future::join_all(locks.iter().map(|lock| {
        portal.call::<Vec<ActivityEntry>>(
            "getActivity",
            json!({"lockId": lock.object_id, "limit": 1}),
        )
    }))
    .await;
    let rows: Vec<(Lock, Option<ActivityEntry>)> = locks
        .into_iter()
        .zip(latest)
        .map(|(lock, last)| (lock, last.ok().and_then(|l| l.into_iter().next())))
        .collect();
    let body = html! {
        (shown(&query))
        @if rows.is_empty() {
            p { "You do not administer any lock in this organization." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "Lock" } th scope="col" { "State" } th scope="col" { "Last activity" } th scope="col" { "Lockdown" } } }
                    tbody {
                        @for (lock, last) in &rows {
                            tr {
                                td {
                                    a href={ "/portal/locks/" (lock.object_id) } { (lock.short_name) }
                                    br; small.muted { (lock.time_zone) }
                                }
                                td { (online(lock)) }
                                td {
                                    @match last {
                                        Some(entry) => {
                                            (entry.body.entry_type.replace('_', " ").to_lowercase())
                                            br; small.muted { (time_in(&entry.body.at, &lock.time_zone)) }
                                        }
                                        None => span.muted { "None yet" },
                                    }
                                }
                                td { (lockdown_form(&portal, lock, "/portal")) }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(&portal, Section::Locks, "Locks", &body).into_response()
}

fn online(lock: &Lock) -> Markup {
    html! {
        @if lock.online { span.badge.good { "Online" } } @else { span.badge.bad { "Offline" } }
    }
}

fn lockdown_form(portal: &Portal, lock: &Lock, back: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/portal/locks/" (lock.object_id) "/lockdown" } {
            (csrf(portal))
            input type="hidden" name="back" value=(back);
            input type="hidden" name="enabled" value=(if lock.lockdown { "false" } else { "true" });
            @if lock.lockdown {
                span.badge.bad { "On" } " "
                button type="submit" aria-label={ "End lockdown of " (lock.short_name) } { "End lockdown" }
            } @else {
                span.badge { "Off" } " "
                button.danger type="submit" data-confirm={ "Put " (lock.short_name) " in lockdown? No key will open it." }
                    aria-label={ "Lock down " (lock.short_name) } { "Lock down" }
            }
        }
    }
}

/// `POST /portal/locks/{lock}/lockdown`.
pub async fn lockdown(Path(lock): Path<String>, posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    let enabled = fields.get("enabled") == "true";
    let body = json!({"lockIds": [lock], "enabled": enabled});
    if let Err(e) = portal.call::<Value>("setLockdown", body).await {
        return layout::error_page(&portal, &e);
    }
    let back = match fields.get("back") {
        "/portal" => "/portal".to_owned(),
        _ => format!("/portal/locks/{lock}"),
    };
    let code = if enabled {
        "lockdown-on"
    } else {
        "lockdown-off"
    };
    Redirect::to(&format!("{back}?notice={code}")).into_response()
}

/// What the send-key form shows besides the editor.
#[derive(Debug, Default)]
struct SendForm {
    person: String,
    first_name: String,
    last_name: String,
    role: String,
    remote: bool,
    one_time: bool,
    editor: Option<Editor>,
    error: FormError,
}

/// `GET /portal/locks/{lock}`.
async fn page_of(portal: &Portal, lock_ref: &str, form: SendForm, query: &Shown) -> Response {
    let lock: Lock = match portal.call("getLock", json!({"lockId": lock_ref})).await {
        Ok(lock) if is_admin(&lock) => lock,
        Ok(_) => {
            let e = ApiError::forbidden("Only administrators of this lock manage it.");
            return layout::error_page(portal, &e);
        }
        Err(e) => return layout::error_page(portal, &e),
    };
    let keys: Vec<Key> = match portal
        .call("getLockUsers", json!({"lockId": lock.object_id}))
        .await
    {
        Ok(keys) => keys,
        Err(e) => return layout::error_page(portal, &e),
    };
    let tz = TimeZone::get(&lock.time_zone).unwrap_or(TimeZone::UTC);
    let now = Timestamp::from_millisecond(portal.now()).unwrap_or_else(|_| Timestamp::now());
    let editor = form.editor.clone().unwrap_or_else(|| Editor::new(&tz, now));
    let status = form.error.status();
    let body = html! {
        (shown(query))
        section.lock-summary aria-label="Lock" {
            p {
                (online(&lock)) " "
                span.muted { (lock.lock_type_name()) " · " (lock.time_zone) " · device " (lock.lock_id) }
            }
            (lockdown_form(portal, &lock, "lock"))
            form.unlock method="post" action={ "/portal/locks/" (lock.object_id) "/unlock" } data-unlock {
                (csrf(portal))
                button.primary type="submit" { "Unlock now" }
                ol.steps #unlock-steps aria-live="polite" {}
            }
        }
        section aria-labelledby="keys-title" {
            h2 #keys-title { "Keys (" (keys.len()) ")" }
            (key_table(portal, &lock, &keys))
        }
        section aria-labelledby="send-title" {
            h2 #send-title { "Send a key" }
            (send_form(portal, &lock, &form, &editor, now))
        }
    };
    (
        status,
        shell(portal, Section::Locks, &lock.short_name, &body),
    )
        .into_response()
}

pub async fn page(
    portal: Portal,
    Path(lock): Path<String>,
    Query(query): Query<Shown>,
) -> Response {
    page_of(&portal, &lock, SendForm::default(), &query).await
}

trait LockTypeName {
    fn lock_type_name(&self) -> &'static str;
}

impl LockTypeName for Lock {
    fn lock_type_name(&self) -> &'static str {
        match self.lock_type {
            latchkey_api_types::LockType::Core => "Battery lock",
            latchkey_api_types::LockType::Controller => "Door controller",
            latchkey_api_types::LockType::Other => "Other",
        }
    }
}

fn holder(key: &Key) -> (String, String) {
    let u = &key.user;
    let name = [u.first_name.as_deref(), u.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let contact = u
        .primary_email
        .clone()
        .or_else(|| u.primary_phone.clone())
        .unwrap_or_default();
    if name.is_empty() {
        (contact, String::new())
    } else {
        (name, contact)
    }
}

fn access_text(key: &Key) -> String {
    let mut parts: Vec<String> = key.schedules.iter().map(editor::describe).collect();
    if parts.is_empty() {
        parts.push("Any time".into());
    }
    if key.one_time {
        parts.push(
            if key.used_at.is_some() {
                "one time, used"
            } else {
                "one time"
            }
            .into(),
        );
    }
    parts.join("; ")
}

fn key_table(portal: &Portal, lock: &Lock, keys: &[Key]) -> Markup {
    html! {
        div.table-wrap {
            table.keys {
                thead { tr {
                    th scope="col" { "Person" } th scope="col" { "Role" } th scope="col" { "Status" }
                    th scope="col" { "Access" } th scope="col" { "Change" }
                } }
                tbody {
                    @for key in keys {
                        @let (name, contact) = holder(key);
                        tr data-key=(key.object_id) {
                            td { (name) @if !contact.is_empty() { br; small.muted { (contact) } } }
                            td { (key.role.to_lowercase()) }
                            td {
                                @if key.status == "ACTIVE" { span.badge.good { "Active" } }
                                @else { span.badge { "Invited" } }
                                @if key.can_remote_unlock { br; small.muted { "remote unlock" } }
                            }
                            td { (access_text(key)) }
                            td { @if key.role != "OWNER" { (key_actions(portal, lock, key, &name)) } }
                        }
                    }
                }
            }
        }
    }
}

fn key_actions(portal: &Portal, lock: &Lock, key: &Key, name: &str) -> Markup {
    let id = &key.object_id;
    html! {
        form.inline method="post" action={ "/portal/keys/" (id) "/modify" } {
            (csrf(portal))
            input type="hidden" name="lock" value=(lock.object_id);
            label.sr-only for={ "role-" (id) } { "Role of " (name) }
            select #{ "role-" (id) } name="role" {
                option value="USER" selected[key.role == "USER"] { "User" }
                option value="ADMIN" selected[key.role == "ADMIN"] { "Admin" }
            }
            label.check {
                input type="checkbox" name="remote" value="1" checked[key.can_remote_unlock];
                " Remote"
            }
            button type="submit" { "Save" }
        }
        a.button href={ "/portal/keys/" (id) "/access?lock=" (lock.object_id) }
            aria-label={ "When the key of " (name) " opens" } { "Access" }
        form.inline method="post" action={ "/portal/keys/" (id) "/revoke" } {
            (csrf(portal))
            input type="hidden" name="lock" value=(lock.object_id);
            button.danger type="submit" data-confirm={ "Revoke the key of " (name) "?" }
                aria-label={ "Revoke the key of " (name) } { "Revoke" }
        }
    }
}

fn send_form(
    portal: &Portal,
    lock: &Lock,
    form: &SendForm,
    editor: &Editor,
    now: Timestamp,
) -> Markup {
    let role = if form.role.is_empty() {
        "USER"
    } else {
        &form.role
    };
    html! {
        form.stack.send method="post" action={ "/portal/locks/" (lock.object_id) "/keys" } {
            (csrf(portal))
            @if let Some(error) = form.error.get("form") { (notice("error", error)) }
            (field("person", "Email or phone", &text_input("person", "text", &form.person, true, form.error.get("person").is_some()),
                Some("A phone is read as North American when it has 10 digits; otherwise start with +."),
                form.error.get("person")))
            div.row {
                (field("first_name", "First name", &text_input("first_name", "text", &form.first_name, false, false), Some("For an invitation."), form.error.get("first_name")))
                (field("last_name", "Last name", &text_input("last_name", "text", &form.last_name, false, false), None, form.error.get("last_name")))
            }
            (field("role", "Role", &html! {
                select #role name="role" {
                    option value="USER" selected[role == "USER"] { "User — opens the lock" }
                    option value="ADMIN" selected[role == "ADMIN"] { "Admin — also manages its keys" }
                }
            }, None, form.error.get("role")))
            div.checks {
                label.check { input type="checkbox" name="remote" value="1" checked[form.remote]; " May unlock remotely" }
                label.check { input type="checkbox" name="one_time" value="1" checked[form.one_time]; " Opens once" }
            }
            (editor.markup(&lock.object_id, form.error.get("schedule")))
            div.preview #schedule-preview aria-live="polite" { (editor::preview(editor, &lock.time_zone, now)) }
            button.primary type="submit" { "Send key" }
        }
    }
}

/// `GET /portal/locks/{lock}/windows?…`: the preview of the editor's values (the
/// script asks for it as the fields change).
pub async fn windows(
    portal: Portal,
    Path(lock): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let lock: Lock = match portal.call("getLock", json!({"lockId": lock})).await {
        Ok(lock) => lock,
        Err(e) => return layout::error_page(&portal, &e),
    };
    let editor = Editor::read(&Fields(query));
    let now = Timestamp::from_millisecond(portal.now()).unwrap_or_else(|_| Timestamp::now());
    editor::preview(&editor, &lock.time_zone, now).into_response()
}

/// `POST /portal/locks/{lock}/keys`: `sendKey` with the form's person, role and schedule.
pub async fn send_key(Path(lock): Path<String>, posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    let editor = Editor::read(&fields);
    let mut form = SendForm {
        person: fields.get("person").to_owned(),
        first_name: fields.get("first_name").to_owned(),
        last_name: fields.get("last_name").to_owned(),
        role: fields.get("role").to_owned(),
        remote: fields.checked("remote"),
        one_time: fields.checked("one_time"),
        editor: Some(editor.clone()),
        error: FormError::default(),
    };
    let schedules = match editor.schedules() {
        Ok(s) => s,
        Err(e) => {
            form.error = FormError::on("schedule", e);
            return page_of(&portal, &lock, form, &Shown::default()).await;
        }
    };
    if form.person.is_empty() {
        form.error = FormError::on("person", "Give the email or phone of the person.");
        return page_of(&portal, &lock, form, &Shown::default()).await;
    }
    let contact = if form.person.contains('@') {
        "email"
    } else {
        "phone"
    };
    let mut body = json!({
        "lockId": lock,
        contact: form.person,
        "role": form.role,
        "canRemoteUnlock": form.remote,
        "oneTime": form.one_time,
        "schedules": schedules,
    });
    for (field, value) in [
        ("firstName", &form.first_name),
        ("lastName", &form.last_name),
    ] {
        if !value.is_empty() {
            body[field] = json!(value);
        }
    }
    match portal.call::<Vec<Key>>("sendKey", body).await {
        Ok(_) => Redirect::to(&format!("/portal/locks/{lock}?notice=sent")).into_response(),
        Err(e) => {
            form.error = FormError::from_api(&e, SEND_FIELDS);
            page_of(&portal, &lock, form, &Shown::default()).await
        }
    }
}

/// The send form's fields, by the API field their errors name.
const SEND_FIELDS: &[(&str, &str)] = &[
    ("email", "person"),
    ("phone", "person"),
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("role", "role"),
    ("schedules", "schedule"),
];

/// `POST /portal/keys/{key}/revoke`.
pub async fn revoke(Path(key): Path<String>, posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    match portal
        .call::<Value>("revokeKey", json!({"keyId": key}))
        .await
    {
        Ok(_) => back_to_lock(&fields, "revoked"),
        Err(e) => layout::error_page(&portal, &e),
    }
}

/// `POST /portal/keys/{key}/modify`: role and remote unlock.
pub async fn modify(Path(key): Path<String>, posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    let body = json!({
        "keyId": key,
        "role": fields.get("role"),
        "canRemoteUnlock": fields.checked("remote"),
    });
    match portal.call::<Key>("modifyKey", body).await {
        Ok(_) => back_to_lock(&fields, "modified"),
        Err(e) => layout::error_page(&portal, &e),
    }
}

pub(super) fn back_to_lock(fields: &Fields, notice: &str) -> Response {
    let lock = fields.get("lock");
    if lock.chars().all(|c| c.is_ascii_alphanumeric()) && !lock.is_empty() {
        Redirect::to(&format!("/portal/locks/{lock}?notice={notice}")).into_response()
    } else {
        Redirect::to("/portal").into_response()
    }
}

/// `POST /portal/locks/{lock}/unlock`: starts `performUnlock`. The script asks for JSON
/// and follows the steps; without it the lock's page shows the result.
pub async fn unlock(Path(lock): Path<String>, headers: HeaderMap, posted: Posted) -> Response {
    let portal = posted.portal;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let body = json!({"lockId": lock, "wait": !wants_json});
    let result = portal.call::<UnlockRequest>("performUnlock", body).await;
    match (result, wants_json) {
        (Ok(request), true) => Json(status_json(&request)).into_response(),
        (Err(e), true) => {
            let status = e.status();
            (
                status,
                Json(json!({"error": layout::plain(&e), "done": true})),
            )
                .into_response()
        }
        (Ok(request), false) => {
            let code = if request.success {
                "unlocked"
            } else {
                "unlock-failed"
            };
            Redirect::to(&format!("/portal/locks/{lock}?notice={code}")).into_response()
        }
        (Err(e), false) => layout::error_page(&portal, &e),
    }
}

/// `GET /portal/unlocks/{request}`: the request's steps so far, for the script.
pub async fn unlock_status(portal: Portal, Path(request): Path<String>) -> Response {
    match portal
        .call::<UnlockRequest>("getUnlockStatus", json!({"requestId": request}))
        .await
    {
        Ok(request) => Json(status_json(&request)).into_response(),
        Err(e) => {
            let status = e.status();
            (
                status,
                Json(json!({"error": layout::plain(&e), "done": true})),
            )
                .into_response()
        }
    }
}

fn status_json(request: &UnlockRequest) -> Value {
    let done = status::is_success(request.status) || status::is_error(request.status);
    json!({
        "requestId": request.request_id,
        "statusName": request.status_name,
        "success": request.success,
        "done": done,
        "steps": request.history.iter().map(|s| json!({"statusName": s.status_name, "at": s.at})).collect::<Vec<_>>(),
    })
}
