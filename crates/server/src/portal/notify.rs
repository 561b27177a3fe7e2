//! Notification enrollments of the signed-in person, and their inbox.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_api_types::{CATEGORIES, Enrollment, Message};
use maud::html;
use serde_json::{Value, json};

use super::layout::{self, Section, csrf, field, notice, shell, text_input, time_utc};
use super::people::{administered, lock_names};
use super::{Portal, Posted};

async fn page_with(portal: &Portal, error: Option<String>) -> Response {
    let loaded = tokio::try_join!(
        portal.call::<Vec<Enrollment>>("getNotificationEnrollments", json!({})),
        portal.call::<Vec<Message>>("getMessages", json!({"limit": 50})),
        administered(portal),
    );
    let (enrollments, messages, locks) = match loaded {
        Ok(all) => all,
        Err(e) => return layout::error_page(portal, &e),
    };
    let body = html! {
        @if let Some(e) = &error { (notice("error", e)) }
        h2 { "Inbox" }
        @if messages.is_empty() { p.muted { "No message yet." } }
        ul.inbox {
            @for m in &messages {
                li {
                    strong { (m.title) } " " small.muted { (time_utc(&m.created_at)) }
                    p { (m.body) }
                }
            }
        }
        h2 { "What you are told about" }
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Locks" } th scope="col" { "Categories" }
                    th scope="col" { span.sr-only { "Actions" } }
                } }
                tbody {
                    @if enrollments.is_empty() { tr { td colspan="4" { "No enrollment yet." } } }
                    @for en in &enrollments {
                        tr {
                            td { (en.name.as_deref().unwrap_or("—")) }
                            td { (lock_names(&locks, &en.lock_ids)) }
                            td { (en.categories.join(", ").replace('_', " ").to_lowercase()) }
                            td {
                                form.inline method="post" action={ "/portal/notifications/" (en.object_id) "/delete" } {
                                    (csrf(portal))
                                    button.danger type="submit" aria-label={ "Stop the enrollment " (en.name.as_deref().unwrap_or("")) } { "Stop" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Be told about a lock" }
        form.stack method="post" action="/portal/notifications" {
            (csrf(portal))
            (field("name", "Name", &text_input("name", "text", "", false, false), Some("Optional, to tell enrollments apart."), None))
            fieldset.choices-list {
                legend { "Locks" }
                @for l in &locks {
                    label.check { input type="checkbox" name="lock" value=(l.object_id); " " (l.short_name) }
                }
            }
            fieldset.choices-list {
                legend { "Categories" }
                @for (c, _) in CATEGORIES {
                    label.check { input type="checkbox" name="category" value=(c) checked; " " (c.replace('_', " ").to_lowercase()) }
                }
            }
            button.primary type="submit" { "Enroll" }
        }
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        shell(portal, Section::Notifications, "Notifications", &body),
    )
        .into_response()
}

/// `GET /portal/notifications`.
pub async fn page(portal: Portal) -> Response {
    page_with(&portal, None).await
}

/// `POST /portal/notifications`.
pub async fn enroll(posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    let body = json!({
        "name": fields.opt("name"),
        "lockIds": fields.all("lock"),
        "categories": fields.all("category"),
    });
    match portal.call::<Enrollment>("enrollNotifications", body).await {
        Ok(_) => Redirect::to("/portal/notifications").into_response(),
        Err(e) => page_with(&portal, Some(layout::plain(&e))).await,
    }
}

/// `POST /portal/notifications/{id}/delete`.
pub async fn unenroll(Path(id): Path<String>, posted: Posted) -> Response {
    let portal = posted.portal;
    match portal
        .call::<Value>("unenrollNotifications", json!({"enrollmentId": id}))
        .await
    {
        Ok(_) => Redirect::to("/portal/notifications").into_response(),
        Err(e) => layout::error_page(&portal, &e),
    }
}
