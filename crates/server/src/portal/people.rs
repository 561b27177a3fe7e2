//! People with keys to the locks a person administers, and the organization's groups.

use std::collections::BTreeMap;

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_api_types::{Group, Key, Lock};
use maud::{Markup, html};
use serde_json::{Value, json};

use super::layout::{self, FormError, Section, csrf, field, notice, shell, text_input};
use super::{Portal, Posted};
use crate::error::ApiError;

/// The locks the person administers.
pub async fn administered(portal: &Portal) -> Result<Vec<Lock>, ApiError> {
    let locks: Vec<Lock> = portal.call("getLocks", json!({"limit": 1000})).await?;
    Ok(locks
        .into_iter()
        .filter(|l| matches!(l.role.as_deref(), Some("ADMIN" | "OWNER")))
        .collect())
}

/// The names of the locks `ids` (an id that is not among `locks` stands for itself).
pub fn lock_names(locks: &[Lock], ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            locks
                .iter()
                .find(|l| &l.object_id == id)
                .map_or(id.as_str(), |l| l.short_name.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One person, with their keys to administered locks.
struct Person {
    name: String,
    contact: String,
    keys: Vec<(String, String, String)>,
}

/// `GET /portal/people`.
pub async fn page(portal: Portal) -> Response {
    let locks = match administered(&portal).await {
        Ok(locks) => locks,
        Err(e) => return layout::error_page(&portal, &e),
    };
    let mut people: BTreeMap<String, Person> = BTreeMap::new();
    for lock in &locks {
        let keys: Vec<Key> = match portal
            .call("getLockUsers", json!({"lockId": lock.object_id}))
            .await
        {
            Ok(keys) => keys,
            Err(e) => return layout::error_page(&portal, &e),
        };
        for key in keys {
            let u = &key.user;
            let contact = u
                .primary_email
                .clone()
                .or_else(|| u.primary_phone.clone())
                .unwrap_or_default();
            let id = u.object_id.clone().unwrap_or_else(|| contact.clone());
            let name = [u.first_name.as_deref(), u.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let person = people.entry(id).or_insert_with(|| Person {
                name: if name.is_empty() {
                    contact.clone()
                } else {
                    name
                },
                contact,
                keys: Vec::new(),
            });
            person.keys.push((
                lock.object_id.clone(),
                lock.short_name.clone(),
                format!(
                    "{} · {}",
                    key.role.to_lowercase(),
                    key.status.to_lowercase()
                ),
            ));
        }
    }
    let mut people: Vec<Person> = people.into_values().collect();
    people.sort_by_key(|p| p.name.to_lowercase());
    let body = html! {
        p.muted { "Everyone with a key to a lock you administer." }
        div.table-wrap {
            table {
                thead { tr { th scope="col" { "Person" } th scope="col" { "Keys" } } }
                tbody {
                    @for p in &people {
                        tr {
                            td { (p.name) @if p.contact != p.name { br; small.muted { (p.contact) } } }
                            td {
                                ul.plain {
                                    @for (id, lock, what) in &p.keys {
                                        li { a href={ "/portal/locks/" (id) } { (lock) } " " small.muted { (what) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(&portal, Section::People, "People", &body).into_response()
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct GroupsQuery {
    notice: Option<String>,
}

/// `GET /portal/groups`.
pub async fn groups(portal: Portal, Query(query): Query<GroupsQuery>) -> Response {
    let shown = match query.notice.as_deref() {
        Some("created") => Some("The group was created."),
        Some("deleted") => Some("The group was deleted."),
        _ => None,
    };
    groups_page(&portal, shown, &FormError::default(), "", "").await
}

async fn groups_page(
    portal: &Portal,
    shown: Option<&str>,
    error: &FormError,
    name: &str,
    description: &str,
) -> Response {
    let (groups, locks) = match tokio::try_join!(
        portal.call::<Vec<Group>>("getGroups", json!({})),
        administered(portal)
    ) {
        Ok(both) => both,
        Err(e) => return layout::error_page(portal, &e),
    };
    let body = html! {
        @if let Some(text) = shown { (notice("ok", text)) }
        @if let Some(text) = error.get("form") { (notice("error", text)) }
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { "Group" } th scope="col" { "Locks" } th scope="col" { "Members" }
                    th scope="col" { "Remote unlock" } th scope="col" { span.sr-only { "Actions" } }
                } }
                tbody {
                    @if groups.is_empty() { tr { td colspan="5" { "No group yet." } } }
                    @for g in &groups {
                        tr {
                            td { (g.name) @if let Some(d) = &g.description { br; small.muted { (d) } } }
                            td { (lock_names(&locks, &g.lock_ids)) }
                            td { (g.user_count) }
                            td { @if g.can_remote_unlock { "Yes" } @else { "No" } }
                            td {
                                form.inline method="post" action={ "/portal/groups/" (g.object_id) "/delete" } {
                                    (csrf(portal))
                                    button.danger type="submit" data-confirm={ "Delete the group " (g.name) "? Its members lose the keys it gave them." }
                                        aria-label={ "Delete the group " (g.name) } { "Delete" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "New group" }
        form.stack method="post" action="/portal/groups" {
            (csrf(portal))
            (field("name", "Name", &text_input("name", "text", name, true, error.get("name").is_some()), None, error.get("name")))
            (field("description", "Description", &text_input("description", "text", description, false, false), Some("Optional."), None))
            (lock_choices(&locks, error.get("locks")))
            label.check { input type="checkbox" name="remote" value="1"; " Members may unlock remotely" }
            button.primary type="submit" { "Create group" }
        }
    };
    let status = error.status();
    (status, shell(portal, Section::Groups, "Groups", &body)).into_response()
}

fn lock_choices(locks: &[Lock], error: Option<&str>) -> Markup {
    html! {
        fieldset.choices-list {
            legend { "Locks" }
            @for l in locks {
                label.check { input type="checkbox" name="lock" value=(l.object_id); " " (l.short_name) }
            }
            @if let Some(e) = error { p.error role="alert" { (e) } }
        }
    }
}

/// `POST /portal/groups`.
pub async fn create_group(posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    let body = json!({
        "name": fields.get("name"),
        "description": fields.opt("description"),
        "lockIds": fields.all("lock"),
        "canRemoteUnlock": fields.checked("remote"),
    });
    match portal.call::<Group>("createGroup", body).await {
        Ok(_) => Redirect::to("/portal/groups?notice=created").into_response(),
        Err(e) => {
            let error = FormError::from_api(&e, &[("name", "name"), ("lockIds", "locks")]);
            groups_page(
                &portal,
                None,
                &error,
                fields.get("name"),
                fields.get("description"),
            )
            .await
        }
    }
}

/// `POST /portal/groups/{group}/delete`.
pub async fn delete_group(Path(group): Path<String>, posted: Posted) -> Response {
    let portal = posted.portal;
    match portal
        .call::<Value>("deleteGroup", json!({"groupId": group}))
        .await
    {
        Ok(_) => Redirect::to("/portal/groups?notice=deleted").into_response(),
        Err(e) => layout::error_page(&portal, &e),
    }
}
