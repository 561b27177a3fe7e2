//! Organization functions: `rotateApiSecret`.

use latchkey_api_types::{ApiSecret, RotateApiSecretRequest};
use latchkey_core::secret;
use latchkey_store::{SecretRotation, WriteSet};
use serde_json::json;

use crate::actor::Actor;
use crate::auth::{Caller, VirtualCaller};
use crate::error::ApiError;
use crate::provision::API_SECRET_PREFIX;
use crate::router::Ctx;

/// Longest grace period for the old secret: a week.
const MAX_GRACE_SECONDS: i64 = 7 * 86_400;

/// `rotateApiSecret` (secret only): replaces the API key's secret and shows the new one
/// once. The old secret keeps working for `graceSeconds` (default 0).
pub async fn rotate_api_secret(
    ctx: Ctx,
    who: VirtualCaller,
    req: RotateApiSecretRequest,
) -> Result<ApiSecret, ApiError> {
    let grace = req.grace_seconds.unwrap_or(0);
    if !(0..=MAX_GRACE_SECONDS).contains(&grace) {
        return Err(ApiError::invalid(
            "graceSeconds",
            format!("must be between 0 and {MAX_GRACE_SECONDS}"),
        ));
    }
    let api_secret = secret::new_secret(API_SECRET_PREFIX);
    let state = &ctx.state;
    let until = state.now() + grace * 1000;
    let org_id = who.org_id.clone();
    let api_key = who.api_key.clone();
    let actor = Actor::load(&ctx, Caller::Virtual(who)).await?;
    let changes = WriteSet {
        secret_rotation: Some(SecretRotation {
            api_key: api_key.clone(),
            new_secret: secret::digest(&api_secret),
            previous_valid_until: until,
        }),
        activity: vec![actor.entry(
            state.now(),
            "API_SECRET_ROTATED",
            None,
            Some(json!({"apiKey": api_key, "graceSeconds": grace})),
        )],
        ..WriteSet::default()
    };
    state.apply(&org_id, &changes).await?;
    state.api_keys.forget(&api_key);
    tracing::info!(api_key = %api_key, grace_seconds = grace, "API secret rotated");
    Ok(ApiSecret { api_secret })
}
