//! `GET /events`: unlock-request updates and audit entries as Server-Sent Events,
//! filtered and scoped to what the caller may see.

mod common;

use std::time::Duration;

use common::{Backend, TestServer};
use latchkey_api_types::Lock;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// Subscribes with these headers and query; answers the open response.
async fn subscribe(
    server: &TestServer,
    headers: &[(&str, &str)],
    query: &str,
) -> reqwest::Response {
    let mut request = server.http.get(format!("{}/events{query}", server.url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response
}

/// Reads `(event, data)` pairs until `done` says so, or two seconds pass without one.
async fn read_until(
    response: &mut reqwest::Response,
    done: impl Fn(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    while !done(&events) {
        let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_secs(2), response.chunk()).await
        else {
            break;
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    v.trim().clone_into(&mut name);
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if !name.is_empty() {
                events.push((name, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
        }
    }
    events
}

async fn lock(server: &TestServer) -> Lock {
    server
        .secret_client()
        .call("registerLock", &json!({"shortName": "Door", "timeZone": "UTC", "driver": {"kind": "simulated", "latencyMs": 0}}))
        .await
        .unwrap()
}

async fn unlock_statuses_and_entries_stream_to_the_subscriber(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let watched = lock(&server).await;
    let other = lock(&server).await;
    let headers = server.secret_headers();
    let mut response = subscribe(&server, &headers, &format!("?lockId={}", watched.lock_id)).await;
    let secret = server.secret_client();
    secret
        .call_value("performUnlock", &json!({"lockId": other.lock_id}))
        .await
        .unwrap();
    let done: Value = secret
        .call("performUnlock", &json!({"lockId": watched.lock_id}))
        .await
        .unwrap();
    let ended = |e: &[(String, Value)]| {
        let unlocked = e
            .iter()
            .any(|(n, v)| n == "unlockRequest" && v["status"] == 70);
        unlocked
            && e.iter()
                .any(|(n, v)| n == "activity" && v["type"] == "UNLOCK")
    };
    let events = read_until(&mut response, ended).await;
    let statuses: Vec<i64> = events
        .iter()
        .filter(|(n, _)| n == "unlockRequest")
        .map(|(_, v)| v["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [10, 20, 30, 40, 50, 60, 70], "{events:?}");
    assert!(
        events
            .iter()
            .all(|(_, v)| v["requestId"] == done["requestId"]),
        "only the watched lock: {events:?}"
    );
    let entry = &events.iter().find(|(n, _)| n == "activity").unwrap().1;
    assert_eq!(
        (
            entry["outcome"].as_str(),
            entry["hash"].as_str().map(str::len)
        ),
        (Some("SUCCESS"), Some(64))
    );
}

async fn a_session_sees_only_what_it_may(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (member, email) = server.sign_up(PASSWORD).await;
    let mine = lock(&server).await;
    let theirs = lock(&server).await;
    let secret = server.secret_client();
    secret
        .call_value(
            "sendKey",
            &json!({"lockId": mine.lock_id, "email": email, "canRemoteUnlock": true}),
        )
        .await
        .unwrap();
    let headers = [
        ("Nexkey-Api-Key", server.org.api_key.as_str()),
        ("Nexkey-Session-Token", member.session_token.as_str()),
    ];
    let mut response = subscribe(&server, &headers, "").await;
    secret
        .call_value("performUnlock", &json!({"lockId": theirs.lock_id}))
        .await
        .unwrap();
    let session = server.session_client(&member.session_token);
    session
        .call_value("performUnlock", &json!({"lockId": mine.lock_id}))
        .await
        .unwrap();
    let events = read_until(&mut response, |e| {
        e.iter()
            .any(|(n, v)| n == "activity" && v["type"] == "UNLOCK")
    })
    .await;
    assert!(!events.is_empty());
    for (_, v) in &events {
        let about_theirs = v["lockId"] == theirs.lock_id.as_str()
            || v["lock"]["objectId"] == theirs.object_id.as_str();
        assert!(
            !about_theirs,
            "a lock the member neither administers nor acted on: {v}"
        );
    }
    let anonymous = server
        .http
        .get(format!("{}/events", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

async fn a_subscriber_that_does_not_read_never_blocks_unlocks(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let door = lock(&server).await;
    let headers = server.secret_headers();
    let mut idle = subscribe(&server, &headers, "").await;
    let secret = server.secret_client();
    for _ in 0..200 {
        let done: Value = secret
            .call("performUnlock", &json!({"lockId": door.lock_id}))
            .await
            .unwrap();
        assert_eq!(done["status"], 70);
    }
    // What it reads now is still whole events, in order.
    let events = read_until(&mut idle, |e| e.len() >= 16).await;
    let statuses: Vec<i64> = events
        .iter()
        .take(7)
        .map(|(_, v)| v["status"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(statuses, [10, 20, 30, 40, 50, 60, 70]);
}

both!(
    unlock_statuses_and_entries_stream_to_the_subscriber,
    a_session_sees_only_what_it_may,
    a_subscriber_that_does_not_read_never_blocks_unlocks,
);
