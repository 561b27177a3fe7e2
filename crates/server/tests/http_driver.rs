//! The HTTP lock driver against a small relay started by the test on 127.0.0.1.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{Backend, TestServer, assert_api_error};
use latchkey_api_types::UnlockRequest;
use serde_json::{Value, json};

/// A relay: `/open` needs the bearer token and counts its calls; `/broken` answers 500,
/// `/slow` takes two seconds, `/moved` redirects to `/open`.
async fn relay() -> (String, Arc<AtomicUsize>) {
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    let app = Router::new()
        .route(
            "/open",
            post(move |headers: HeaderMap| {
                let count = count.clone();
                async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok())
                        != Some("Bearer relay-secret")
                    {
                        return StatusCode::UNAUTHORIZED;
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    StatusCode::OK
                }
            }),
        )
        .route(
            "/broken",
            post(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                StatusCode::OK
            }),
        )
        .route(
            "/moved",
            post(|| async { (StatusCode::FOUND, [("location", "/open")]) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, opened)
}

async fn lock(server: &TestServer, unlock_url: &str, lock_url: Option<&str>) -> String {
    let driver = json!({"kind": "http", "unlockUrl": unlock_url, "lockUrl": lock_url,
        "headers": {"Authorization": "Bearer relay-secret"}});
    let lock: Value = server
        .secret_client()
        .call(
            "registerLock",
            &json!({"shortName": "Relay", "timeZone": "UTC", "driver": driver}),
        )
        .await
        .unwrap();
    lock["lockId"].as_str().unwrap().to_owned()
}

async fn failed_status(server: &TestServer, body: Value) -> i64 {
    match server
        .secret_client()
        .call_value("performUnlock", &body)
        .await
    {
        Err(latchkey_client::Error::Api {
            status: 504, body, ..
        }) => {
            assert_eq!(body.code, 620);
            body.extra["status"].as_i64().unwrap()
        }
        other => panic!("expected 504/620, got {other:?}"),
    }
}

async fn a_relay_opens_and_its_failures_have_their_codes(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (url, opened) = relay().await;
    let door = lock(&server, &format!("{url}/open"), None).await;
    let done: UnlockRequest = server
        .secret_client()
        .call("performUnlock", &json!({"lockId": door}))
        .await
        .unwrap();
    assert_eq!((done.status, opened.load(Ordering::SeqCst)), (70, 1));
    assert_eq!(done.history.len(), 7);

    let broken = lock(&server, &format!("{url}/broken"), None).await;
    assert_eq!(
        failed_status(&server, json!({"lockId": broken})).await,
        700,
        "ERROR_UNLOCKING_TIMEOUT_HUB"
    );
    let moved = lock(&server, &format!("{url}/moved"), None).await;
    assert_eq!(
        failed_status(&server, json!({"lockId": moved})).await,
        700,
        "redirects are not followed"
    );
    assert_eq!(opened.load(Ordering::SeqCst), 1);

    let slow = lock(&server, &format!("{url}/slow"), None).await;
    let started = std::time::Instant::now();
    assert_eq!(
        failed_status(&server, json!({"lockId": slow, "timeoutMs": 200})).await,
        200
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the deadline ends the call"
    );

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = format!("http://{}/open", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = lock(&server, &gone, None).await;
    assert_eq!(
        failed_status(&server, json!({"lockId": unreachable})).await,
        200
    );

    match server
        .secret_client()
        .call_value("performLock", &json!({"lockId": door}))
        .await
    {
        Err(latchkey_client::Error::Api {
            status: 504, body, ..
        }) => assert_eq!(body.extra["status"], 210),
        other => panic!("no lockUrl: expected 504/620, got {other:?}"),
    }
}

async fn relay_settings_are_checked(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let secret = server.secret_client();
    for driver in [
        json!({"kind": "http", "unlockUrl": "ftp://relay/open"}),
        json!({"kind": "http", "unlockUrl": "not a url"}),
        json!({"kind": "http", "unlockUrl": "http://relay/open", "method": "OPEN SESAME"}),
        json!({"kind": "http", "unlockUrl": "http://relay/open", "headers": {"Bad Header": "x"}}),
    ] {
        let body = json!({"shortName": "Relay", "timeZone": "UTC", "driver": driver});
        assert_api_error(secret.call_value("registerLock", &body).await, 400, 142);
    }
    let unknown =
        json!({"shortName": "Relay", "timeZone": "UTC", "driver": {"kind": "carrier-pigeon"}});
    assert_api_error(secret.call_value("registerLock", &unknown).await, 400, 111);
}

both!(
    a_relay_opens_and_its_failures_have_their_codes,
    relay_settings_are_checked
);
