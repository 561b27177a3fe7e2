//! An HTTP endpoint of the test's own that records every request and answers from a
//! script: webhooks, push devices, and the FCM, APNs and SMS services as they answer.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Wait, then answer 200.
    Slow(Duration),
    /// Never answer.
    Hang,
    Json(u16, serde_json::Value),
}

#[derive(Debug, Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Answer>>,
    default: Mutex<Option<Answer>>,
    arrived: Notify,
}

/// A running receiver; it stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Starts one that answers `default` unless a scripted answer is due.
    pub async fn start(default: Answer) -> Receiver {
        let shared = Arc::new(Shared::default());
        *shared.default.lock().unwrap() = Some(default);
        let state = shared.clone();
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let shared = state.clone();
            async move { answer(&shared, uri, headers, body).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, shared }
    }

    /// The next requests are answered with these, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.script.lock().unwrap().extend(answers);
    }

    pub fn set_default(&self, answer: Answer) {
        *self.shared.default.lock().unwrap() = Some(answer);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.shared.arrived.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::timeout_at(deadline, notified).await.is_ok(),
                "expected {n} requests, got {}: {:?}",
                got.len(),
                got.iter().map(|r| &r.body).collect::<Vec<_>>()
            );
        }
    }
}

async fn answer(shared: &Shared, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    shared.received.lock().unwrap().push(Received {
        path: uri.to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    shared.arrived.notify_waiters();
    let next = shared.script.lock().unwrap().pop_front();
    let answer = next.unwrap_or_else(|| shared.default.lock().unwrap().clone().unwrap());
    match answer {
        Answer::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Answer::Slow(wait) => {
            tokio::time::sleep(wait).await;
            StatusCode::OK.into_response()
        }
        Answer::Hang => std::future::pending().await,
        Answer::Json(code, value) => {
            (StatusCode::from_u16(code).unwrap(), axum::Json(value)).into_response()
        }
    }
}

/// Checks a Standard Webhooks signature the way a receiver would; answers the body.
pub fn verify(secret: &str, request: &Received) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use hmac::{Hmac, Mac};
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let signed = format!(
        "{}.{}.{}",
        request.header("webhook-id"),
        request.header("webhook-timestamp"),
        request.body
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    request
        .header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}
