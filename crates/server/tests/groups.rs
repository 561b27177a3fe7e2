//! Group functions: membership materialized as keys carrying the group's id; the
//! group's remote unlock and schedules apply to them; removing members or locks removes
//! those keys.

// A scenario reads best as one story, even when it is long.
#![allow(clippy::too_many_lines)]

mod common;

use common::{Backend, TestServer, assert_api_error, snapshot, unique_email};
use latchkey_api_types::{AccessExplanation, Group, Key};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

async fn group_membership_is_keys(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (member, member_email) = server.sign_up(PASSWORD).await;
    let a = server.register_lock("A", "America/New_York").await;
    let b = server.register_lock("B", "America/New_York").await;
    let c = server.register_lock("C", "America/New_York").await;
    let secret = server.secret_client();
    let office = json!({"startDate": "2027-03-01T09:00:00", "endDate": "2027-03-01T17:00:00",
        "repeatType": 2, "repeatPattern": [1, 2, 3, 4, 5]});
    let group: Group = secret
        .call("createGroup", &json!({"name": "Staff", "lockIds": [a.lock_id, b.lock_id], "canRemoteUnlock": true, "schedules": [office]}))
        .await
        .unwrap();
    assert_eq!(
        (
            group.lock_ids.len(),
            group.user_count,
            group.schedules.len()
        ),
        (2, 0, 1)
    );
    let invitee = unique_email();
    let with_users: Group = secret
        .call(
            "addGroupUsers",
            &json!({"groupId": group.object_id, "emails": [member_email, invitee]}),
        )
        .await
        .unwrap();
    assert_eq!(with_users.user_count, 2);
    let keys: Vec<Key> = secret
        .call("getUserKeys", &json!({"email": member_email}))
        .await
        .unwrap();
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter()
            .all(|k| k.group_id.as_deref() == Some(group.object_id.as_str()))
    );

    // The group's remote unlock and schedule apply to its keys.
    let explain =
        |at: &str| json!({"lockId": a.lock_id, "userId": member.user.object_id, "at": at});
    let monday: AccessExplanation = secret
        .call("explainAccess", &explain("2027-03-15T13:30:00Z"))
        .await
        .unwrap();
    assert!(monday.allowed, "{monday:?}");
    let saturday: AccessExplanation = secret
        .call("explainAccess", &explain("2027-03-13T15:00:00Z"))
        .await
        .unwrap();
    assert_eq!(saturday.code, Some(610));

    secret
        .call_value(
            "addGroupLocks",
            &json!({"groupId": group.object_id, "lockIds": [c.lock_id]}),
        )
        .await
        .unwrap();
    let keys: Vec<Key> = secret
        .call("getUserKeys", &json!({"email": member_email}))
        .await
        .unwrap();
    assert_eq!(keys.len(), 3, "a new lock gives every member a key");
    let pending: Vec<Key> = secret
        .call("getLockUsers", &json!({"lockId": c.lock_id}))
        .await
        .unwrap();
    assert!(pending.iter().any(
        |k| k.status == "PENDING" && k.user.primary_email.as_deref() == Some(invitee.as_str())
    ));

    secret
        .call_value(
            "removeGroupLocks",
            &json!({"groupId": group.object_id, "lockIds": [a.lock_id]}),
        )
        .await
        .unwrap();
    let keys: Vec<Key> = secret
        .call("getUserKeys", &json!({"email": member_email}))
        .await
        .unwrap();
    assert_eq!(
        keys.iter()
            .filter(|k| k.lock.object_id == a.object_id)
            .count(),
        0
    );
    secret
        .call_value(
            "removeGroupUsers",
            &json!({"groupId": group.object_id, "emails": [member_email]}),
        )
        .await
        .unwrap();
    let keys: Vec<Key> = secret
        .call("getUserKeys", &json!({"email": member_email}))
        .await
        .unwrap();
    assert!(keys.is_empty(), "{keys:?}");
    let fetched: Group = secret
        .call("getGroup", &json!({"groupId": group.object_id}))
        .await
        .unwrap();
    assert_eq!((fetched.user_count, fetched.lock_ids.len()), (1, 2));

    secret
        .call_value("deleteGroup", &json!({"groupId": group.object_id}))
        .await
        .unwrap();
    let left: Vec<Key> = secret
        .call("getLockUsers", &json!({"lockId": c.lock_id}))
        .await
        .unwrap();
    assert_eq!(
        left.len(),
        1,
        "only the owner's key: the group's keys went with it"
    );
    assert_api_error(
        secret
            .call_value("getGroup", &json!({"groupId": group.object_id}))
            .await,
        404,
        101,
    );
}

