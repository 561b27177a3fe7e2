//! Webhook functions (secret only: webhooks belong to the organization): `createWebhook`,
//! `getWebhooks`, `deleteWebhook`, `enableWebhook`, `getWebhookDeliveries`.

use latchkey_api_types::{
    ACTIVITY_TYPES, Attempt, CreateWebhookRequest, Delivery, Empty, ErrorCode,
    GetDeliveriesRequest, Webhook, WebhookRequest,
};
use latchkey_core::ids::new_object_id;
use latchkey_core::time::format_millis;
use latchkey_store::{JobState, WebhookRecord, WriteSet};
use serde_json::json;

use crate::actor::Actor;
use crate::auth::{Caller, VirtualCaller};
use crate::error::ApiError;
use crate::functions::required;
use crate::outbox::{new_signing_secret, webhook};
use crate::router::Ctx;

/// Webhooks per organization.
const MAX_WEBHOOKS: usize = 100;
const MAX_URL: usize = 2000;
const MAX_DESCRIPTION: usize = 500;

/// `createWebhook`: an endpoint for the organization's activity entries of `events`
/// (types, or `*`). The signing secret is shown once.
pub async fn create_webhook(
    ctx: Ctx,
    who: VirtualCaller,
    req: CreateWebhookRequest,
) -> Result<Webhook, ApiError> {
    let url = check_url(required(req.url, "url")?.trim())?;
    let events = required(req.events, "events")?;
    if events.is_empty() {
        return Err(ApiError::invalid(
            "events",
            "must name at least one activity type, or \"*\"",
        ));
    }
    if let Some(bad) = events
        .iter()
        .find(|e| *e != "*" && !ACTIVITY_TYPES.contains(&e.as_str()))
    {
        return Err(ApiError::invalid(
            "events",
            format!("{bad:?} is not an activity type (or \"*\")"),
        ));
    }
    let mut events: Vec<String> = events;
    events.sort();
    events.dedup();
    let description = req
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        return Err(ApiError::invalid(
            "description",
            format!("may be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    let state = &ctx.state;
    if state.store.webhooks(&who.org_id).await?.len() >= MAX_WEBHOOKS {
        return Err(ApiError::invalid(
            "url",
            format!("an organization may have at most {MAX_WEBHOOKS} webhooks"),
        ));
    }
    let now = state.now();
    let record = WebhookRecord {
        id: new_object_id(),
        org_id: who.org_id.clone(),
        url,
        events: serde_json::to_string(&events).map_err(ApiError::internal)?,
        description,
        secret: new_signing_secret(),
        disabled_at: None,
        created_at: now,
    };
    let org_id = who.org_id.clone();
    let actor = Actor::load(&ctx, Caller::Virtual(who)).await?;
    let changes = WriteSet {
        activity: vec![actor.entry(
            now,
            "WEBHOOK_CREATED",
            None,
            Some(json!({"webhookId": record.id, "url": record.url, "events": events})),
        )],
        webhooks_insert: vec![record.clone()],
        ..WriteSet::default()
    };
    state.apply(&org_id, &changes).await?;
    let mut view = view(&record);
    view.secret = Some(record.secret);
    Ok(view)
}

/// `getWebhooks`: the organization's webhooks, without their secrets.
pub async fn get_webhooks(
    ctx: Ctx,
    who: VirtualCaller,
    _req: Empty,
) -> Result<Vec<Webhook>, ApiError> {
    let hooks = ctx.state.store.webhooks(&who.org_id).await?;
    Ok(hooks.iter().map(view).collect())
}

/// `deleteWebhook`: the endpoint and its queue.
pub async fn delete_webhook(
    ctx: Ctx,
    who: VirtualCaller,
    req: WebhookRequest,
) -> Result<Empty, ApiError> {
    let hook = find(&ctx, &who, req.webhook_id).await?;
    let org_id = who.org_id.clone();
    let actor = Actor::load(&ctx, Caller::Virtual(who)).await?;
    let changes = WriteSet {
        activity: vec![actor.entry(
            ctx.state.now(),
            "WEBHOOK_DELETED",
            None,
            Some(json!({"webhookId": hook.id, "url": hook.url})),
        )],
        webhooks_delete: vec![hook.id],
        ..WriteSet::default()
    };
    ctx.state.apply(&org_id, &changes).await?;
    Ok(Empty {})
}

/// `enableWebhook` [L]: turns a webhook that was disabled after failing for the whole
/// retry schedule back on; its kept queue is sent, in order.
pub async fn enable_webhook(
    ctx: Ctx,
    who: VirtualCaller,
    req: WebhookRequest,
) -> Result<Webhook, ApiError> {
    let hook = find(&ctx, &who, req.webhook_id).await?;
    let state = &ctx.state;
    state
        .store
        .enable_webhook(&who.org_id, &hook.id, state.now())
        .await?;
    state.outbox.wake();
    let hook = find(&ctx, &who, Some(hook.id)).await?;
    Ok(view(&hook))
}

/// `getWebhookDeliveries`: the latest events sent to a webhook (default 50, at most
/// 1000), newest first, each with its attempts.
pub async fn get_webhook_deliveries(
    ctx: Ctx,
    who: VirtualCaller,
    req: GetDeliveriesRequest,
) -> Result<Vec<Delivery>, ApiError> {
    let limit = req.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            "limit must be between 1 and 1000.",
        ));
    }
    let hook = find(&ctx, &who, req.webhook_id).await?;
    let jobs = ctx
        .state
        .store
        .queue_jobs(&format!("webhook:{}", hook.id), limit)
        .await?;
    let mut deliveries = Vec::with_capacity(jobs.len());
    for (job, attempts) in jobs {
        let payload: webhook::Payload =
            serde_json::from_str(&job.payload).map_err(ApiError::internal)?;
        deliveries.push(Delivery {
            object_id: payload.id,
            event_type: payload.event_type,
            seq: payload.seq,
            state: match job.state {
                JobState::Queued => "QUEUED",
                JobState::Running => "SENDING",
                JobState::Done => "DELIVERED",
                JobState::Dead => "FAILED",
                JobState::Held => "HELD",
            }
            .into(),
            next_attempt_at: (job.state == JobState::Queued).then(|| format_millis(job.run_at)),
            attempts: attempts
                .iter()
                .map(|a| Attempt {
                    at: format_millis(a.at),
                    status_code: a.status_code,
                    duration_ms: a.duration_ms,
                    error: a.error.clone(),
                })
                .collect(),
            created_at: format_millis(job.created_at),
        });
    }
    Ok(deliveries)
}

