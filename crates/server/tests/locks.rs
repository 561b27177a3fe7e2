//! Lock functions: registerLock, getLock(s), modifyLock, removeLock, transferOwnership,
//! with their refusals; a refused call changes nothing.

mod common;

use common::{Backend, TestServer, assert_api_error, snapshot};
use latchkey_api_types::Lock;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn register_get_modify_remove(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let secret = server.secret_client();
    let device = format!("dev-{}", latchkey_core::ids::new_object_id());
    let lock: Lock = secret
        .call("registerLock", &json!({"lockId": device, "shortName": "Gate", "timeZone": "America/New_York", "type": "CORE"}))
        .await
        .unwrap();
    assert_eq!(
        (lock.lock_id.as_str(), lock.role.as_deref()),
        (device.as_str(), Some("OWNER"))
    );
    assert_eq!(lock.driver, Some(latchkey_api_types::Driver::default()));
    let by_device: Lock = secret
        .call("getLock", &json!({"lockId": device}))
        .await
        .unwrap();
    let by_object: Lock = secret
        .call("getLock", &json!({"lockId": lock.object_id}))
        .await
        .unwrap();
    assert_eq!(by_device, by_object);

    let before = snapshot(&server).await;
    let refusals: [(Value, u16, i64); 7] = [
        (
            json!({"lockId": device, "shortName": "Again", "timeZone": "UTC"}),
            409,
            137,
        ),
        (
            json!({"shortName": "Gate", "timeZone": "Mars/Olympus"}),
            400,
            142,
        ),
        (json!({"timeZone": "UTC"}), 400, 142),
        (json!({"shortName": "Gate"}), 400, 142),
        (json!({"shortName": 7, "timeZone": "UTC"}), 400, 111),
        (
            json!({"shortName": "Gate", "timeZone": "UTC", "type": "DOOR"}),
            400,
            111,
        ),
        (
            json!({"shortName": "Gate", "timeZone": "UTC", "lockId": "no spaces allowed"}),
            400,
            142,
        ),
    ];
    for (body, status, code) in refusals {
        assert_api_error(secret.call_value("registerLock", &body).await, status, code);
    }
    for (body, status, code) in [
        (
            json!({"lockId": device, "timeZone": "Nowhere/Land"}),
            400,
            142,
        ),
        (json!({"lockId": device, "relockSeconds": -1}), 400, 142),
        (json!({"lockId": device, "shortName": ""}), 400, 142),
        (json!({"lockId": "NoSuchLock"}), 404, 101),
        (json!({}), 400, 142),
    ] {
        assert_api_error(secret.call_value("modifyLock", &body).await, status, code);
    }
    assert_eq!(
        snapshot(&server).await,
        before,
        "refused calls changed nothing"
    );

    let modified: Lock = secret
        .call("modifyLock", &json!({"lockId": device, "shortName": "Side gate", "timeZone": "Europe/Brussels", "relockSeconds": 9}))
        .await
        .unwrap();
    assert_eq!(
        (
            modified.short_name.as_str(),
            modified.time_zone.as_str(),
            modified.relock_seconds
        ),
        ("Side gate", "Europe/Brussels", 9)
    );
    secret
        .call_value("removeLock", &json!({"lockId": device}))
        .await
        .unwrap();
    assert_api_error(
        secret
            .call_value("getLock", &json!({"lockId": device}))
            .await,
        404,
        101,
    );
}

async fn sessions_see_only_their_locks_and_pages_are_stable(backend: Backend) {
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
    let other = server.register_lock("Other", "UTC").await;
    let session = server.session_client(&admin.session_token);
    let visible: Vec<Lock> = session.call("getLocks", &json!({})).await.unwrap();
    assert_eq!(
        visible
            .iter()
            .map(|l| l.object_id.as_str())
            .collect::<Vec<_>>(),
        [mine.object_id.as_str()]
    );
    assert_eq!(visible[0].role.as_deref(), Some("ADMIN"));
    assert_api_error(
        session
            .call_value("getLock", &json!({"lockId": other.lock_id}))
            .await,
        404,
        101,
    );
    assert_api_error(
        session
            .call_value(
                "registerLock",
                &json!({"shortName": "X", "timeZone": "UTC"}),
            )
            .await,
        403,
        119,
    );

    let secret = server.secret_client();
    let all: Vec<Lock> = secret.call("getLocks", &json!({})).await.unwrap();
    assert_eq!(all.len(), 2);
    let first: Vec<Lock> = secret.call("getLocks", &json!({"limit": 1})).await.unwrap();
    let second: Vec<Lock> = secret
        .call(
            "getLocks",
            &json!({"limit": 1, "after": first[0].object_id}),
        )
        .await
        .unwrap();
    assert_eq!(vec![first[0].clone(), second[0].clone()], all);
    for bad in [
        json!({"limit": 0}),
        json!({"limit": 10_001}),
        json!({"after": "not an id"}),
    ] {
        assert_api_error(secret.call_value("getLocks", &bad).await, 400, 102);
    }
}

