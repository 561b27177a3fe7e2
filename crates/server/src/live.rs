//! `GET /events`: Server-Sent Events of unlock-request updates (`event: unlockRequest`)
//! and new audit entries (`event: activity`) the caller may see, filtered by `lockId`
//! and `requestId`. Same credentials as the API. With the secret, everything of the
//! organization; with a session, what concerns the locks the user administers (as of
//! the subscription) and the user's own actions. A subscriber that falls behind the
//! channel is disconnected; unlocks never wait for it.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use latchkey_api_types::ErrorCode;
use latchkey_core::role::Role;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{Access, Caller, Principal, authenticate};
use crate::error::ApiError;
use crate::events::Event;
use crate::state::AppState;

/// The filters of a subscription.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsQuery {
    lock_id: Option<String>,
    request_id: Option<String>,
}

/// What one subscriber receives.
#[derive(Debug)]
struct Subscription {
    org_id: String,
    lock_id: Option<String>,
    request_id: Option<String>,
    /// `None` for the secret: everything of the organization.
    session: Option<(String, HashSet<String>)>,
}

impl Subscription {
    fn wants(&self, event: &Event) -> bool {
        let filtered = event.org_id == self.org_id
            && self
                .lock_id
                .as_ref()
                .is_none_or(|l| event.lock_id.as_ref() == Some(l))
            && self
                .request_id
                .as_ref()
                .is_none_or(|r| event.request_id.as_ref() == Some(r));
        filtered
            && match &self.session {
                None => true,
                Some((user_id, administered)) => {
                    event.initiator_id == *user_id
                        || event
                            .lock_id
                            .as_ref()
                            .is_some_and(|l| administered.contains(l))
                }
            }
    }
}

pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Response {
    match subscribe(&state, &headers, query).await {
        Ok(subscription) => stream_events(state.events.subscribe(), subscription).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn subscribe(
    state: &AppState,
    headers: &HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Subscription, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.body_text()))?;
    let caller = Caller::from_authenticated(authenticate(state, headers, Access::Caller).await?)?;
    let lock_id = match &query.lock_id {
        Some(reference) => Some(state.store.lock(caller.org_id(), reference).await?.id),
        None => None,
    };
    let session = match &caller {
        Caller::Virtual(_) => None,
        Caller::Session(s) => {
            let locks = state
                .store
                .locks_page(&s.org_id, &s.user_id, false, None, 10_000)
                .await?;
            let administered = locks
                .into_iter()
                .filter(|(_, role)| role.and_then(Role::from_id).is_some_and(Role::is_admin))
                .map(|(lock, _)| lock.id)
                .collect();
            Some((s.user_id.clone(), administered))
        }
    };
    Ok(Subscription {
        org_id: caller.org_id().to_owned(),
        lock_id,
        request_id: query.request_id,
        session,
    })
}

fn stream_events(
    receiver: tokio::sync::broadcast::Receiver<Arc<Event>>,
    subscription: Subscription,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let subscription = Arc::new(subscription);
    let events = stream::unfold(receiver, move |mut receiver| {
        let subscription = subscription.clone();
        async move {
            loop {
                match receiver.recv().await {
                    Ok(event) if subscription.wants(&event) => {
                        let sse = SseEvent::default()
                            .event(event.kind.as_str())
                            .data(&*event.data);
                        return Some((Ok(sse), receiver));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        tracing::info!(missed, "an /events subscriber fell behind and was dropped");
                        return None;
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use tokio::sync::broadcast;

    fn event(n: usize) -> Arc<Event> {
        Arc::new(Event {
            kind: crate::events::Kind::Activity,
            org_id: "org".into(),
            lock_id: None,
            request_id: None,
            initiator_id: "someone".into(),
            data: format!("{{\"n\":{n}}}").into(),
        })
    }

    fn everything() -> Subscription {
        Subscription {
            org_id: "org".into(),
            lock_id: None,
            request_id: None,
            session: None,
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_fell_behind_is_dropped() {
        let (sender, receiver) = broadcast::channel(4);
        let sse = stream_events(receiver, everything());
        for n in 0..10 {
            sender.send(event(n)).unwrap();
        }
        let mut body = sse.into_response().into_body().into_data_stream();
        // The stream ends at once, without the events it missed or the ones after.
        let first = tokio::time::timeout(std::time::Duration::from_secs(1), body.next()).await;
        assert!(matches!(first, Ok(None)), "{first:?}");
    }

    #[tokio::test]
    async fn a_subscriber_that_keeps_up_gets_every_event_of_its_organization() {
        let (sender, receiver) = broadcast::channel(16);
        let mut body = stream_events(receiver, everything())
            .into_response()
            .into_body()
            .into_data_stream();
        let mut other = (*event(99)).clone();
        other.org_id = "another".into();
        sender.send(Arc::new(other)).unwrap();
        sender.send(event(1)).unwrap();
        let chunk = body.next().await.unwrap().unwrap();
        let text = String::from_utf8_lossy(&chunk);
        assert!(
            text.contains("event: activity") && text.contains("\"n\":1"),
            "{text}"
        );
    }
}
