//! The organization's webhooks (administrators of the organization): create one and see
//! its secret once, see each delivery with its attempts, delete.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_api_types::{ACTIVITY_TYPES, Delivery, Webhook};
use maud::html;
use serde_json::{Value, json};

use super::layout::{self, FormError, Section, csrf, field, notice, shell, text_input, time_utc};
use super::{Portal, Posted};

/// `GET /portal/webhooks`.
pub async fn page_with(
    portal: &Portal,
    created: Option<&Webhook>,
    error: &FormError,
    url: &str,
) -> Response {
    let hooks: Vec<Webhook> = match portal.call_org("getWebhooks", json!({})).await {
        Ok(hooks) => hooks,
        Err(e) => return layout::error_page(portal, &e),
    };
    let body = html! {
        @if let Some(hook) = created {
            div.notice.ok role="status" {
                p { "The webhook was created. Its signing secret is shown only this once: copy it now." }
                p { code.secret #webhook-secret { (hook.secret.as_deref().unwrap_or_default()) } }
            }
        }
        @if let Some(text) = error.get("form") { (notice("error", text)) }
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { "Endpoint" } th scope="col" { "Events" } th scope="col" { "State" }
                    th scope="col" { span.sr-only { "Actions" } }
                } }
                tbody {
                    @if hooks.is_empty() { tr { td colspan="4" { "No webhook yet." } } }
                    @for h in &hooks {
                        tr {
                            td {
                                a href={ "/portal/webhooks/" (h.object_id) } { (h.url) }
                                @if let Some(d) = &h.description { br; small.muted { (d) } }
                            }
                            td { @if h.events.iter().any(|e| e == "*") { "Every event" } @else { (h.events.join(", ")) } }
                            td { @if h.enabled { span.badge.good { "Enabled" } } @else { span.badge.bad { "Disabled" } } }
                            td {
                                form.inline method="post" action={ "/portal/webhooks/" (h.object_id) "/delete" } {
                                    (csrf(portal))
                                    button.danger type="submit" data-confirm={ "Delete the webhook to " (h.url) "?" }
                                        aria-label={ "Delete the webhook to " (h.url) } { "Delete" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "New webhook" }
        form.stack method="post" action="/portal/webhooks" {
            (csrf(portal))
            (field("url", "Endpoint URL", &text_input("url", "url", url, true, error.get("url").is_some()),
                Some("Where events are POSTed, signed the Standard Webhooks way."), error.get("url")))
            (field("description", "Description", &text_input("description", "text", "", false, false), Some("Optional."), None))
            fieldset.choices-list {
                legend { "Events" }
                label.check { input type="checkbox" name="event" value="*" checked; " Every event" }
                @for t in ACTIVITY_TYPES {
                    label.check { input type="checkbox" name="event" value=(t); " " (t) }
                }
                @if let Some(e) = error.get("events") { p.error role="alert" { (e) } }
            }
            button.primary type="submit" { "Create webhook" }
        }
    };
    let status = error.status();
    (status, shell(portal, Section::Webhooks, "Webhooks", &body)).into_response()
}

pub async fn page(portal: Portal) -> Response {
    page_with(&portal, None, &FormError::default(), "").await
}

/// `POST /portal/webhooks`.
pub async fn create(posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    let body = json!({
        "url": fields.get("url"),
        "events": fields.all("event"),
        "description": fields.opt("description"),
    });
    match portal.call_org::<Webhook>("createWebhook", body).await {
        Ok(hook) => page_with(&portal, Some(&hook), &FormError::default(), "").await,
        Err(e) => {
            let error = FormError::from_api(&e, &[("url", "url"), ("events", "events")]);
            page_with(&portal, None, &error, fields.get("url")).await
        }
    }
}

/// `POST /portal/webhooks/{hook}/delete`.
pub async fn delete(Path(hook): Path<String>, posted: Posted) -> Response {
    let portal = posted.portal;
    match portal
        .call_org::<Value>("deleteWebhook", json!({"webhookId": hook}))
        .await
    {
        Ok(_) => Redirect::to("/portal/webhooks").into_response(),
        Err(e) => layout::error_page(&portal, &e),
    }
}

/// `GET /portal/webhooks/{hook}`: the latest deliveries and their attempts.
pub async fn deliveries(portal: Portal, Path(hook): Path<String>) -> Response {
    let body = json!({"webhookId": hook, "limit": 100});
    let deliveries: Vec<Delivery> = match portal.call_org("getWebhookDeliveries", body).await {
        Ok(d) => d,
        Err(e) => return layout::error_page(&portal, &e),
    };
    let body = html! {
        p { a href="/portal/webhooks" { "← All webhooks" } }
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { "Event" } th scope="col" { "Queued" } th scope="col" { "State" } th scope="col" { "Attempts" }
                } }
                tbody {
                    @if deliveries.is_empty() { tr { td colspan="4" { "Nothing delivered yet." } } }
                    @for d in &deliveries {
                        tr {
                            td { (d.event_type) @if let Some(seq) = d.seq { " " small.muted { "#" (seq) } } }
                            td { (time_utc(&d.created_at)) }
                            td {
                                (d.state)
                                @if let Some(next) = &d.next_attempt_at { br; small.muted { "next " (time_utc(next)) } }
                            }
                            td {
                                ol.plain {
                                    @for a in &d.attempts {
                                        li {
                                            (time_utc(&a.at)) " · "
                                            @match a.status_code { Some(code) => { "HTTP " (code) }, None => { "no answer" } }
                                            " · " (a.duration_ms) " ms"
                                            @if let Some(err) = &a.error { br; small.muted { (err) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    shell(&portal, Section::Webhooks, "Deliveries", &body).into_response()
}
