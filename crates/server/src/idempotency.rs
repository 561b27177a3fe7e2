//! `Idempotency-Key` (spec section 1): the same key with the same body within 24 hours
//! replays the first answer without doing the work again; with another body it is 422
//! (code 142). Keys are kept per organization and caller. While the first request runs,
//! a second one is told so (409, code 142). Answers the server failed to give (5xx) and
//! throttled ones (429) are not kept, so that a retry runs.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_api_types::ErrorCode;
use latchkey_core::secret::Digest32;
use latchkey_store::{Idempotency, IdempotencyClaim};
use sha2::{Digest, Sha256};

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::transport::Call;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// How long a key is remembered.
const KEPT_MS: i64 = 24 * 3_600_000;

/// Runs `call` once per key.
pub async fn once(call: Call, key: &HeaderValue) -> Response {
    match claim(&call, key) {
        Ok(claim) => run_claimed(call, claim).await,
        Err(e) => e.into_response(),
    }
}

fn claim(call: &Call, key: &HeaderValue) -> Result<IdempotencyClaim, ApiError> {
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=255).contains(&k.len()))
        .ok_or_else(|| {
            ApiError::invalid("Idempotency-Key", "must have 1 to 255 visible characters")
        })?;
    let (org_id, scope) = match &call.auth {
        Authenticated::KeyOnly(k) => (k.org_id.clone(), format!("key:{}", k.api_key)),
        Authenticated::Virtual(k) => (k.org_id.clone(), k.virtual_user_id.clone()),
        Authenticated::Session { key, user_id, .. } | Authenticated::Delegated { key, user_id } => {
            (key.org_id.clone(), user_id.clone())
        }
    };
    let mut hasher = Sha256::new();
    hasher.update(call.name.as_bytes());
    hasher.update([0]);
    hasher.update(&call.raw);
    let body_hash: Digest32 = hasher.finalize().into();
    let now = call.ctx.state.now();
    Ok(IdempotencyClaim {
        org_id,
        scope,
        key: key.to_owned(),
        body_hash,
        now,
        fresh_after: now - KEPT_MS,
    })
}

async fn run_claimed(call: Call, claim: IdempotencyClaim) -> Response {
    let state = call.ctx.state.clone();
    match state.store.claim_idempotency(&claim).await {
        Ok(Idempotency::Claimed) => {}
        Ok(Idempotency::Replay { status, response }) => return replay(status, response),
        Ok(Idempotency::Mismatch) => {
            return ApiError::new(
                ErrorCode::ValidationFailed,
                "This Idempotency-Key was used with another body.",
            )
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response();
        }
        Ok(Idempotency::InProgress) => {
            return ApiError::new(
                ErrorCode::ValidationFailed,
                "A request with this Idempotency-Key is still running; retry later.",
            )
            .with_status(StatusCode::CONFLICT)
            .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let response = call.run().await;
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        if let Err(e) = state.store.release_idempotency(&claim).await {
            tracing::warn!(error = %e, "an Idempotency-Key was not released");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::internal("the answer could not be kept").into_response();
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Err(e) = state
        .store
        .finish_idempotency(&claim, i64::from(status.as_u16()), &text)
        .await
    {
        tracing::warn!(error = %e, "an Idempotency-Key answer was not kept");
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn replay(status: i64, response: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut answer = (status, response).into_response();
    let headers = answer.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    answer
}
