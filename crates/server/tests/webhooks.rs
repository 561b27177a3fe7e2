//! Webhooks through the durable outbox: signed deliveries, retries on the schedule (the
//! clock is moved, nothing sleeps through a backoff), order per endpoint, an endpoint
//! disabled after the schedule with its queue kept, and the checks of the functions.

#![allow(clippy::too_many_lines)]

mod common;

use std::time::Duration;

use common::receiver::{Answer, Receiver, verify};
use common::{Backend, TestServer};
use latchkey_api_types::{Delivery, Lock, Webhook};
use latchkey_server::Settings;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

fn quick_outbox(retry_seconds: Vec<u64>) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.outbox.poll_ms = 20;
        s.outbox.retry_seconds = retry_seconds;
    }
}

async fn door(server: &TestServer) -> Lock {
    server
        .secret_client()
        .call(
            "registerLock",
            &json!({"shortName": "Door", "timeZone": "UTC",
                    "driver": {"kind": "simulated", "latencyMs": 0}}),
        )
        .await
        .unwrap()
}

async fn create(server: &TestServer, url: &str, events: Value) -> Webhook {
    server
        .secret_client()
        .call("createWebhook", &json!({"url": url, "events": events}))
        .await
        .unwrap()
}

async fn unlock(server: &TestServer, lock: &Lock, command: &str) {
    let done: Value = server
        .secret_client()
        .call(command, &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!(done["success"], true);
}

async fn deliveries(server: &TestServer, hook: &Webhook) -> Vec<Delivery> {
    server
        .secret_client()
        .call(
            "getWebhookDeliveries",
            &json!({"webhookId": hook.object_id}),
        )
        .await
        .unwrap()
}

/// Asserts an API error with this status and code whose message mentions `mention`.
fn refused<T: std::fmt::Debug>(
    result: latchkey_client::Result<T>,
    status: u16,
    code: i64,
    mention: &str,
) {
    match result {
        Err(latchkey_client::Error::Api {
            status: s, body, ..
        }) => {
            assert_eq!((s, body.code), (status, code), "{}", body.error);
            assert!(
                body.error.contains(mention),
                "{:?} names {mention}",
                body.error
            );
        }
        other => panic!("expected error {code} (HTTP {status}), got {other:?}"),
    }
}

/// Moves the server's clock past a retry wait (±20% jitter) and wakes its worker.
fn pass(server: &TestServer, seconds: u64) {
    server
        .state
        .clock
        .advance(Duration::from_secs(seconds * 13 / 10));
    server.state.outbox.wake();
}

async fn an_unlock_is_delivered_signed(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, quick_outbox(vec![60])).await else {
        return;
    };
    let receiver = Receiver::start(Answer::Status(204)).await;
    let hook = create(
        &server,
        &format!("{}/hooks/latchkey", receiver.url),
        json!(["UNLOCK"]),
    )
    .await;
    let secret = hook.secret.clone().expect("the secret is shown once");
    assert!(secret.starts_with("whsec_"));
    assert!(hook.enabled);
    let lock = door(&server).await;
    unlock(&server, &lock, "performUnlock").await;
    let got = receiver.wait_for(1, WAIT).await;
    let request = &got[0];
    assert_eq!(request.path, "/hooks/latchkey");
    assert!(verify(&secret, request), "the signature verifies");
    let mut forged = request.clone();
    forged.body = forged.body.replace("UNLOCK", "LOCK");
    assert!(!verify(&secret, &forged), "a changed body does not verify");
    let timestamp: i64 = request.header("webhook-timestamp").parse().unwrap();
    assert!((timestamp - server.state.now() / 1000).abs() < 60);
    assert!(request.header("webhook-id").starts_with("msg_"));
    let body = request.json();
    assert_eq!(body["type"], "UNLOCK");
    let entry = &body["data"];
    assert_eq!(entry["type"], "UNLOCK");
    assert_eq!(entry["lock"]["lockId"], lock.lock_id.as_str());
    let log: Vec<Value> = server
        .secret_client()
        .call("getActivity", &json!({"types": ["UNLOCK"]}))
        .await
        .unwrap();
    assert_eq!(
        entry, &log[0],
        "the data is the activity entry, hash included"
    );
    // Other types are not sent to this webhook, and the secret is not shown again.
    unlock(&server, &lock, "performLock").await;
    let hooks: Vec<Webhook> = server
        .secret_client()
        .call("getWebhooks", &json!({}))
        .await
        .unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].secret, None);
    let log = wait_until_delivered(&server, &hook, 1).await;
    assert_eq!(log[0].attempts.len(), 1);
    assert_eq!(log[0].attempts[0].status_code, Some(204));
    assert_eq!(log[0].object_id, request.header("webhook-id"));
    assert_eq!(receiver.received().len(), 1, "no LOCK delivery");
    // The delivery log is pruned of what is older than `outbox.keep_days`.
    let store = &server.state.store;
    let now = server.state.now();
    assert_eq!(store.prune_jobs(now - 86_400_000).await.unwrap(), 0);
    assert!(store.prune_jobs(now + 1).await.unwrap() >= 1);
    assert!(deliveries(&server, &hook).await.is_empty());
}