async fn find(
    ctx: &Ctx,
    who: &VirtualCaller,
    id: Option<String>,
) -> Result<WebhookRecord, ApiError> {
    let id = required(id, "webhookId")?;
    ctx.state
        .store
        .webhooks(&who.org_id)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(ApiError::not_found)
}

/// Only absolute `http` and `https` URLs with a host.
pub fn check_url(url: &str) -> Result<String, ApiError> {
    if url.len() > MAX_URL {
        return Err(ApiError::invalid(
            "url",
            format!("may be at most {MAX_URL} characters"),
        ));
    }
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| ApiError::invalid("url", "must be an absolute http or https URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ApiError::invalid(
            "url",
            "must be an absolute http or https URL",
        ));
    }
    Ok(parsed.to_string())
}

fn view(w: &WebhookRecord) -> Webhook {
    Webhook {
        object_id: w.id.clone(),
        url: w.url.clone(),
        events: serde_json::from_str(&w.events).unwrap_or_default(),
        description: w.description.clone(),
        enabled: w.disabled_at.is_none(),
        disabled_at: w.disabled_at.map(format_millis),
        secret: None,
        created_at: format_millis(w.created_at),
    }
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn only_http_urls_with_a_host() {
        assert!(check_url("https://example.com/hook").is_ok());
        assert!(check_url("http://127.0.0.1:9000/x?y=1").is_ok());
        for bad in [
            "ftp://example.com",
            "file:///etc/passwd",
            "example.com/hook",
            "http://",
            "",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
