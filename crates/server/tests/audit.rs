//! The audit entries of key management: one per change, in the change's transaction,
//! naming the initiator, `seq` without gaps, the hash chain intact, none for a refusal.

// A scenario reads best as one story, even when it is long.
#![allow(clippy::too_many_lines)]

mod common;

use common::{Backend, TestServer, unique_email};
use latchkey_api_types::Key;
use latchkey_core::audit;
use latchkey_store::{ActivityCursor, ActivityFilter, ActivityRecord};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn entries(server: &TestServer) -> Vec<ActivityRecord> {
    server
        .state
        .store
        .activity_page(
            &server.org.organization_id,
            &ActivityFilter::default(),
            ActivityCursor::After(0),
            100_000,
        )
        .await
        .unwrap()
}

fn types(entries: &[ActivityRecord]) -> Vec<&str> {
    entries.iter().map(|e| e.entry_type.as_str()).collect()
}

async fn every_change_is_recorded_and_chained(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (admin, admin_email) = server.sign_up(PASSWORD).await;
    let secret = server.secret_client();
    let lock = server.register_lock("Door", "UTC").await;
    secret
        .call_value(
            "modifyLock",
            &json!({"lockId": lock.lock_id, "shortName": "Front"}),
        )
        .await
        .unwrap();
    secret
        .call_value(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": admin_email, "role": "ADMIN"}),
        )
        .await
        .unwrap();
    let session = server.session_client(&admin.session_token);
    let sent: Vec<Key> = session
        .call(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": unique_email()}),
        )
        .await
        .unwrap();
    session
        .call_value(
            "modifyKey",
            &json!({"keyId": sent[0].object_id, "canRemoteUnlock": true}),
        )
        .await
        .unwrap();
    session
        .call_value("revokeKey", &json!({"keyId": sent[0].object_id}))
        .await
        .unwrap();
    let group: Value = secret
        .call_value(
            "createGroup",
            &json!({"name": "G", "lockIds": [lock.lock_id]}),
        )
        .await
        .unwrap();
    secret
        .call_value(
            "modifyGroup",
            &json!({"groupId": group["objectId"], "name": "H"}),
        )
        .await
        .unwrap();
    secret
        .call_value("deleteGroup", &json!({"groupId": group["objectId"]}))
        .await
        .unwrap();
    secret
        .call_value(
            "transferOwnership",
            &json!({"lockId": lock.lock_id, "email": admin_email}),
        )
        .await
        .unwrap();
    session
        .call_value("removeLock", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();

    let log = entries(&server).await;
    assert_eq!(
        types(&log),
        [
            "SIGN_IN",
            "LOCK_REGISTERED",
            "LOCK_MODIFIED",
            "KEY_SENT",
            "KEY_SENT",
            "KEY_MODIFIED",
            "KEY_REVOKED",
            "GROUP_CREATED",
            "GROUP_MODIFIED",
            "GROUP_DELETED",
            "OWNERSHIP_TRANSFERRED",
            "LOCK_REMOVED",
        ]
    );
    let checked = audit::verify(log.iter().map(|e| (e.seq, e.entry.as_str(), &e.hash)));
    assert_eq!(checked, Ok(12));
    let virtual_id = secret.get_current_user().await.unwrap().object_id;
    let initiator = |i: usize| -> String {
        let entry: Value = serde_json::from_str(&log[i].entry).unwrap();
        entry["initiator"]["objectId"].as_str().unwrap().to_owned()
    };
    assert_eq!(initiator(0), admin.user.object_id, "signing up signs in");
    assert_eq!(initiator(1), virtual_id);
    assert_eq!(
        initiator(4),
        admin.user.object_id,
        "a session user's change names them"
    );
    let removed: Value = serde_json::from_str(&log[11].entry).unwrap();
    assert_eq!(
        removed["lock"]["objectId"],
        lock.object_id.as_str(),
        "the entry outlives its lock"
    );
    assert_eq!(removed["outcome"], "SUCCESS");

    // Refusals leave no entry; a forged entry breaks the chain at that entry.
    let refused = secret
        .call_value(
            "sendKey",
            &json!({"lockId": "NoSuchLock", "email": unique_email()}),
        )
        .await;
    assert!(refused.is_err());
    assert_eq!(entries(&server).await.len(), 12);
    let mut forged = log.clone();
    forged[5].entry = forged[5].entry.replace("KEY_MODIFIED", "KEY_SENT");
    let checked = audit::verify(forged.iter().map(|e| (e.seq, e.entry.as_str(), &e.hash)));
    assert_eq!(checked, Err(audit::Broken::Hash { seq: 6 }));
}

async fn concurrent_changes_keep_seq_without_gaps(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = server.register_lock("Busy", "UTC").await;
    let secret = server.secret_client();
    let calls = (0..12).map(|_| {
        let secret = secret.clone();
        let body = json!({"lockId": lock.lock_id, "email": unique_email()});
        async move { secret.call_value("sendKey", &body).await }
    });
    for result in futures_join(calls).await {
        result.unwrap();
    }
    let log = entries(&server).await;
    assert_eq!(log.len(), 13);
    let checked = audit::verify(log.iter().map(|e| (e.seq, e.entry.as_str(), &e.hash)));
    assert_eq!(checked, Ok(13));
}

/// Runs the futures concurrently on the test's runtime and collects their results.
async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

async fn sign_ins_and_secret_rotations_are_recorded(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (user, email) = server.sign_up(PASSWORD).await;
    let key = server.key_client();
    key.sign_in(&email, PASSWORD).await.unwrap();
    assert!(key.sign_in(&email, "wrong password").await.is_err());
    let nobody = unique_email();
    assert!(key.sign_in(&nobody, "wrong password").await.is_err());
    server
        .secret_client()
        .rotate_api_secret(Some(60))
        .await
        .unwrap();
    let log = entries(&server).await;
    assert_eq!(
        types(&log),
        [
            "SIGN_IN",
            "SIGN_IN",
            "SIGN_IN_FAILED",
            "SIGN_IN_FAILED",
            "API_SECRET_ROTATED"
        ]
    );
    let entry = |i: usize| -> Value { serde_json::from_str(&log[i].entry).unwrap() };
    assert_eq!(entry(2)["outcome"], "FAILED");
    assert_eq!(entry(2)["target"]["objectId"], user.user.object_id.as_str());
    assert_eq!(entry(3)["target"]["identifier"], nobody.as_str());
    assert_eq!(entry(3)["target"]["objectId"], Value::Null);
    assert_eq!(entry(4)["initiator"]["type"], "VIRTUAL");
    for record in &log {
        let text = &record.entry;
        assert!(
            !text.contains(PASSWORD) && !text.contains("wrong password"),
            "no password in {text}"
        );
    }
    assert_eq!(
        audit::verify(log.iter().map(|e| (e.seq, e.entry.as_str(), &e.hash))),
        Ok(5)
    );
}

both!(
    sign_ins_and_secret_rotations_are_recorded,
    every_change_is_recorded_and_chained,
    concurrent_changes_keep_seq_without_gaps
);
