//! The admin portal at `/portal`: server-rendered pages (maud, compiled into the binary)
//! for the people who administer locks. Every page and every action calls the same
//! function table as the API, as the signed-in person (a session of their organization),
//! so the rules, the scoping to what they administer and the audit entries are the API's
//! own. Organization administrators also reach the organization's webhooks and API keys,
//! with its authority and recorded as themselves.
//!
//! Safety: the session cookie is `HttpOnly`, `SameSite=Strict`, `Secure` behind TLS; every
//! form carries a CSRF token bound to the session (checked by [`Posted`], the only way a
//! handler reads a form); every answer carries a strict Content-Security-Policy (no inline
//! script or style) and is not cached.

mod access;
mod activity;
mod chart;
mod editor;
mod layout;
mod locks;
mod notify;
mod org;
mod people;
mod session;
mod webhooks;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Request};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use latchkey_api_types::{ErrorCode, headers};
use latchkey_core::secret;
use latchkey_core::version::ApiVersion;
use latchkey_store::{PortalOrganization, UserLookup, UserRecord};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::{Access, Authenticated, authenticate};
use crate::error::ApiError;
use crate::router::Ctx;
use crate::state::AppState;

/// The session cookie: `{apiKey}|{sessionToken}`.
const SESSION_COOKIE: &str = "latchkey_portal";
/// The sign-in form's CSRF cookie (before there is a session).
const SIGNIN_COOKIE: &str = "latchkey_signin";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The portal's routes, to nest under `/portal`.
pub fn routes() -> Router<AppState> {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let mut router = Router::new()
        .route("/", get(locks::index))
        .route("/static/portal.css", get(layout::stylesheet))
        .route("/static/portal.js", get(layout::script))
        .route("/signin", get(session::form).post(session::sign_in))
        .route("/signout", post(session::sign_out))
        .route("/switch", post(session::switch))
        .route("/locks/{lock}", get(locks::page))
        .route("/locks/{lock}/lockdown", post(locks::lockdown))
        .route("/locks/{lock}/keys", post(locks::send_key))
        .route("/locks/{lock}/windows", get(locks::windows))
        .route("/locks/{lock}/unlock", post(locks::unlock))
        .route("/keys/{key}/revoke", post(locks::revoke))
        .route("/keys/{key}/modify", post(locks::modify))
        .route("/keys/{key}/access", get(access::page).post(access::save))
        .route("/unlocks/{request}", get(locks::unlock_status))
        .route("/people", get(people::page))
        .route("/groups", get(people::groups).post(people::create_group))
        .route("/groups/{group}/delete", post(people::delete_group))
        .route("/activity", get(activity::page))
        .route("/activity.csv", get(activity::csv))
        .route("/webhooks", get(webhooks::page).post(webhooks::create))
        .route("/webhooks/{hook}", get(webhooks::deliveries))
        .route("/webhooks/{hook}/delete", post(webhooks::delete))
        .route("/notifications", get(notify::page).post(notify::enroll))
        .route("/notifications/{id}/delete", post(notify::unenroll))
        .route("/organization", get(org::page))
        .route("/organization/rotate", post(org::rotate));
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}

/// A signed-in person in one organization, as every portal page sees them.
pub struct Portal {
    ctx: Ctx,
    auth: Authenticated,
    pub user: UserRecord,
    /// The organization of the session.
    pub org: PortalOrganization,
    /// Every organization the person may open (for the switcher).
    pub orgs: Vec<PortalOrganization>,
    /// The CSRF token of this session, put in every form.
    pub csrf: String,
    /// The cookie's credentials, for the streamed export.
    credentials: (String, String),
}

impl Portal {
    pub fn state(&self) -> &AppState {
        &self.ctx.state
    }

    pub fn now(&self) -> i64 {
        self.ctx.state.now()
    }

    /// Calls an API function as the signed-in person.
    pub async fn call<T: DeserializeOwned>(&self, name: &str, body: Value) -> Result<T, ApiError> {
        self.call_as(self.auth.clone(), name, body).await
    }

    /// Calls an organization-level function (webhooks, API keys) with the organization's
    /// authority, recorded as the person; 119 for anyone who does not administer it.
    pub async fn call_org<T: DeserializeOwned>(
        &self,
        name: &str,
        body: Value,
    ) -> Result<T, ApiError> {
        let auth = self.organization_authority()?;
        self.call_as(auth, name, body).await
    }

    fn organization_authority(&self) -> Result<Authenticated, ApiError> {
        match (&self.auth, self.org.org_admin) {
            (Authenticated::Session { key, user_id, .. }, true) => Ok(Authenticated::Delegated {
                key: key.clone(),
                user_id: user_id.clone(),
            }),
            _ => Err(ApiError::forbidden(
                "Only administrators of the organization manage its webhooks and API keys.",
            )),
        }
    }

