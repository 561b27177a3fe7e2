//! Remote unlocking through the simulated driver: the decision, the statuses, the
//! audit entries, one-time keys, idempotency, deadlines and the per-lock queue.

// A scenario reads best as one story, even when it is long.
#![allow(clippy::too_many_lines)]

mod common;

use common::{Backend, TestServer, assert_api_error};
use latchkey_api_types::{Lock, UnlockRequest};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn lock_with(server: &TestServer, driver: Value) -> Lock {
    server
        .secret_client()
        .call(
            "registerLock",
            &json!({"shortName": "Door", "timeZone": "UTC", "driver": driver}),
        )
        .await
        .unwrap()
}

fn fast() -> Value {
    json!({"kind": "simulated", "latencyMs": 0})
}

async fn entries_of(server: &TestServer, kind: &str) -> Vec<Value> {
    server
        .secret_client()
        .call("getActivity", &json!({"types": [kind], "limit": 1000}))
        .await
        .unwrap()
}

async fn an_admin_unlock_succeeds_with_its_history(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = lock_with(&server, fast()).await;
    let secret = server.secret_client();
    let done: UnlockRequest = secret
        .call(
            "performUnlock",
            &json!({"lockId": lock.lock_id, "user": {"externalId": "e-42", "name": "Front desk"}}),
        )
        .await
        .unwrap();
    assert!(done.success);
    assert_eq!(
        (
            done.status,
            done.status_name.as_str(),
            done.lock_id.as_str()
        ),
        (70, "UNLOCKED", lock.lock_id.as_str())
    );
    let statuses: Vec<u16> = done.history.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [10, 20, 30, 40, 50, 60, 70]);
    assert_eq!(done.initiator.user_type, "VIRTUAL");
    assert_eq!(done.on_behalf_of.as_ref().unwrap()["externalId"], "e-42");
    let again: UnlockRequest = secret
        .call("getUnlockStatus", &json!({"requestId": done.request_id}))
        .await
        .unwrap();
    assert_eq!(again, done);
    let entries = entries_of(&server, "UNLOCK").await;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(
        (entry["outcome"].as_str(), entry["status"].as_i64()),
        (Some("SUCCESS"), Some(70))
    );
    assert_eq!(entry["requestId"], done.request_id.as_str());
    assert_eq!(entry["initiator"]["type"], "VIRTUAL");
    assert_eq!(entry["onBehalfOf"]["name"], "Front desk");
    let locked: UnlockRequest = secret
        .call("performLock", &json!({"lockId": lock.object_id}))
        .await
        .unwrap();
    assert_eq!(
        (locked.status, locked.status_name.as_str()),
        (81, "REMOTELOCK_LOCKED")
    );
    assert_eq!(entries_of(&server, "LOCK").await.len(), 1);
}