async fn a_webhook_gets_only_what_happens_after_it_is_created(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, quick_outbox(vec![60])).await else {
        return;
    };
    let lock = door(&server).await;
    unlock(&server, &lock, "performUnlock").await;
    let receiver = Receiver::start(Answer::Status(200)).await;
    create(&server, &receiver.url, json!(["UNLOCK"])).await;
    unlock(&server, &lock, "performUnlock").await;
    let got = receiver.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "only the unlock after the webhook was created"
    );
    assert_eq!(got[0].json()["data"]["seq"], 4);
}

async fn wait_until_delivered(server: &TestServer, hook: &Webhook, n: usize) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let log = deliveries(server, hook).await;
        if log.iter().filter(|d| d.state == "DELIVERED").count() >= n {
            return log;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered: {log:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `events` deliveries are queued with `n` attempts made in all.
async fn wait_for_attempts(
    server: &TestServer,
    hook: &Webhook,
    events: usize,
    n: usize,
) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let log = deliveries(server, hook).await;
        let attempts: usize = log.iter().map(|d| d.attempts.len()).sum();
        if log.len() >= events && attempts >= n && log.iter().all(|d| d.state != "SENDING") {
            return log;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} attempts: {log:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_failing_endpoint_gets_the_event_once_more_then_later_ones_in_order(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, quick_outbox(vec![60, 60, 60, 60])).await
    else {
        return;
    };
    let receiver = Receiver::start(Answer::Status(200)).await;
    receiver.script([
        Answer::Status(500),
        Answer::Status(503),
        Answer::Status(302),
    ]);
    let hook = create(&server, &receiver.url, json!(["UNLOCK", "LOCK"])).await;
    let lock = door(&server).await;
    unlock(&server, &lock, "performUnlock").await;
    receiver.wait_for(1, WAIT).await;
    // A later event waits behind the failing one.
    unlock(&server, &lock, "performLock").await;
    let log = wait_for_attempts(&server, &hook, 2, 1).await;
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].event_type.as_str(), log[0].state.as_str()),
        ("LOCK", "QUEUED")
    );
    assert!(log[0].attempts.is_empty());
    assert_eq!(log[1].state, "QUEUED");
    assert_eq!(log[1].attempts[0].status_code, Some(500));
    assert!(log[1].next_attempt_at.is_some());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "nothing before the retry time"
    );
    for attempts in 2..=4 {
        // The failed attempt is recorded (with its retry time) before the clock moves.
        wait_for_attempts(&server, &hook, 2, attempts - 1).await;
        pass(&server, 60);
        receiver.wait_for(attempts, WAIT).await;
    }
    let got = receiver.wait_for(5, WAIT).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got_all = receiver.received();
    assert_eq!(
        got_all.len(),
        5,
        "the event once more after its failures, then the next"
    );
    let ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert!(
        ids[..4].iter().all(|id| *id == ids[0]),
        "one message id per event: {ids:?}"
    );
    assert_ne!(ids[4], ids[0]);
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, ["UNLOCK", "UNLOCK", "UNLOCK", "UNLOCK", "LOCK"]);
    let log = wait_until_delivered(&server, &hook, 2).await;
    let codes: Vec<Option<i64>> = log[1].attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(503), Some(302), Some(200)]);
    assert!(
        log[1].attempts[2]
            .error
            .as_deref()
            .unwrap()
            .contains("redirects are not followed")
    );
    assert!(log[1].attempts.iter().all(|a| a.duration_ms >= 0));
}

async fn an_endpoint_failing_the_whole_schedule_is_disabled_and_keeps_its_queue(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, quick_outbox(vec![60])).await else {
        return;
    };
    let receiver = Receiver::start(Answer::Status(500)).await;
    let hook = create(&server, &receiver.url, json!(["*"])).await;
    // A `*` webhook's first event is its own creation.
    wait_for_attempts(&server, &hook, 1, 1).await;
    pass(&server, 60);
    receiver.wait_for(2, WAIT).await; // its last attempt
    let lock = door(&server).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let hooks = loop {
        let hooks: Vec<Webhook> = server
            .secret_client()
            .call("getWebhooks", &json!({}))
            .await
            .unwrap();
        if !hooks[0].enabled {
            break hooks;
        }
        assert!(tokio::time::Instant::now() < deadline, "not disabled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(hooks[0].disabled_at.is_some());
    // Events keep being queued, held.
    unlock(&server, &lock, "performUnlock").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let log = deliveries(&server, &hook).await;
        if log.len() == 3 {
            assert!(log.iter().all(|d| d.state == "HELD"), "{log:?}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{log:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pass(&server, 600);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        receiver.received().len(),
        2,
        "a disabled endpoint gets nothing"
    );
    receiver.set_default(Answer::Status(200));
    let enabled: Webhook = server
        .secret_client()
        .call("enableWebhook", &json!({"webhookId": hook.object_id}))
        .await
        .unwrap();
    assert!(enabled.enabled);
    let got = receiver.wait_for(5, WAIT).await;
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "WEBHOOK_CREATED",
            "WEBHOOK_CREATED",
            "WEBHOOK_CREATED",
            "LOCK_REGISTERED",
            "UNLOCK"
        ]
    );
    let log = wait_until_delivered(&server, &hook, 3).await;
    let attempts: Vec<usize> = log.iter().map(|d| d.attempts.len()).collect();
    assert_eq!(
        attempts,
        [1, 1, 3],
        "newest first; the first event kept its attempts"
    );
}

