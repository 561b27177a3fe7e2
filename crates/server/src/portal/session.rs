//! Signing in and out of the portal, and switching organization.
//!
//! Sign-in goes through the API's own `signIn` (its throttling, its equal answers for
//! unknown people and wrong passwords, its `SIGN_IN` entries), with the API key of the
//! first organization the person administers. A person who administers locks in several
//! organizations then switches between them; each switch opens a session there.

use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_api_types::{ErrorCode, SignedIn};
use latchkey_core::contact::Identifier;
use latchkey_core::secret;
use latchkey_store::{PortalOrganization, UserLookup, WriteSet};
use maud::{Markup, html};
use serde_json::json;

use super::layout::{self, bare, field, notice, text_input};
use super::{Fields, Posted, SESSION_COOKIE, SIGNIN_COOKIE, cookie, set_cookie};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::functions::session::{check_throttle, sign_in_with, throttle_key};
use crate::router::Ctx;
use crate::state::AppState;

/// How long the portal's session cookie is kept (the session itself may end sooner).
const COOKIE_DAYS: i64 = 30;

/// What the sign-in form shows.
#[derive(Default)]
struct SignInForm<'a> {
    identifier: &'a str,
    error: Option<String>,
}

fn sign_in_page(csrf: &str, form: &SignInForm<'_>) -> Markup {
    let body = html! {
        @if let Some(error) = &form.error { (notice("error", error)) }
        form.stack method="post" action="/portal/signin" {
            input type="hidden" name="csrf" value=(csrf);
            (field("identifier", "Email or phone",
                &text_input("identifier", "text", form.identifier, true, false),
                Some("The email or phone you signed up with."), None))
            (field("password", "Password",
                &text_input("password", "password", "", true, false), None, None))
            button.primary type="submit" { "Sign in" }
        }
    };
    bare("Sign in", &body)
}

/// `GET /portal/signin`: the form, with a fresh CSRF cookie.
pub async fn form(request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let csrf = hex::encode(secret::digest(&secret::new_secret("")));
    let mut response = sign_in_page(&csrf, &SignInForm::default()).into_response();
    set_cookie(&mut response, &parts, SIGNIN_COOKIE, &csrf, 3600);
    response
}

/// `POST /portal/signin`.
pub async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let expected = cookie(&parts.headers, SIGNIN_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let client_ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let fields = match Fields::read(Request::from_parts(parts.clone(), body), &state).await {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    if expected.is_empty() || !secret::ct_eq(fields.get("csrf").as_bytes(), expected.as_bytes()) {
        return layout::stale_form();
    }
    let identifier = fields.get("identifier");
    let ctx = Ctx {
        state: state.clone(),
        version: latchkey_core::version::ApiVersion::CURRENT,
        client_ip: client_ip.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()),
    };
    match open_session(&ctx, identifier, fields.get("password")).await {
        Ok((api_key, token)) => {
            let mut response = Redirect::to("/portal").into_response();
            set_cookie(&mut response, &parts, SIGNIN_COOKIE, "", 0);
            set_session_cookie(&mut response, &parts, &api_key, &token);
            response
        }
        Err(e) => {
            let error = if e.code() == ErrorCode::ObjectNotFound {
                e.message().to_owned()
            } else {
                layout::plain(&e)
            };
            let form = SignInForm {
                identifier,
                error: Some(error),
            };
            let status = e.status();
            (status, sign_in_page(&expected, &form)).into_response()
        }
    }
}

fn set_session_cookie(response: &mut Response, parts: &Parts, api_key: &str, token: &str) {
    let value = format!("{api_key}|{token}");
    set_cookie(
        response,
        parts,
        SESSION_COOKIE,
        &value,
        COOKIE_DAYS * 86_400,
    );
}

/// Checks the person through `signIn` in the first organization they administer;
/// answers the API key and session token.
async fn open_session(
    ctx: &Ctx,
    identifier: &str,
    password: &str,
) -> Result<(String, String), ApiError> {
    let state = &ctx.state;
    let user = match Identifier::parse(identifier) {
        Ok(Identifier::Email(e)) => state.store.user(UserLookup::Email(&e)).await.ok(),
        Ok(Identifier::Phone(p)) => state.store.user(UserLookup::Phone(&p)).await.ok(),
        Err(_) => None,
    };
    let first = match &user {
        Some(user) => state
            .store
            .portal_organizations(&user.id)
            .await?
            .into_iter()
            .find_map(|o| o.api_key),
        None => None,
    };
    let Some(api_key) = first else {
        // Same work and the same answer whether the person exists or not, counted
        // against the same limits as the API's signIn.
        let throttle_key = throttle_key(identifier);
        check_throttle(ctx, &throttle_key)?;
        state.passwords.verify(password.to_owned(), None).await?;
        state
            .throttle
            .record_failure(&throttle_key, ctx.client_ip, state.now());
        return Err(wrong_credentials(
            "Wrong email, phone or password — or this account administers no lock.",
        ));
    };
    let key = state.store.api_key(&api_key).await?;
    let function = state
        .functions
        .get("signIn")
        .ok_or_else(|| ApiError::internal("no signIn"))?;
    let body = json!({"userIdentifier": identifier, "password": password});
    let serde_json::Value::Object(body) = body else {
        return Err(ApiError::internal("signIn body"));
    };
    let raw = function
        .call(ctx.clone(), Authenticated::KeyOnly(key), body)
        .await
        .map_err(|e| {
            if e.code() == ErrorCode::ObjectNotFound {
                wrong_credentials("Wrong email, phone or password.")
            } else {
                e
            }
        })?;
    let signed_in: SignedIn = serde_json::from_str(raw.get()).map_err(ApiError::internal)?;
    Ok((api_key, signed_in.session_token))
}

fn wrong_credentials(message: &str) -> ApiError {
    ApiError::new(ErrorCode::ObjectNotFound, message).with_status(StatusCode::UNAUTHORIZED)
}

/// `POST /portal/signout`: ends the session (through `signOut`) and clears the cookie.
pub async fn sign_out(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let posted = match Posted::from_request(Request::from_parts(parts.clone(), body), &state).await
    {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    if let Err(e) = posted
        .portal
        .call::<serde_json::Value>("signOut", json!({}))
        .await
    {
        return layout::error_page(&posted.portal, &e);
    }
    let mut response = Redirect::to("/portal/signin").into_response();
    set_cookie(&mut response, &parts, SESSION_COOKIE, "", 0);
    response
}

/// `POST /portal/switch`: opens a session in another organization the person
/// administers (recorded there as `SIGN_IN`).
pub async fn switch(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let posted = match Posted::from_request(Request::from_parts(parts.clone(), body), &state).await
    {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let portal = &posted.portal;
    let wanted = posted.fields.get("organization");
    let Some(PortalOrganization {
        id,
        api_key: Some(api_key),
        ..
    }) = portal.orgs.iter().find(|o| o.id == wanted).cloned()
    else {
        return layout::error_page(portal, &ApiError::not_found());
    };
    match sign_in_with(&portal.ctx, &portal.user, &id, WriteSet::default()).await {
        Ok(token) => {
            // The session left behind ends: one live portal session per switch.
            if let Err(e) = portal.call::<serde_json::Value>("signOut", json!({})).await {
                tracing::warn!(error = %e, "ending the previous portal session");
            }
            let mut response = Redirect::to("/portal").into_response();
            set_session_cookie(&mut response, &parts, &api_key, &token);
            response
        }
        Err(e) => layout::error_page(portal, &e),
    }
}