    async fn call_as<T: DeserializeOwned>(
        &self,
        auth: Authenticated,
        name: &str,
        body: Value,
    ) -> Result<T, ApiError> {
        let function = self
            .ctx
            .state
            .functions
            .get(name)
            .ok_or_else(|| ApiError::internal(format!("no function {name}")))?;
        let Value::Object(body) = body else {
            return Err(ApiError::internal("a portal call's body is not an object"));
        };
        let raw = function.call(self.ctx.clone(), auth, body).await?;
        serde_json::from_str(raw.get()).map_err(ApiError::internal)
    }

    /// Request headers carrying this session, for handlers shared with the API.
    fn api_headers(&self) -> HeaderMap {
        api_headers(&self.credentials.0, &self.credentials.1).unwrap_or_default()
    }
}

/// The API's credential headers for a key and a session token; `None` when a value
/// cannot be a header (it then matches nothing anyway).
fn api_headers(api_key: &str, token: &str) -> Option<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in [(headers::API_KEY, api_key), (headers::SESSION_TOKEN, token)] {
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            HeaderValue::from_str(value).ok()?,
        );
    }
    Some(map)
}

impl FromRequestParts<AppState> for Portal {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_sign_in = || Redirect::to("/portal/signin").into_response();
        let Some((api_key, token)) = cookie(&parts.headers, SESSION_COOKIE)
            .and_then(|v| v.split_once('|').map(|(k, t)| (k.to_owned(), t.to_owned())))
        else {
            return Err(to_sign_in());
        };
        let Some(api) = api_headers(&api_key, &token) else {
            return Err(to_sign_in());
        };
        let auth = match authenticate(state, &api, Access::Caller).await {
            Ok(auth @ Authenticated::Session { .. }) => auth,
            Ok(_) => return Err(to_sign_in()),
            Err(e) if e.code() == ErrorCode::Internal => return Err(layout::failure(&e)),
            Err(_) => return Err(signed_out(parts)),
        };
        let Authenticated::Session { key, user_id, .. } = &auth else {
            return Err(to_sign_in());
        };
        let loaded = async {
            let user = state.store.user(UserLookup::Id(user_id)).await?;
            let orgs = state.store.portal_organizations(user_id).await?;
            Ok::<_, ApiError>((user, orgs))
        };
        let (user, orgs) = loaded.await.map_err(|e| layout::failure(&e))?;
        let Some(org) = orgs.iter().find(|o| o.id == key.org_id).cloned() else {
            return Err(layout::nothing_to_administer());
        };
        let client_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
        Ok(Portal {
            ctx: Ctx {
                state: state.clone(),
                version: ApiVersion::CURRENT,
                client_ip,
            },
            csrf: csrf_token(&token),
            credentials: (api_key, token),
            auth,
            user,
            org,
            orgs,
        })
    }
}

/// A session that ended (signed out, expired, password changed): back to the sign-in
/// page, with the cookie cleared.
fn signed_out(parts: &Parts) -> Response {
    let mut response = Redirect::to("/portal/signin").into_response();
    set_cookie(&mut response, parts, SESSION_COOKIE, "", 0);
    response
}

/// The CSRF token of a session: derived from its token, which only the cookie holds.
fn csrf_token(session_token: &str) -> String {
    hex::encode(secret::digest(&format!(
        "latchkey-portal-csrf:{session_token}"
    )))
}

/// A form posted by a signed-in person, its CSRF token checked.
pub struct Posted {
    pub portal: Portal,
    pub fields: Fields,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let portal = Portal::from_request_parts(&mut parts, state).await?;
        let fields = Fields::read(Request::from_parts(parts, body), state).await?;
        if !secret::ct_eq(fields.get("csrf").as_bytes(), portal.csrf.as_bytes()) {
            return Err(layout::stale_form());
        }
        Ok(Posted { portal, fields })
    }
}

/// The fields of a posted form, in order (a name may repeat: checkboxes).
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    async fn read(req: Request, state: &AppState) -> Result<Fields, Response> {
        if req.method() != Method::POST {
            return Err(StatusCode::METHOD_NOT_ALLOWED.into_response());
        }
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Fields(fields))
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// The value of `name`, or `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// A checkbox.
    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

/// A cookie of the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// Sets (or with `max_age` 0, clears) a portal cookie: HttpOnly, SameSite=Strict, and
/// Secure when the request came over TLS (a trusted proxy's `X-Forwarded-Proto`).
fn set_cookie(response: &mut Response, parts: &Parts, name: &str, value: &str, max_age: i64) {
    let secure = parts
        .headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let cookie = format!(
        "{name}={value}; Path=/portal; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
