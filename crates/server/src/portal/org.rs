//! The organization's API key (administrators of the organization): see it, rotate its
//! secret (shown once), with a grace period for the old one.

use axum::response::{IntoResponse, Response};
use latchkey_api_types::ApiSecret;
use maud::html;
use serde_json::json;

use super::layout::{self, Section, csrf, field, notice, shell};
use super::{Portal, Posted};

fn render(portal: &Portal, secret: Option<&str>, error: Option<&str>) -> Response {
    let api_key = portal.credentials.0.as_str();
    let body = html! {
        @if let Some(secret) = secret {
            div.notice.ok role="status" {
                p { "The secret was rotated. The new secret is shown only this once: copy it now." }
                p { code.secret #new-secret { (secret) } }
            }
        }
        @if let Some(e) = error { (notice("error", e)) }
        dl.facts {
            dt { "Organization" } dd { (portal.org.name) }
            dt { "API key" } dd { code { (api_key) } }
            dt { "API secret" } dd { "Shown only when it is made. Rotate it to get a new one." }
        }
        h2 { "Rotate the secret" }
        form.stack method="post" action="/portal/organization/rotate" {
            (csrf(portal))
            (field("grace", "Old secret keeps working for", &html! {
                select #grace name="grace" {
                    option value="0" { "No time: stop it now" }
                    option value="3600" { "One hour" }
                    option value="86400" { "One day" }
                    option value="604800" { "One week" }
                }
            }, Some("Time for your integrations to switch to the new secret."), None))
            button.danger type="submit" data-confirm="Rotate the API secret? Integrations using the old one stop when the grace period ends." { "Rotate secret" }
        }
    };
    shell(portal, Section::Organization, "API keys", &body).into_response()
}

/// `GET /portal/organization`.
pub async fn page(portal: Portal) -> Response {
    if !portal.org.org_admin {
        let e = crate::error::ApiError::forbidden(
            "Only administrators of the organization see its API keys.",
        );
        return layout::error_page(&portal, &e);
    }
    render(&portal, None, None)
}

/// `POST /portal/organization/rotate`: `rotateApiSecret` with the organization's authority.
pub async fn rotate(posted: Posted) -> Response {
    let Posted { portal, fields } = posted;
    let grace: i64 = fields.get("grace").parse().unwrap_or(0);
    match portal
        .call_org::<ApiSecret>("rotateApiSecret", json!({"graceSeconds": grace}))
        .await
    {
        Ok(secret) => render(&portal, Some(&secret.api_secret), None),
        Err(e) if e.code() == latchkey_api_types::ErrorCode::OperationForbidden => {
            layout::error_page(&portal, &e)
        }
        Err(e) => render(&portal, None, Some(&layout::plain(&e))),
    }
}
