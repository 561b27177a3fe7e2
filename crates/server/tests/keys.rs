//! Key functions and the access decision: sendKey (single and array forms, upsert,
//! all-or-nothing, phone over email, pending keys), revokeKey, modifyKey, getUserKeys,
//! getLockUsers, explainAccess; a refused call changes nothing.

mod common;

use common::{Backend, TestServer, assert_api_error, snapshot, unique_email};
use latchkey_api_types::{AccessExplanation, Key, SignUpRequest};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn unique_phone() -> String {
    let digits: String = latchkey_core::ids::new_object_id()
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .take(9)
        .collect();
    format!("+1415{}", &digits[..7])
}

async fn send_key_upserts_and_is_all_or_nothing(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let a = server.register_lock("A", "UTC").await;
    let b = server.register_lock("B", "UTC").await;
    let secret = server.secret_client();
    let phone = unique_phone();
    let first: Vec<Key> = secret
        .call("sendKey", &json!({"lockId": a.lock_id, "phone": phone}))
        .await
        .unwrap();
    assert_eq!(
        (
            first.len(),
            first[0].role.as_str(),
            first[0].status.as_str()
        ),
        (1, "USER", "PENDING")
    );
    let again: Vec<Key> = secret
        .call("sendKey", &json!({"lockId": a.object_id, "phone": phone, "role": "ADMIN", "canRemoteUnlock": true}))
        .await
        .unwrap();
    assert_eq!(
        again[0].object_id, first[0].object_id,
        "the same key, updated"
    );
    assert_eq!(
        (
            again[0].role.as_str(),
            again[0].role_id,
            again[0].can_remote_unlock
        ),
        ("ADMIN", 1, true)
    );

    let phones = [unique_phone(), unique_phone()];
    let many: Vec<Key> = secret
        .call(
            "sendKey",
            &json!({"lockIds": [a.lock_id, b.lock_id], "phones": phones}),
        )
        .await
        .unwrap();
    assert_eq!(many.len(), 4);

    let before = snapshot(&server).await;
    let refused: [(Value, u16, i64); 8] = [
        (
            json!({"lockIds": [a.lock_id, "NoSuchLock"], "phone": unique_phone()}),
            404,
            101,
        ),
        (json!({"lockId": a.lock_id}), 400, 142),
        (json!({"phone": unique_phone()}), 400, 142),
        (
            json!({"lockId": a.lock_id, "phones": [unique_phone(), "nope"]}),
            400,
            142,
        ),
        (
            json!({"lockId": a.lock_id, "phone": unique_phone(), "role": "OWNER"}),
            400,
            142,
        ),
        (
            json!({"lockId": a.lock_id, "phone": unique_phone(), "startDate": "2027-02-01T00:00:00Z", "endDate": "2027-01-01T00:00:00Z"}),
            400,
            142,
        ),
        (
            json!({"lockId": a.lock_id, "phone": unique_phone(), "oneTime": "yes"}),
            400,
            111,
        ),
        (json!({"lockIds": "A", "phone": unique_phone()}), 400, 111),
    ];
    for (body, status, code) in refused {
        assert_api_error(secret.call_value("sendKey", &body).await, status, code);
    }
    assert_eq!(
        snapshot(&server).await,
        before,
        "refused calls changed nothing"
    );
}

async fn the_phone_wins_over_the_email(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let phone = unique_phone();
    let by_phone = server
        .key_client()
        .sign_up(&SignUpRequest {
            first_name: Some("Phone".into()),
            last_name: Some("Person".into()),
            email: None,
            phone: Some(phone.clone()),
            password: Some(PASSWORD.into()),
        })
        .await
        .unwrap();
    let (by_email, email) = server.sign_up(PASSWORD).await;
    let lock = server.register_lock("Door", "UTC").await;
    let keys: Vec<Key> = server
        .secret_client()
        .call(
            "sendKey",
            &json!({"lockId": lock.lock_id, "phone": phone, "email": email}),
        )
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys[0].user.object_id.as_deref(),
        Some(by_phone.user.object_id.as_str())
    );
    let users: Vec<Key> = server
        .secret_client()
        .call("getLockUsers", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert!(
        !users
            .iter()
            .any(|k| k.user.object_id.as_deref() == Some(by_email.user.object_id.as_str()))
    );
}

