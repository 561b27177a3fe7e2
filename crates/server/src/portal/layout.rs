//! The portal's page shell, its shared pieces (forms, fields, notices, times) and its
//! static files (one stylesheet, one small script), all compiled into the binary.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use latchkey_api_types::ErrorCode;
use maud::{DOCTYPE, Markup, html};

use super::Portal;
use crate::error::ApiError;

const STYLESHEET: &str = include_str!("static/portal.css");
const SCRIPT: &str = include_str!("static/portal.js");

pub async fn stylesheet() -> Response {
    static_file("text/css; charset=utf-8", STYLESHEET)
}

pub async fn script() -> Response {
    static_file("text/javascript; charset=utf-8", SCRIPT)
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The sections of the portal, in the order of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Locks,
    People,
    Groups,
    Activity,
    Notifications,
    Webhooks,
    Organization,
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Locks,
        Section::People,
        Section::Groups,
        Section::Activity,
        Section::Notifications,
        Section::Webhooks,
        Section::Organization,
    ];

    fn label(self) -> &'static str {
        match self {
            Section::Locks => "Locks",
            Section::People => "People",
            Section::Groups => "Groups",
            Section::Activity => "Activity",
            Section::Notifications => "Notifications",
            Section::Webhooks => "Webhooks",
            Section::Organization => "API keys",
        }
    }

    fn href(self) -> &'static str {
        match self {
            Section::Locks => "/portal",
            Section::People => "/portal/people",
            Section::Groups => "/portal/groups",
            Section::Activity => "/portal/activity",
            Section::Notifications => "/portal/notifications",
            Section::Webhooks => "/portal/webhooks",
            Section::Organization => "/portal/organization",
        }
    }

    /// Sections only administrators of the organization see.
    fn organization_only(self) -> bool {
        matches!(self, Section::Webhooks | Section::Organization)
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Latchkey" }
            link rel="stylesheet" href="/portal/static/portal.css";
            script src="/portal/static/portal.js" defer {}
        }
    }
}