async fn webhook_functions_check_their_input_and_caller(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let secret = server.secret_client();
    for (body, field) in [
        (json!({"events": ["UNLOCK"]}), "url"),
        (
            json!({"url": "ftp://example.com", "events": ["UNLOCK"]}),
            "url",
        ),
        (
            json!({"url": "example.com/hook", "events": ["UNLOCK"]}),
            "url",
        ),
        (json!({"url": "https://example.com"}), "events"),
        (
            json!({"url": "https://example.com", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://example.com", "events": ["OPENED"]}),
            "events",
        ),
    ] {
        refused(
            secret.call_value("createWebhook", &body).await,
            400,
            142,
            field,
        );
    }
    refused(
        secret
            .call_value("createWebhook", &json!({"url": 5, "events": ["UNLOCK"]}))
            .await,
        400,
        111,
        "url",
    );
    let hook = create(&server, "https://example.com/hook", json!(["*"])).await;
    // Secret only: a session user is refused.
    let (signed, _) = server.sign_up("correct horse battery").await;
    let session = server.session_client(&signed.session_token);
    refused(
        session.call_value("getWebhooks", &json!({})).await,
        403,
        119,
        "",
    );
    // Another organization does not see or reach it.
    let other = server.other_org().await;
    let theirs = server.client().with(latchkey_client::Credentials::Secret {
        api_key: other.api_key,
        api_secret: other.api_secret,
    });
    let listed: Vec<Webhook> = theirs.call("getWebhooks", &json!({})).await.unwrap();
    assert!(listed.is_empty());
    for function in ["deleteWebhook", "getWebhookDeliveries", "enableWebhook"] {
        refused(
            theirs
                .call_value(function, &json!({"webhookId": hook.object_id}))
                .await,
            404,
            101,
            "",
        );
    }
    let created: Vec<Value> = secret
        .call("getActivity", &json!({"types": ["WEBHOOK_CREATED"]}))
        .await
        .unwrap();
    assert_eq!(created[0]["target"]["webhookId"], hook.object_id.as_str());
    secret
        .call_value("deleteWebhook", &json!({"webhookId": hook.object_id}))
        .await
        .unwrap();
    refused(
        secret
            .call_value("deleteWebhook", &json!({"webhookId": hook.object_id}))
            .await,
        404,
        101,
        "",
    );
    let deleted: Vec<Value> = secret
        .call("getActivity", &json!({"types": ["WEBHOOK_DELETED"]}))
        .await
        .unwrap();
    assert_eq!(deleted.len(), 1);
}

/// Two servers over one PostgreSQL: both workers claim, each event is delivered once,
/// and the endpoint sees them in order.
#[tokio::test]
async fn two_servers_share_the_queue_in_order_on_postgres() {
    let Some(first) = TestServer::start_with(Backend::Postgres, quick_outbox(vec![60])).await
    else {
        return;
    };
    let second = first.beside(|_| {}).await;
    let receiver = Receiver::start(Answer::Slow(Duration::from_millis(5))).await;
    let lock = door(&first).await;
    create(&first, &receiver.url, json!(["UNLOCK"])).await;
    let on_second =
        latchkey_client::Client::new(&second.url).with(latchkey_client::Credentials::Secret {
            api_key: first.org.api_key.clone(),
            api_secret: first.org.api_secret.clone(),
        });
    for i in 0..30 {
        let client = if i % 2 == 0 {
            first.secret_client()
        } else {
            on_second.clone()
        };
        let done: Value = client
            .call("performUnlock", &json!({"lockId": lock.lock_id}))
            .await
            .unwrap();
        assert_eq!(done["success"], true);
    }
    receiver.wait_for(30, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seqs: Vec<i64> = receiver
        .received()
        .iter()
        .map(|r| r.json()["data"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 30, "each event once: {seqs:?}");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
}

both!(
    an_unlock_is_delivered_signed,
    a_webhook_gets_only_what_happens_after_it_is_created,
    a_failing_endpoint_gets_the_event_once_more_then_later_ones_in_order,
    an_endpoint_failing_the_whole_schedule_is_disabled_and_keeps_its_queue,
    webhook_functions_check_their_input_and_caller,
);