async fn a_pending_key_becomes_active_at_sign_up(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = server.register_lock("Door", "UTC").await;
    let email = unique_email();
    let sent: Vec<Key> = server
        .secret_client()
        .call("sendKey", &json!({"lockId": lock.lock_id, "email": email, "firstName": "Nina", "lastName": "New"}))
        .await
        .unwrap();
    assert_eq!(sent[0].status, "PENDING");
    assert_eq!(
        (
            sent[0].user.object_id.as_ref(),
            sent[0].user.first_name.as_deref()
        ),
        (None, Some("Nina"))
    );
    let signed = server
        .key_client()
        .sign_up(&SignUpRequest {
            first_name: Some("Nina".into()),
            last_name: Some("New".into()),
            email: Some(email.to_uppercase()),
            phone: None,
            password: Some(PASSWORD.into()),
        })
        .await
        .unwrap();
    let mine: Vec<Key> = server
        .session_client(&signed.session_token)
        .call("getUserKeys", &json!({}))
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].object_id.as_str(), mine[0].status.as_str()),
        (sent[0].object_id.as_str(), "ACTIVE")
    );
    assert_eq!(
        mine[0].user.object_id.as_deref(),
        Some(signed.user.object_id.as_str())
    );
}

async fn get_user_keys_in_its_three_modes(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (admin, _) = server.sign_up(PASSWORD).await;
    let (member, member_email) = server.sign_up(PASSWORD).await;
    let a = server
        .add_lock(
            &server.org.organization_id,
            std::slice::from_ref(&admin.user.object_id),
        )
        .await;
    let b = server.register_lock("B", "UTC").await;
    let secret = server.secret_client();
    secret
        .call_value(
            "sendKey",
            &json!({"lockIds": [a.lock_id, b.lock_id], "email": member_email}),
        )
        .await
        .unwrap();

    let everything: Vec<Key> = secret.call("getUserKeys", &json!({})).await.unwrap();
    // Virtual owner keys (2), the admin's key to A, the member's two keys.
    assert_eq!(everything.len(), 5, "{everything:#?}");
    let member_session = server.session_client(&member.session_token);
    let own: Vec<Key> = member_session
        .call("getUserKeys", &json!({}))
        .await
        .unwrap();
    assert_eq!(own.len(), 2);
    assert!(
        own.iter()
            .all(|k| k.user.object_id.as_deref() == Some(member.user.object_id.as_str()))
    );
    let admin_session = server.session_client(&admin.session_token);
    let administered: Vec<Key> = admin_session
        .call("getUserKeys", &json!({"email": member_email}))
        .await
        .unwrap();
    assert_eq!(
        administered
            .iter()
            .map(|k| k.lock.object_id.as_str())
            .collect::<Vec<_>>(),
        [a.object_id.as_str()]
    );
    let all_of_member: Vec<Key> = secret
        .call("getUserKeys", &json!({"email": member_email}))
        .await
        .unwrap();
    assert_eq!(all_of_member.len(), 2);
    let page: Vec<Key> = secret
        .call("getUserKeys", &json!({"limit": 2}))
        .await
        .unwrap();
    let next: Vec<Key> = secret
        .call(
            "getUserKeys",
            &json!({"limit": 2, "after": page[1].object_id}),
        )
        .await
        .unwrap();
    assert_eq!([page, next].concat(), everything[..4].to_vec());
}

async fn an_admin_session_cannot_touch_another_lock(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (admin, _) = server.sign_up(PASSWORD).await;
    let (_, member_email) = server.sign_up(PASSWORD).await;
    let mine = server
        .add_lock(
            &server.org.organization_id,
            std::slice::from_ref(&admin.user.object_id),
        )
        .await;
    let theirs = server.register_lock("Theirs", "UTC").await;
    let secret = server.secret_client();
    let keys: Vec<Key> = secret
        .call(
            "sendKey",
            &json!({"lockId": theirs.lock_id, "email": member_email}),
        )
        .await
        .unwrap();
    let session = server.session_client(&admin.session_token);
    session
        .call_value(
            "sendKey",
            &json!({"lockId": mine.lock_id, "email": member_email}),
        )
        .await
        .expect("own lock");

    let before = snapshot(&server).await;
    let calls: [(&str, Value); 6] = [
        (
            "sendKey",
            json!({"lockId": theirs.lock_id, "email": member_email}),
        ),
        (
            "sendKey",
            json!({"lockIds": [mine.lock_id, theirs.lock_id], "phone": unique_phone()}),
        ),
        ("revokeKey", json!({"keyId": keys[0].object_id})),
        (
            "revokeKey",
            json!({"lockId": theirs.lock_id, "email": member_email}),
        ),
        (
            "modifyKey",
            json!({"keyId": keys[0].object_id, "canRemoteUnlock": true}),
        ),
        ("getLockUsers", json!({"lockId": theirs.lock_id})),
    ];
    for (function, body) in calls {
        assert_api_error(session.call_value(function, &body).await, 403, 119);
    }
    assert_eq!(snapshot(&server).await, before);
}