async fn another_organization_s_locks_do_not_exist_here(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let other = server.other_org().await;
    let theirs = server.add_lock(&other.organization_id, &[]).await;
    let secret = server.secret_client();
    for reference in [&theirs.object_id, &theirs.lock_id] {
        assert_api_error(
            secret
                .call_value("getLock", &json!({"lockId": reference}))
                .await,
            404,
            101,
        );
        assert_api_error(
            secret
                .call_value(
                    "modifyLock",
                    &json!({"lockId": reference, "shortName": "Mine"}),
                )
                .await,
            404,
            101,
        );
        assert_api_error(
            secret
                .call_value("removeLock", &json!({"lockId": reference}))
                .await,
            404,
            101,
        );
        let send = json!({"lockId": reference, "email": "someone@example.com"});
        assert_api_error(secret.call_value("sendKey", &send).await, 404, 101);
    }
}

async fn ownership_moves_only_to_an_admin(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (admin, admin_email) = server.sign_up(PASSWORD).await;
    let (user, user_email) = server.sign_up(PASSWORD).await;
    let lock = server.register_lock("Vault", "UTC").await;
    let secret = server.secret_client();
    secret
        .call_value(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": admin_email, "role": "ADMIN"}),
        )
        .await
        .unwrap();
    secret
        .call_value(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": user_email}),
        )
        .await
        .unwrap();

    let before = snapshot(&server).await;
    let to_user = json!({"lockId": lock.lock_id, "email": user_email});
    assert_api_error(
        secret.call_value("transferOwnership", &to_user).await,
        400,
        142,
    );
    let admin_session = server.session_client(&admin.session_token);
    let by_admin = json!({"lockId": lock.lock_id, "email": admin_email});
    assert_api_error(
        admin_session
            .call_value("transferOwnership", &by_admin)
            .await,
        403,
        119,
    );
    assert_api_error(
        admin_session
            .call_value("removeLock", &json!({"lockId": lock.lock_id}))
            .await,
        403,
        119,
    );
    assert_eq!(snapshot(&server).await, before);

    secret
        .call_value("transferOwnership", &by_admin)
        .await
        .unwrap();
    let keys: Vec<latchkey_api_types::Key> = secret
        .call("getLockUsers", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    let role_of = |id: &str| {
        keys.iter()
            .find(|k| k.user.object_id.as_deref() == Some(id))
            .map(|k| k.role.clone())
    };
    assert_eq!(role_of(&admin.user.object_id).as_deref(), Some("OWNER"));
    assert_eq!(role_of(&user.user.object_id).as_deref(), Some("USER"));
    let virtual_user = secret.get_current_user().await.unwrap();
    assert_eq!(
        role_of(&virtual_user.object_id).as_deref(),
        Some("ADMIN"),
        "the old owner becomes admin"
    );
    // The new owner may now remove it; the virtual user keeps the organization's authority.
    let listed: Vec<Lock> = secret.call("getLocks", &json!({})).await.unwrap();
    let shown = listed
        .iter()
        .find(|l| l.object_id == lock.object_id)
        .unwrap();
    assert_eq!(
        shown.role.as_deref(),
        Some("OWNER"),
        "the virtual user keeps owner rights"
    );
    let single: Lock = secret
        .call("getLock", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!(single.role, shown.role, "getLock and getLocks agree");
    let as_owner: Lock = admin_session
        .call("getLock", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!(as_owner.role.as_deref(), Some("OWNER"));
    let back = json!({"lockId": lock.lock_id, "email": admin_email});
    assert_api_error(
        secret.call_value("transferOwnership", &back).await,
        400,
        142,
    );
    admin_session
        .call_value("removeLock", &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    let _ = user;
}

both!(
    register_get_modify_remove,
    sessions_see_only_their_locks_and_pages_are_stable,
    another_organization_s_locks_do_not_exist_here,
    ownership_moves_only_to_an_admin,
);
