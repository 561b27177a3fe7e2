//! The transport of spec section 1: `POST /rest/functions/{name}` and `POST /{name}`,
//! a JSON object body of at most 64 KiB (empty means `{}`), the version header, and the
//! `{"result": …}` envelope. Checks run in this order: unknown function (404), body
//! (413/107), version (605), credentials (601–604, 209), then the handler.

use std::net::{IpAddr, SocketAddr};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_api_types::{Envelope, ErrorCode, headers};
use latchkey_core::version::ApiVersion;
use serde_json::{Map, Value};

use crate::auth::{Authenticated, authenticate};
use crate::config::Settings;
use crate::error::ApiError;
use crate::idempotency::{self, IDEMPOTENCY_KEY};
use crate::router::Ctx;
use crate::state::AppState;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Serves one function call.
pub async fn call_function(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    tracing::Span::current().record("function", name.as_str());
    let call = match prepare(state, &name, client, &headers, body).await {
        Ok(call) => call,
        Err(e) => return e.into_response(),
    };
    match headers.get(IDEMPOTENCY_KEY) {
        None => call.run().await,
        Some(key) => idempotency::once(call, key).await,
    }
}

/// A call whose body, version and credentials have been checked.
pub(crate) struct Call {
    pub name: String,
    pub ctx: Ctx,
    pub auth: Authenticated,
    pub body: Map<String, Value>,
    /// The body as sent, for `Idempotency-Key`.
    pub raw: Bytes,
}

impl Call {
    /// Runs the function and answers `{"result": …}` or the error.
    pub async fn run(self) -> Response {
        let version = self.ctx.version;
        let functions = self.ctx.state.functions.clone();
        let Some(function) = functions.get(&self.name) else {
            return ApiError::new(ErrorCode::UnknownFunction, "Unknown function.").into_response();
        };
        match function.call(self.ctx, self.auth, self.body).await {
            Ok(result) => {
                let mut response = axum::Json(Envelope { result }).into_response();
                if let Ok(v) = HeaderValue::from_str(&version.to_string()) {
                    response.headers_mut().insert(headers::API_VERSION, v);
                }
                response
            }
            Err(e) => e.into_response(),
        }
    }
}

async fn prepare(
    state: AppState,
    name: &str,
    client: SocketAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Call, ApiError> {
    let function = state.functions.get(name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownFunction,
            format!("Unknown function {name:?}."),
        )
    })?;
    let raw = read_bytes(body).await?;
    let body = parse_body(&raw)?;
    let version = negotiate_version(headers, &body)?;
    let auth = authenticate(&state, headers, function.access).await?;
    let client_ip = client_address(&state.settings, headers, client);
    Ok(Call {
        name: name.to_owned(),
        ctx: Ctx {
            state,
            version,
            client_ip,
        },
        auth,
        body,
        raw,
    })
}

/// The client's address: the TCP peer, or behind a trusted proxy the last address of
/// `X-Forwarded-For`.
fn client_address(settings: &Settings, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if !settings.auth.trust_forwarded_for {
        return peer.ip();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer.ip())
}

async fn read_bytes(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ApiError::new(ErrorCode::InvalidJson, "The body is larger than 64 KiB.")
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    })
}

fn parse_body(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(ApiError::new(
            ErrorCode::InvalidJson,
            "The body must be a JSON object.",
        )),
    }
}

/// The version the request is served as: the `Nexkey-Api-Version` header, else the
/// legacy `APINumber` header or body field, else the current version.
fn negotiate_version(
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> Result<ApiVersion, ApiError> {
    let unsupported = |sent: &str| {
        ApiError::new(
            ErrorCode::UnsupportedVersion,
            format!("Unsupported API version {sent:?}: send 2.0.0 to 5.x.y in Nexkey-Api-Version."),
        )
    };
    if let Some(value) = headers.get(headers::API_VERSION) {
        let text = value.to_str().unwrap_or_default();
        return ApiVersion::parse_header(text).ok_or_else(|| unsupported(text));
    }
    let legacy = match (
        headers.get(headers::API_NUMBER),
        body.get(headers::API_NUMBER),
    ) {
        (Some(h), _) => Some(h.to_str().unwrap_or_default().to_owned()),
        (None, Some(Value::String(s))) => Some(s.clone()),
        (None, Some(Value::Number(n))) => Some(n.to_string()),
        (None, Some(other)) => Some(other.to_string()),
        (None, None) => None,
    };
    match legacy {
        Some(text) => ApiVersion::from_api_number(&text).ok_or_else(|| unsupported(&text)),
        None => Ok(ApiVersion::CURRENT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(
        headers: &[(&'static str, &'static str)],
        body: &Value,
    ) -> Result<String, ErrorCode> {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_static(v));
        }
        negotiate_version(&map, body.as_object().unwrap())
            .map(|v| v.to_string())
            .map_err(|e| e.code())
    }

    #[test]
    fn the_header_wins_then_legacy_then_current() {
        assert_eq!(version(&[], &json!({})), Ok("5.0.0".into()));
        assert_eq!(
            version(
                &[("nexkey-api-version", "3.2.1")],
                &json!({"APINumber": "2"})
            ),
            Ok("3.2.1".into())
        );
        assert_eq!(
            version(&[("apinumber", "2")], &json!({})),
            Ok("2.0.0".into())
        );
        assert_eq!(version(&[], &json!({"APINumber": 2.0})), Ok("2.0.0".into()));
        assert_eq!(version(&[], &json!({"APINumber": "2"})), Ok("2.0.0".into()));
    }

    #[test]
    fn anything_else_is_605() {
        let unsupported = Err(ErrorCode::UnsupportedVersion);
        assert_eq!(
            version(&[("nexkey-api-version", "6.0.0")], &json!({})),
            unsupported
        );
        assert_eq!(version(&[], &json!({"APINumber": "9"})), unsupported);
        assert_eq!(version(&[], &json!({"APINumber": true})), unsupported);
    }
}
