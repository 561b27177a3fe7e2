//! Webhook deliveries, signed by the Standard Webhooks convention: headers
//! `webhook-id` (the same on every attempt), `webhook-timestamp` (Unix seconds) and
//! `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`,
//! keyed with the decoded secret).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use latchkey_store::JobRecord;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::outbox::{Outcome, Report, http_report};
use crate::state::AppState;

/// The job kind of a webhook delivery.
pub const KIND: &str = "webhook";

/// What a delivery job carries: the body is fixed when the event is fanned out, so
/// every attempt sends the same bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub id: String,
    pub webhook_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub seq: Option<i64>,
    pub body: String,
}

/// The `webhook-signature` header value for a message; `None` for a malformed secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// POSTs `body` to `url` signed with `secret`.
pub async fn post_signed(
    state: &AppState,
    url: &str,
    secret: &str,
    id: &str,
    body: &str,
) -> Report {
    let timestamp = state.now() / 1000;
    let Some(signature) = sign(secret, id, timestamp, body) else {
        return Report::abort("the signing secret is malformed");
    };
    let started = std::time::Instant::now();
    let result = state
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .map(|r| r.status());
    http_report(result, started.elapsed())
}

/// Delivers one event to its webhook.
pub async fn deliver(state: &AppState, job: &JobRecord) -> Report {
    let payload: Payload = match serde_json::from_str(&job.payload) {
        Ok(p) => p,
        Err(e) => return Report::abort(format!("malformed job: {e}")),
    };
    let webhooks = match state.store.webhooks(&job.org_id).await {
        Ok(w) => w,
        Err(e) => return Report::retry(format!("database: {e}")),
    };
    let Some(webhook) = webhooks.iter().find(|w| w.id == payload.webhook_id) else {
        return Report::abort("the webhook was deleted");
    };
    // Disabled after this event was queued for it: kept, with the rest of its queue.
    if webhook.disabled_at.is_some() {
        return Report {
            result: Outcome::Held,
            ..Report::default()
        };
    }
    post_signed(
        state,
        &webhook.url,
        &webhook.secret,
        &payload.id,
        &payload.body,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_like_the_standard_webhooks_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("not-a-secret", "id", 1, body), None);
    }
}