/// A page of a signed-in person: header with organization and account, navigation,
/// then `body` under the title.
pub fn shell(portal: &Portal, section: Section, title: &str, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/portal" { "Latchkey" }
                    (organization_switcher(portal))
                    div.account {
                        span.who { (person_name(&portal.user)) }
                        form method="post" action="/portal/signout" {
                            (csrf(portal))
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                nav.sections aria-label="Sections" {
                    ul {
                        @for s in Section::ALL {
                            @if !s.organization_only() || portal.org.org_admin {
                                li {
                                    a href=(s.href())
                                        aria-current=[(s == section).then_some("page")] {
                                        (s.label())
                                    }
                                }
                            }
                        }
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn organization_switcher(portal: &Portal) -> Markup {
    html! {
        @if portal.orgs.len() > 1 {
            form.switcher method="post" action="/portal/switch" {
                (csrf(portal))
                label for="org" { "Organization" }
                select #org name="organization" data-autosubmit {
                    @for o in &portal.orgs {
                        option value=(o.id) selected[o.id == portal.org.id] { (o.name) }
                    }
                }
                noscript { button type="submit" { "Open" } }
            }
        } @else {
            span.org { (portal.org.name) }
        }
    }
}

/// A page without an account (sign-in, errors before one).
pub fn bare(title: &str, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                main #main {
                    p.brand { "Latchkey" }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden CSRF field every form of a signed-in person carries.
pub fn csrf(portal: &Portal) -> Markup {
    html! { input type="hidden" name="csrf" value=(portal.csrf); }
}

/// A labelled field with its hint and its error (in plain words, tied to the input).
pub fn field(
    id: &str,
    label: &str,
    input: &Markup,
    hint: Option<&str>,
    error: Option<&str>,
) -> Markup {
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) }
            (input)
            @if let Some(hint) = hint { p.hint #{ (id) "-hint" } { (hint) } }
            @if let Some(error) = error { p.error #{ (id) "-error" } role="alert" { (error) } }
        }
    }
}

/// A text input; `described` ties it to its hint or error.
pub fn text_input(id: &str, kind: &str, value: &str, required: bool, error: bool) -> Markup {
    let described = if error {
        format!("{id}-error")
    } else {
        format!("{id}-hint")
    };
    html! {
        input #(id) name=(id) type=(kind) value=(value) required[required]
            aria-invalid=[error.then_some("true")] aria-describedby=(described);
    }
}

/// A notice above the content: what just happened, or what went wrong.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! { p.notice.(kind) role=(if kind == "error" { "alert" } else { "status" }) { (text) } }
}

/// The name to show for a person.
pub fn person_name(user: &latchkey_store::UserRecord) -> String {
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        user.email
            .clone()
            .or_else(|| user.phone.clone())
            .unwrap_or_default()
    } else {
        name
    }
}

/// An API time (`2026-12-04T10:30:00.000Z`) in a time zone, to the minute, with the
/// zone's abbreviation.
pub fn time_in(iso: &str, zone: &str) -> String {
    let (Ok(t), Ok(tz)) = (iso.parse::<Timestamp>(), TimeZone::get(zone)) else {
        return iso.to_owned();
    };
    t.to_zoned(tz).strftime("%a %Y-%m-%d %H:%M %Z").to_string()
}

/// An API time in UTC, to the second.
pub fn time_utc(iso: &str) -> String {
    iso.parse::<Timestamp>().map_or_else(
        |_| iso.to_owned(),
        |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// A form's error and the field it belongs to (`form` for the form as a whole), shown
/// beside that field.
#[derive(Debug, Default)]
pub struct FormError(Option<(&'static str, String)>);

impl FormError {
    pub fn on(field: &'static str, message: impl Into<String>) -> FormError {
        FormError(Some((field, message.into())))
    }

    /// An API error on the form field it is about: the first of `fields` (API name, form
    /// field) whose API name starts its message; the whole form otherwise.
    pub fn from_api(e: &ApiError, fields: &[(&str, &'static str)]) -> FormError {
        let field = fields
            .iter()
            .find(|(api, _)| e.message().starts_with(api))
            .map_or("form", |(_, form)| *form);
        FormError::on(field, plain(e))
    }

    /// The message for `field`, if the error is about it.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// 400 with an error, 200 without.
    pub fn status(&self) -> StatusCode {
        if self.0.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        }
    }
}

/// What an API error means to a person, in plain words.
pub fn plain(e: &ApiError) -> String {
    match e.code() {
        ErrorCode::ObjectNotFound => "That does not exist, or you do not administer it.".into(),
        ErrorCode::Internal => "Something went wrong on the server. Try again in a moment.".into(),
        _ => e.message().to_owned(),
    }
}

/// The answer to a page that could not be shown.
pub fn error_page(portal: &Portal, e: &ApiError) -> Response {
    let status = match e.code() {
        ErrorCode::ObjectNotFound => StatusCode::NOT_FOUND,
        ErrorCode::OperationForbidden => StatusCode::FORBIDDEN,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = html! {
        (notice("error", &plain(e)))
        p { a href="/portal" { "Back to your locks" } }
    };
    (
        status,
        shell(portal, Section::Locks, "Not available", &body),
    )
        .into_response()
}

/// A server failure before the page knew who asks.
pub fn failure(e: &ApiError) -> Response {
    let body = html! { (notice("error", &plain(e))) };
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        bare("Something went wrong", &body),
    )
        .into_response()
}

/// A form whose CSRF token is missing or from another session.
pub fn stale_form() -> Response {
    let body = html! {
        (notice("error", "This form was not sent from your current session, so nothing was changed. \
            Go back, reload the page and try again."))
        p { a href="/portal" { "Back to the portal" } }
    };
    (StatusCode::FORBIDDEN, bare("Form refused", &body)).into_response()
}

/// A signed-in person who no longer administers anything in the organization.
pub fn nothing_to_administer() -> Response {
    let body = html! {
        (notice("error", "You do not administer any lock of this organization any more."))
        p { a href="/portal/signin" { "Sign in again" } }
    };
    (StatusCode::FORBIDDEN, bare("Nothing to administer", &body)).into_response()
}