async fn a_direct_key_is_not_taken_over_by_a_group(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (_, email) = server.sign_up(PASSWORD).await;
    let lock = server.register_lock("A", "UTC").await;
    let secret = server.secret_client();
    let direct: Vec<Key> = secret
        .call(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": email, "role": "ADMIN"}),
        )
        .await
        .unwrap();
    let group: Group = secret
        .call(
            "createGroup",
            &json!({"name": "G", "lockIds": [lock.lock_id]}),
        )
        .await
        .unwrap();
    secret
        .call_value(
            "addGroupUsers",
            &json!({"groupId": group.object_id, "emails": [email]}),
        )
        .await
        .unwrap();
    secret
        .call_value(
            "removeGroupUsers",
            &json!({"groupId": group.object_id, "emails": [email]}),
        )
        .await
        .unwrap();
    let keys: Vec<Key> = secret
        .call("getUserKeys", &json!({"email": email}))
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (
            keys[0].object_id.as_str(),
            keys[0].role.as_str(),
            keys[0].group_id.as_ref()
        ),
        (direct[0].object_id.as_str(), "ADMIN", None)
    );
}

async fn group_refusals_change_nothing(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (admin, _) = server.sign_up(PASSWORD).await;
    let mine = server
        .add_lock(
            &server.org.organization_id,
            std::slice::from_ref(&admin.user.object_id),
        )
        .await;
    let theirs = server.register_lock("Theirs", "UTC").await;
    let secret = server.secret_client();
    let group: Group = secret
        .call(
            "createGroup",
            &json!({"name": "G", "lockIds": [theirs.lock_id]}),
        )
        .await
        .unwrap();
    let session = server.session_client(&admin.session_token);
    let before = snapshot(&server).await;
    assert_api_error(
        session
            .call_value(
                "createGroup",
                &json!({"name": "X", "lockIds": [mine.lock_id, theirs.lock_id]}),
            )
            .await,
        403,
        119,
    );
    assert_api_error(
        session
            .call_value(
                "addGroupLocks",
                &json!({"groupId": group.object_id, "lockIds": [mine.lock_id]}),
            )
            .await,
        403,
        119,
    );
    assert_api_error(
        session
            .call_value("deleteGroup", &json!({"groupId": group.object_id}))
            .await,
        403,
        119,
    );
    assert_api_error(
        session
            .call_value("getGroup", &json!({"groupId": group.object_id}))
            .await,
        403,
        119,
    );
    let overlapping = json!({"groupId": group.object_id, "schedules": [
        {"startDate": "2027-03-01T09:00:00", "endDate": "2027-03-01T12:00:00", "repeatType": 1},
        {"startDate": "2027-03-01T10:00:00", "endDate": "2027-03-01T11:00:00", "repeatType": 1}]});
    assert_api_error(
        secret.call_value("modifyGroup", &overlapping).await,
        400,
        142,
    );
    assert_api_error(
        secret
            .call_value("createGroup", &json!({"lockIds": [theirs.lock_id]}))
            .await,
        400,
        142,
    );
    assert_api_error(
        secret
            .call_value(
                "createGroup",
                &json!({"name": "N", "lockIds": ["NoSuchLock"]}),
            )
            .await,
        404,
        101,
    );
    assert_api_error(
        secret
            .call_value(
                "addGroupUsers",
                &json!({"groupId": group.object_id, "emails": ["x"]}),
            )
            .await,
        400,
        142,
    );
    assert_api_error(
        secret
            .call_value(
                "addGroupUsers",
                &json!({"groupId": "NoSuchGrp1", "emails": [unique_email()]}),
            )
            .await,
        404,
        101,
    );
    assert_api_error(
        secret
            .call_value(
                "removeGroupLocks",
                &json!({"groupId": group.object_id, "lockIds": [mine.lock_id]}),
            )
            .await,
        400,
        142,
    );
    let other = server.other_org().await;
    let foreign = server.client().with(latchkey_client::Credentials::Secret {
        api_key: other.api_key,
        api_secret: other.api_secret,
    });
    assert_api_error(
        foreign
            .call_value("getGroup", &json!({"groupId": group.object_id}))
            .await,
        404,
        101,
    );
    assert_eq!(snapshot(&server).await, before);
    let visible: Vec<Group> = session.call("getGroups", &json!({})).await.unwrap();
    assert!(
        visible.is_empty(),
        "a group of locks the session does not administer is not listed"
    );
}

both!(
    group_membership_is_keys,
    a_direct_key_is_not_taken_over_by_a_group,
    group_refusals_change_nothing,
);
