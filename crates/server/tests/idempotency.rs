//! `Idempotency-Key`: the same key and body replay the first answer without doing the
//! work again; another body is 422; keys are per caller and last 24 hours.

mod common;

use std::time::Duration;

use common::{Backend, TestServer};
use serde_json::{Value, json};

async fn unlock(server: &TestServer, headers: &[(&str, &str)], lock: &str) -> common::Raw {
    server
        .raw(
            "/performUnlock",
            headers,
            json!({"lockId": lock}).to_string(),
        )
        .await
}

async fn unlock_entries(server: &TestServer) -> usize {
    let entries: Vec<Value> = server
        .secret_client()
        .call("getActivity", &json!({"types": ["UNLOCK"]}))
        .await
        .unwrap();
    entries.len()
}

async fn a_key_replays_its_first_answer(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock: Value = server
        .secret_client()
        .call("registerLock", &json!({"shortName": "Door", "timeZone": "UTC", "driver": {"kind": "simulated", "latencyMs": 0}}))
        .await
        .unwrap();
    let lock_id = lock["lockId"].as_str().unwrap();
    let mut headers = server.secret_headers().to_vec();
    headers.push(("Idempotency-Key", "order-7"));

    let first = unlock(&server, &headers, lock_id).await;
    let again = unlock(&server, &headers, lock_id).await;
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(first.body, again.body, "the same answer");
    assert!(!first.headers.contains_key("idempotent-replayed"));
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(unlock_entries(&server).await, 1, "the door opened once");

    let other_body = server
        .raw(
            "/performUnlock",
            &headers,
            json!({"lockId": lock_id, "wait": false}).to_string(),
        )
        .await;
    other_body.assert_error(422, 142);

    // Errors are answers too: the same refusal is replayed.
    let mut missing = server.secret_headers().to_vec();
    missing.push(("Idempotency-Key", "order-8"));
    let refused = unlock(&server, &missing, "NoSuchLock").await;
    refused.assert_error(404, 101);
    let replayed = unlock(&server, &missing, "NoSuchLock").await;
    replayed.assert_error(404, 101);
    assert_eq!(replayed.headers["idempotent-replayed"], "true");

    // Another caller has keys of its own.
    let signed = server.sign_up("correct horse battery").await.0;
    let session = [
        ("Nexkey-Api-Key", server.org.api_key.as_str()),
        ("Nexkey-Session-Token", signed.session_token.as_str()),
        ("Idempotency-Key", "order-7"),
    ];
    let theirs = server.raw("/getCurrentUser", &session, "").await;
    assert_eq!(
        (theirs.status, theirs.body["result"]["objectId"].as_str()),
        (200, Some(signed.user.object_id.as_str()))
    );

    // A day later the key is forgotten.
    server
        .state
        .clock
        .advance(Duration::from_secs(24 * 3600 + 1));
    let later = unlock(&server, &headers, lock_id).await;
    assert_eq!(later.status, 200);
    assert_ne!(
        later.body["result"]["requestId"],
        first.body["result"]["requestId"]
    );
    assert_eq!(unlock_entries(&server).await, 2);

    let long = "k".repeat(256);
    let mut bad = server.secret_headers().to_vec();
    bad.push(("Idempotency-Key", long.as_str()));
    unlock(&server, &bad, lock_id).await.assert_error(400, 142);
}

both!(a_key_replays_its_first_answer);