async fn revoke_returns_ids_and_spares_the_owner(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = server.register_lock("Door", "UTC").await;
    let secret = server.secret_client();
    let phones = [unique_phone(), unique_phone()];
    let sent: Vec<Key> = secret
        .call(
            "sendKey",
            &json!({"lockId": lock.lock_id, "phones": phones}),
        )
        .await
        .unwrap();
    let owner: Vec<Key> = secret
        .call("getLockUsers", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    let owner_key = owner.iter().find(|k| k.role == "OWNER").unwrap();
    assert_api_error(
        secret
            .call_value("revokeKey", &json!({"keyId": owner_key.object_id}))
            .await,
        403,
        119,
    );
    assert_api_error(
        secret
            .call_value("revokeKey", &json!({"keyId": "NoSuchKey1"}))
            .await,
        404,
        101,
    );
    assert_api_error(
        secret
            .call_value(
                "revokeKey",
                &json!({"keyId": sent[0].object_id, "lockId": lock.lock_id}),
            )
            .await,
        400,
        142,
    );
    let revoked: Vec<String> = secret
        .call(
            "revokeKey",
            &json!({"lockId": lock.lock_id, "phones": phones}),
        )
        .await
        .unwrap();
    let mut expected: Vec<String> = sent.iter().map(|k| k.object_id.clone()).collect();
    expected.sort();
    let mut got = revoked.clone();
    got.sort();
    assert_eq!(got, expected);
    let left: Vec<Key> = secret
        .call("getLockUsers", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!(left.len(), 1, "only the owner's key is left");
    let again: Vec<String> = secret
        .call(
            "revokeKey",
            &json!({"lockId": lock.lock_id, "phones": phones}),
        )
        .await
        .unwrap();
    assert!(again.is_empty());
}

async fn modify_key_rules(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = server.register_lock("Door", "America/New_York").await;
    let secret = server.secret_client();
    let sent: Vec<Key> = secret
        .call("sendKey", &json!({"lockId": lock.lock_id, "phone": unique_phone(), "startDate": "2027-01-01T00:00:00Z"}))
        .await
        .unwrap();
    let id = &sent[0].object_id;
    assert_eq!(
        sent[0].start_date.as_deref(),
        Some("2027-01-01T00:00:00.000Z")
    );
    let cleared: Key = secret
        .call(
            "modifyKey",
            &json!({"keyId": id, "startDate": null, "oneTime": true}),
        )
        .await
        .unwrap();
    assert_eq!(
        (cleared.start_date.as_ref(), cleared.one_time),
        (None, true)
    );

    let before = snapshot(&server).await;
    let overlapping = json!({"keyId": id, "schedules": [
        {"objectId": "Morning001", "startDate": "2027-03-01T09:00:00", "endDate": "2027-03-01T12:00:00", "repeatType": 1},
        {"objectId": "Lunch00001", "startDate": "2027-03-01T11:00:00", "endDate": "2027-03-01T13:00:00", "repeatType": "DAILY"}
    ]});
    match secret.call_value("modifyKey", &overlapping).await {
        Err(latchkey_client::Error::Api {
            status: 400, body, ..
        }) => {
            assert_eq!(body.code, 142);
            assert!(
                body.error.contains("Morning001") && body.error.contains("Lunch00001"),
                "{}",
                body.error
            );
            assert!(
                body.error.contains("2027-03-01T16:00:00.000Z"),
                "11:00 EST: {}",
                body.error
            );
        }
        other => panic!("expected 142, got {other:?}"),
    }
    let too_long = json!({"keyId": id, "schedules": [
        {"startDate": "2027-03-01T09:00:00", "endDate": "2027-03-02T10:00:00", "repeatType": 1}
    ]});
    assert_api_error(secret.call_value("modifyKey", &too_long).await, 400, 142);
    assert_api_error(
        secret
            .call_value("modifyKey", &json!({"keyId": id, "role": "OWNER"}))
            .await,
        400,
        142,
    );
    assert_api_error(
        secret
            .call_value("modifyKey", &json!({"keyId": id, "endDate": "yesterday"}))
            .await,
        400,
        142,
    );
    assert_api_error(
        secret
            .call_value("modifyKey", &json!({"keyId": id, "startDate": 5}))
            .await,
        400,
        111,
    );
    assert_api_error(secret.call_value("modifyKey", &json!({})).await, 400, 142);
    assert_eq!(snapshot(&server).await, before);
}

async fn a_weekday_schedule_in_new_york_across_dst(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (member, email) = server.sign_up(PASSWORD).await;
    let lock = server.register_lock("Office", "America/New_York").await;
    let secret = server.secret_client();
    let schedule = json!({"startDate": "2027-03-01T09:00:00", "endDate": "2027-03-01T17:00:00",
        "repeatType": "WEEKLY", "repeatInterval": 1, "repeatPattern": [1, 2, 3, 4, 5]});
    secret
        .call_value("sendKey", &json!({"lockId": lock.lock_id, "email": email, "canRemoteUnlock": true, "schedules": [schedule]}))
        .await
        .unwrap();
    let explain =
        |at: &str| json!({"lockId": lock.lock_id, "userId": member.user.object_id, "at": at});
    let monday: AccessExplanation = secret
        .call("explainAccess", &explain("2027-03-15T13:30:00Z"))
        .await
        .unwrap();
    assert!(monday.allowed, "{monday:?}");
    let saturday: AccessExplanation = secret
        .call("explainAccess", &explain("2027-03-13T15:00:00Z"))
        .await
        .unwrap();
    assert_eq!((saturday.allowed, saturday.code), (false, Some(610)));
    assert_eq!(
        saturday.next_valid_at.as_deref(),
        Some("2027-03-15T13:00:00.000Z")
    );
    assert!(
        saturday
            .rules
            .iter()
            .any(|r| r.rule == "schedules" && !r.passed)
    );

    // The member may ask about themselves; a stranger may not ask about them.
    let own: AccessExplanation = server
        .session_client(&member.session_token)
        .call(
            "explainAccess",
            &json!({"lockId": lock.lock_id, "at": "2027-03-15T13:30:00Z"}),
        )
        .await
        .unwrap();
    assert!(own.allowed);
    let (stranger, _) = server.sign_up(PASSWORD).await;
    let asked = server
        .session_client(&stranger.session_token)
        .call_value("explainAccess", &explain("2027-03-15T13:30:00Z"))
        .await;
    assert_api_error(asked, 403, 119);
    let no_key: AccessExplanation = server
        .session_client(&stranger.session_token)
        .call("explainAccess", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!((no_key.allowed, no_key.code), (false, Some(614)));
    let admin: AccessExplanation = secret
        .call(
            "explainAccess",
            &json!({"lockId": lock.lock_id, "at": "2027-03-13T15:00:00Z"}),
        )
        .await
        .unwrap();
    assert!(admin.allowed, "the virtual user is never restricted");
}

async fn ten_thousand_keys_in_one_call(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut locks = Vec::new();
    for i in 0..100 {
        locks.push(
            server
                .register_lock(&format!("Door {i}"), "UTC")
                .await
                .lock_id,
        );
    }
    let phones: Vec<String> = (0..100)
        .map(|i| format!("+3247{:07}", i + 1_000_000))
        .collect();
    let started = std::time::Instant::now();
    let keys: Vec<Key> = server
        .secret_client()
        .call("sendKey", &json!({"lockIds": locks, "phones": phones}))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(keys.len(), 10_000);
    let secret = server.secret_client();
    let first: Vec<Key> = secret
        .call("getUserKeys", &json!({"limit": 10_000}))
        .await
        .unwrap();
    let rest: Vec<Key> = secret
        .call(
            "getUserKeys",
            &json!({"limit": 10_000, "after": first.last().unwrap().object_id}),
        )
        .await
        .unwrap();
    assert_eq!(
        first.len() + rest.len(),
        10_100,
        "10,000 keys and the 100 owner keys"
    );
    eprintln!(
        "MEASURED: sendKey of 100 locks x 100 phones (10,000 keys, one transaction) took {elapsed:?} on {backend:?} (debug build)"
    );
}

both!(
    send_key_upserts_and_is_all_or_nothing,
    the_phone_wins_over_the_email,
    a_pending_key_becomes_active_at_sign_up,
    get_user_keys_in_its_three_modes,
    an_admin_session_cannot_touch_another_lock,
    revoke_returns_ids_and_spares_the_owner,
    modify_key_rules,
    a_weekday_schedule_in_new_york_across_dst,
    ten_thousand_keys_in_one_call,
);