async fn a_session_user_is_the_initiator_and_refusals_are_recorded(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (member, email) = server.sign_up(PASSWORD).await;
    let lock = lock_with(&server, fast()).await;
    let secret = server.secret_client();
    let later = json!({"startDate": "2031-01-06T09:00:00", "endDate": "2031-01-06T17:00:00"});
    secret
        .call_value("sendKey", &json!({"lockId": lock.lock_id, "email": email, "canRemoteUnlock": true, "schedules": [later]}))
        .await
        .unwrap();
    let session = server.session_client(&member.session_token);
    match session
        .call_value("performUnlock", &json!({"lockId": lock.lock_id}))
        .await
    {
        Err(latchkey_client::Error::Api {
            status: 403, body, ..
        }) => {
            assert_eq!(body.code, 610);
            assert_eq!(body.extra["nextValidAt"], "2031-01-06T09:00:00.000Z");
        }
        other => panic!("expected 610, got {other:?}"),
    }
    let denied = entries_of(&server, "UNLOCK_DENIED").await;
    assert_eq!(denied.len(), 1);
    assert_eq!(
        (
            denied[0]["outcome"].as_str(),
            denied[0]["initiator"]["objectId"].as_str()
        ),
        (Some("DENIED"), Some(member.user.object_id.as_str()))
    );
    assert!(
        entries_of(&server, "UNLOCK").await.is_empty(),
        "nothing was opened"
    );

    secret
        .call_value(
            "modifyKey",
            &json!({"keyId": key_id(&server, &lock, &email).await, "schedules": []}),
        )
        .await
        .unwrap();
    let opened: UnlockRequest = session
        .call("performUnlock", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!(opened.initiator.object_id, member.user.object_id);
    let (stranger, _) = server.sign_up(PASSWORD).await;
    let other = server.session_client(&stranger.session_token);
    assert_api_error(
        other
            .call_value("performUnlock", &json!({"lockId": lock.lock_id}))
            .await,
        403,
        614,
    );
    assert_api_error(
        other
            .call_value("getUnlockStatus", &json!({"requestId": opened.request_id}))
            .await,
        404,
        101,
    );
    secret
        .call_value(
            "modifyKey",
            &json!({"keyId": key_id(&server, &lock, &email).await, "canRemoteUnlock": false}),
        )
        .await
        .unwrap();
    assert_api_error(
        session
            .call_value("performUnlock", &json!({"lockId": lock.lock_id}))
            .await,
        403,
        612,
    );
}

async fn key_id(server: &TestServer, lock: &Lock, email: &str) -> String {
    let keys: Vec<Value> = server
        .secret_client()
        .call("getUserKeys", &json!({"email": email}))
        .await
        .unwrap();
    keys.iter()
        .find(|k| k["lock"]["objectId"] == lock.object_id.as_str())
        .unwrap()["objectId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_one_time_key_opens_once_even_when_raced(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (member, email) = server.sign_up(PASSWORD).await;
    let lock = lock_with(&server, fast()).await;
    server
        .secret_client()
        .call_value("sendKey", &json!({"lockId": lock.lock_id, "email": email, "canRemoteUnlock": true, "oneTime": true}))
        .await
        .unwrap();
    let session = server.session_client(&member.session_token);
    let body = json!({"lockId": lock.lock_id});
    let (a, b) = tokio::join!(
        session.call_value("performUnlock", &body),
        session.call_value("performUnlock", &body)
    );
    let codes: Vec<Option<i64>> = [&a, &b]
        .iter()
        .map(|r| r.as_ref().err().and_then(latchkey_client::Error::code))
        .collect();
    assert_eq!(
        codes.iter().filter(|c| c.is_none()).count(),
        1,
        "exactly one opened: {a:?} {b:?}"
    );
    assert!(codes.contains(&Some(613)), "{codes:?}");
    assert_api_error(session.call_value("performUnlock", &body).await, 403, 613);
    assert_eq!(entries_of(&server, "UNLOCK").await.len(), 1);
    assert_eq!(entries_of(&server, "UNLOCK_DENIED").await.len(), 2);
}

async fn an_offline_lock_answers_504_with_status_200(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = lock_with(&server, json!({"kind": "simulated", "offline": true})).await;
    match server
        .secret_client()
        .call_value(
            "performUnlock",
            &json!({"lockId": lock.lock_id, "timeoutMs": 150}),
        )
        .await
    {
        Err(latchkey_client::Error::Api {
            status: 504, body, ..
        }) => {
            assert_eq!(body.code, 620);
            assert_eq!(
                (
                    body.extra["status"].as_i64(),
                    body.extra["statusName"].as_str()
                ),
                (Some(200), Some("ERROR_RECEIVING_TIMEOUT_SRV"))
            );
            assert!(body.extra["requestId"].as_str().is_some());
        }
        other => panic!("expected 504/620, got {other:?}"),
    }
    let entries = entries_of(&server, "UNLOCK").await;
    assert_eq!(
        (
            entries[0]["outcome"].as_str(),
            entries[0]["status"].as_i64()
        ),
        (Some("FAILED"), Some(200))
    );
    let jammed = lock_with(
        &server,
        json!({"kind": "simulated", "latencyMs": 0, "failAt": 50}),
    )
    .await;
    let failed = server
        .secret_client()
        .call_value("performUnlock", &json!({"lockId": jammed.lock_id}))
        .await;
    match failed {
        Err(latchkey_client::Error::Api {
            status: 504, body, ..
        }) => assert_eq!(body.extra["statusName"], "ERROR_CONNECTING_TIMEOUT_HUB"),
        other => panic!("expected 504/620, got {other:?}"),
    }
}

async fn the_same_request_id_unlocks_once(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = lock_with(&server, fast()).await;
    let secret = server.secret_client();
    let body = json!({"lockId": lock.lock_id, "requestId": "client-42"});
    let first: UnlockRequest = secret.call("performUnlock", &body).await.unwrap();
    let second: UnlockRequest = secret.call("performUnlock", &body).await.unwrap();
    assert_eq!(first.request_id, second.request_id);
    assert_eq!(entries_of(&server, "UNLOCK").await.len(), 1);
    let invalid = [
        json!({"lockId": lock.lock_id, "timeoutMs": 0}),
        json!({"lockId": lock.lock_id, "timeoutMs": 30_001}),
        json!({"lockId": lock.lock_id, "requestId": ""}),
        json!({"lockId": lock.lock_id, "unlockSeconds": 0}),
    ];
    for bad in invalid {
        assert_api_error(secret.call_value("performUnlock", &bad).await, 400, 142);
    }
    assert_api_error(
        secret
            .call_value(
                "performUnlock",
                &json!({"lockId": lock.lock_id, "user": "bob"}),
            )
            .await,
        400,
        111,
    );
    assert_api_error(
        secret
            .call_value("performUnlock", &json!({"lockId": "NoSuchLock"}))
            .await,
        404,
        101,
    );
    assert_api_error(
        secret
            .call_value("getUnlockStatus", &json!({"requestId": "NoSuchReq1"}))
            .await,
        404,
        101,
    );
}

async fn without_wait_the_answer_is_initiated_and_the_status_follows(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = lock_with(&server, json!({"kind": "simulated", "latencyMs": 120})).await;
    let secret = server.secret_client();
    let started: UnlockRequest = secret
        .call(
            "performUnlock",
            &json!({"lockId": lock.lock_id, "wait": false}),
        )
        .await
        .unwrap();
    assert_eq!((started.status, started.success), (10, false));
    let mut last = started.clone();
    for _ in 0..100 {
        last = secret
            .call("getUnlockStatus", &json!({"requestId": started.request_id}))
            .await
            .unwrap();
        if last.status == 70 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(last.status, 70);
    assert_eq!(last.history.len(), 7);
}

async fn a_command_that_misses_its_turn_never_runs_late(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = lock_with(&server, json!({"kind": "simulated", "latencyMs": 400})).await;
    let secret = server.secret_client();
    let slow_body = json!({"lockId": lock.lock_id, "timeoutMs": 2000});
    let slow = secret.call_value("performUnlock", &slow_body);
    let queued = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        secret
            .call_value(
                "performUnlock",
                &json!({"lockId": lock.lock_id, "timeoutMs": 150}),
            )
            .await
    };
    let (slow, queued) = tokio::join!(slow, queued);
    assert_eq!(slow.unwrap()["status"], 70);
    match queued {
        Err(latchkey_client::Error::Api {
            status: 504, body, ..
        }) => assert_eq!(body.extra["status"], 200),
        other => panic!("expected the queued command to be dropped, got {other:?}"),
    }
    let entries = entries_of(&server, "UNLOCK").await;
    let successes = entries.iter().filter(|e| e["outcome"] == "SUCCESS").count();
    assert_eq!((entries.len(), successes), (2, 1));
}

async fn a_hundred_concurrent_unlocks_on_ten_locks(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut locks = Vec::new();
    for _ in 0..10 {
        locks.push(lock_with(&server, fast()).await.lock_id);
    }
    let secret = server.secret_client();
    let calls = (0..100).map(|i| {
        let secret = secret.clone();
        let body = json!({"lockId": locks[i % 10], "timeoutMs": 30_000});
        tokio::spawn(async move { secret.call::<UnlockRequest>("performUnlock", &body).await })
    });
    let mut ids = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        let done = call.await.unwrap().unwrap();
        assert_eq!(done.status, 70);
        ids.push(done.request_id);
    }
    let entries = entries_of(&server, "UNLOCK").await;
    assert_eq!(entries.len(), 100);
    let mut recorded: Vec<String> = entries
        .iter()
        .map(|e| e["requestId"].as_str().unwrap().to_owned())
        .collect();
    recorded.sort();
    ids.sort();
    assert_eq!(recorded, ids, "exactly one entry per request");
}

async fn lockdown_refuses_users_but_not_admins(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (member, email) = server.sign_up(PASSWORD).await;
    let lock = lock_with(&server, fast()).await;
    let secret = server.secret_client();
    secret
        .call_value(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": email, "canRemoteUnlock": true}),
        )
        .await
        .unwrap();
    let results: Vec<Value> = secret
        .call(
            "setLockdown",
            &json!({"lockIds": [lock.lock_id], "enabled": true}),
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        (
            results[0]["lockdown"].as_bool(),
            results[0]["request"]["status"].as_i64()
        ),
        (Some(true), Some(81))
    );
    let session = server.session_client(&member.session_token);
    assert_api_error(
        session
            .call_value("performUnlock", &json!({"lockId": lock.lock_id}))
            .await,
        403,
        611,
    );
    let explained: Value = secret
        .call(
            "explainAccess",
            &json!({"lockId": lock.lock_id, "userId": member.user.object_id}),
        )
        .await
        .unwrap();
    assert_eq!(
        explained["code"], 611,
        "explainAccess takes the same decision"
    );
    let admin: UnlockRequest = secret
        .call("performUnlock", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!(admin.status, 70, "admins are not refused");
    assert_api_error(
        session
            .call_value("setLockdown", &json!({"all": true, "enabled": false}))
            .await,
        403,
        119,
    );
    for bad in [
        json!({"lockIds": [lock.lock_id]}),
        json!({"all": true, "lockIds": [lock.lock_id], "enabled": false}),
        json!({"enabled": false}),
    ] {
        assert_api_error(secret.call_value("setLockdown", &bad).await, 400, 142);
    }
    let lifted: Vec<Value> = secret
        .call("setLockdown", &json!({"all": true, "enabled": false}))
        .await
        .unwrap();
    assert_eq!(
        (lifted[0]["lockdown"].as_bool(), &lifted[0]["request"]),
        (Some(false), &Value::Null)
    );
    let opened: UnlockRequest = session
        .call("performUnlock", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!(opened.status, 70);
}

both!(
    lockdown_refuses_users_but_not_admins,
    an_admin_unlock_succeeds_with_its_history,
    a_session_user_is_the_initiator_and_refusals_are_recorded,
    a_one_time_key_opens_once_even_when_raced,
    an_offline_lock_answers_504_with_status_200,
    the_same_request_id_unlocks_once,
    without_wait_the_answer_is_initiated_and_the_status_follows,
    a_command_that_misses_its_turn_never_runs_late,
    a_hundred_concurrent_unlocks_on_ten_locks,
);
