//! Session and user functions: signUp, signIn (failures, throttling), modifyCurrentUser,
//! getUser.

mod common;

use std::time::Duration;

use common::{Backend, TestServer, assert_api_error, unique_email};
use latchkey_api_types::{GetUserRequest, ModifyCurrentUserRequest, SignUpRequest};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn person(email: Option<String>, phone: Option<&str>) -> SignUpRequest {
    SignUpRequest {
        first_name: Some("Grace".into()),
        last_name: Some("Hopper".into()),
        email,
        phone: phone.map(str::to_owned),
        password: Some(PASSWORD.into()),
    }
}

/// A phone number no other test uses: +1 and ten digits with a valid area code.
fn unique_phone() -> String {
    let n: u64 = latchkey_core::ids::new_object_id()
        .bytes()
        .fold(0u64, |acc, b| {
            acc.wrapping_mul(31).wrapping_add(u64::from(b))
        });
    format!("{}{:09}", 2 + n % 8, n % 1_000_000_000)
}

async fn sign_up_normalizes_and_keeps_contacts_unique(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let key = server.key_client();
    let email = unique_email();
    let phone = unique_phone();
    let dashed = format!("({}) {}-{}", &phone[..3], &phone[3..6], &phone[6..]);
    let signed = key
        .sign_up(&person(Some(email.to_uppercase()), Some(&dashed)))
        .await
        .unwrap();
    assert_eq!(signed.user.primary_email.as_deref(), Some(email.as_str()));
    assert_eq!(signed.user.primary_phone, Some(format!("+1{phone}")));
    assert_eq!(signed.user.user_type, latchkey_api_types::UserType::User);

    let same_email = key.sign_up(&person(Some(format!(" {email} ")), None)).await;
    assert_api_error(same_email, 409, 137);
    let same_phone = key
        .sign_up(&person(None, Some(&format!("+1{phone}"))))
        .await;
    assert_api_error(same_phone, 409, 137);

    // Both sign-in forms find the person: email in any case, phone in any format.
    key.sign_in(&email.to_uppercase(), PASSWORD).await.unwrap();
    key.sign_in(&dashed, PASSWORD).await.unwrap();
}

async fn sign_up_checks_every_field(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let key = server.key_client();
    let cases = [
        (
            json!({"lastName": "H", "email": unique_email(), "password": PASSWORD}),
            142,
            "firstName",
        ),
        (
            json!({"firstName": "G", "email": unique_email(), "password": PASSWORD}),
            142,
            "lastName",
        ),
        (
            json!({"firstName": "G", "lastName": "H", "password": PASSWORD}),
            142,
            "email or phone",
        ),
        (
            json!({"firstName": "G", "lastName": "H", "email": unique_email()}),
            142,
            "password",
        ),
        (
            json!({"firstName": "G", "lastName": "H", "email": unique_email(), "password": "short"}),
            142,
            "password",
        ),
        (
            json!({"firstName": "G", "lastName": "H", "email": "not-an-email", "password": PASSWORD}),
            142,
            "email",
        ),
        (
            json!({"firstName": "G", "lastName": "H", "phone": "12345", "password": PASSWORD}),
            142,
            "phone",
        ),
        (
            json!({"firstName": "  ", "lastName": "H", "email": unique_email(), "password": PASSWORD}),
            142,
            "firstName",
        ),
        (
            json!({"firstName": ["G"], "lastName": "H", "email": unique_email(), "password": PASSWORD}),
            111,
            "firstName",
        ),
        (
            json!({"firstName": "G", "lastName": "H", "email": unique_email(), "password": 1_234_567_890}),
            111,
            "password",
        ),
    ];
    for (body, code, field) in cases {
        match key.call_value("signUp", &body).await {
            Err(latchkey_client::Error::Api {
                status,
                body: error,
                ..
            }) => {
                assert_eq!((status, error.code), (400, code), "{body}: {}", error.error);
                assert!(
                    error.error.contains(field),
                    "{body}: {:?} should name {field}",
                    error.error
                );
            }
            other => panic!("{body}: expected {code}, got {other:?}"),
        }
    }
}

async fn wrong_password_and_unknown_user_get_the_same_answer(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (_, email) = server.sign_up(PASSWORD).await;
    let key = [("Nexkey-Api-Key", server.org.api_key.as_str())];
    let wrong = server
        .raw(
            "/signIn",
            &key,
            json!({"userIdentifier": email, "password": "wrong password"}).to_string(),
        )
        .await;
    let unknown = server
        .raw(
            "/signIn",
            &key,
            json!({"userIdentifier": unique_email(), "password": "wrong password"}).to_string(),
        )
        .await;
    let garbage = server
        .raw(
            "/signIn",
            &key,
            json!({"userIdentifier": "???", "password": "wrong password"}).to_string(),
        )
        .await;
    wrong.assert_error(401, 101);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body, garbage.body);
    assert_eq!(wrong.body["error"], "Invalid username/password.");
    let missing = server
        .raw(
            "/signIn",
            &key,
            json!({"userIdentifier": email}).to_string(),
        )
        .await;
    missing.assert_error(400, 142);
}

async fn repeated_failures_are_throttled_until_the_window_closes(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (_, email) = server.sign_up(PASSWORD).await;
    let key = server.key_client();
    let mut throttled = 0;
    for _ in 0..20 {
        match key.sign_in(&email, "wrong password").await {
            Err(latchkey_client::Error::Api {
                status: 429,
                body,
                retry_after,
            }) => {
                assert_eq!(body.code, 155);
                let wait = retry_after.expect("Retry-After on 155");
                assert!((1..=900).contains(&wait), "{wait}");
                throttled += 1;
            }
            other => assert_api_error(other, 401, 101),
        }
    }
    assert_eq!(throttled, 10, "the 11th to 20th attempts are throttled");
    // Even the right password waits: the throttle is checked before the password.
    assert_api_error(key.sign_in(&email, PASSWORD).await, 429, 155);
    // Another identifier from the same address is not affected yet.
    let (_, other) = server.sign_up(PASSWORD).await;
    key.sign_in(&other, PASSWORD).await.unwrap();

    server.state.clock.advance(Duration::from_secs(901));
    key.sign_in(&email, PASSWORD)
        .await
        .expect("works after the window");
}

async fn modifying_names_and_password(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (signed, email) = server.sign_up(PASSWORD).await;
    let other_session = server.key_client().sign_in(&email, PASSWORD).await.unwrap();
    let me = server.session_client(&signed.session_token);

    let renamed = me
        .modify_current_user(&ModifyCurrentUserRequest {
            first_name: Some(" Ada ".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(renamed.user.first_name.as_deref(), Some("Ada"));
    assert!(
        renamed.session_token.is_none(),
        "no new session without a password change"
    );

    let no_current = ModifyCurrentUserRequest {
        password: Some("new password 123".into()),
        ..Default::default()
    };
    assert_api_error(me.modify_current_user(&no_current).await, 400, 142);
    let wrong_current = ModifyCurrentUserRequest {
        password: Some("new password 123".into()),
        current_password: Some("not my password".into()),
        ..Default::default()
    };
    assert_api_error(me.modify_current_user(&wrong_current).await, 400, 142);
    let too_short = ModifyCurrentUserRequest {
        password: Some("short".into()),
        current_password: Some(PASSWORD.into()),
        ..Default::default()
    };
    assert_api_error(me.modify_current_user(&too_short).await, 400, 142);
    me.get_current_user()
        .await
        .expect("refused changes ended no session");

    let change = ModifyCurrentUserRequest {
        password: Some("new password 123".into()),
        current_password: Some(PASSWORD.into()),
        ..Default::default()
    };
    let changed = me.modify_current_user(&change).await.unwrap();
    assert_api_error(me.get_current_user().await, 401, 209);
    let other = server.session_client(&other_session.session_token);
    assert_api_error(other.get_current_user().await, 401, 209);
    let fresh = server.session_client(&changed.session_token.expect("a new session token"));
    assert_eq!(
        fresh
            .get_current_user()
            .await
            .unwrap()
            .first_name
            .as_deref(),
        Some("Ada")
    );
    assert_api_error(
        server.key_client().sign_in(&email, PASSWORD).await,
        401,
        101,
    );
    server
        .key_client()
        .sign_in(&email, "new password 123")
        .await
        .unwrap();
}

async fn the_virtual_user_has_no_password(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let secret = server.secret_client();
    let change = ModifyCurrentUserRequest {
        password: Some("new password 123".into()),
        current_password: Some("anything at all".into()),
        ..Default::default()
    };
    assert_api_error(secret.modify_current_user(&change).await, 403, 119);
    let renamed = secret
        .modify_current_user(&ModifyCurrentUserRequest {
            first_name: Some("Door bot".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(renamed.user.first_name.as_deref(), Some("Door bot"));
    assert_eq!(
        renamed.user.user_type,
        latchkey_api_types::UserType::Virtual
    );
}

async fn get_user_rules(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (admin, _) = server.sign_up(PASSWORD).await;
    let (member, member_email) = server.sign_up(PASSWORD).await;
    let (stranger, _) = server.sign_up(PASSWORD).await;
    server
        .add_lock(
            &server.org.organization_id,
            &[admin.user.object_id.clone(), member.user.object_id.clone()],
        )
        .await;
    let admin_session = server.session_client(&admin.session_token);
    let by_email = GetUserRequest {
        email: Some(member_email.clone()),
        ..Default::default()
    };
    assert_eq!(
        admin_session.get_user(&by_email).await.unwrap().object_id,
        member.user.object_id
    );

    let stranger_session = server.session_client(&stranger.session_token);
    assert_api_error(stranger_session.get_user(&by_email).await, 404, 101);
    let myself = GetUserRequest {
        user_id: Some(stranger.user.object_id.clone()),
        ..Default::default()
    };
    assert_eq!(
        stranger_session.get_user(&myself).await.unwrap().object_id,
        stranger.user.object_id
    );

    let secret = server.secret_client();
    let stranger_by_id = GetUserRequest {
        user_id: Some(stranger.user.object_id.clone()),
        ..Default::default()
    };
    assert_api_error(secret.get_user(&stranger_by_id).await, 404, 101);
    assert_api_error(secret.get_user(&GetUserRequest::default()).await, 400, 142);
    let two = GetUserRequest {
        user_id: Some(member.user.object_id.clone()),
        email: Some(member_email),
        ..Default::default()
    };
    assert_api_error(secret.get_user(&two).await, 400, 142);
    let bad_phone = GetUserRequest {
        phone: Some("call me".into()),
        ..Default::default()
    };
    assert_api_error(secret.get_user(&bad_phone).await, 400, 142);
}

async fn failures_from_one_address_are_throttled_across_identifiers(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, |s| {
        s.auth.signin_failures_per_address = 3;
        s.auth.trust_forwarded_for = true;
    })
    .await
    else {
        return;
    };
    for _ in 0..3 {
        sign_in_from(&server, "198.51.100.1, 203.0.113.7")
            .await
            .assert_error(401, 101);
    }
    let throttled = sign_in_from(&server, "203.0.113.7").await;
    throttled.assert_error(429, 155);
    assert!(throttled.headers.contains_key("retry-after"));
    sign_in_from(&server, "203.0.113.8")
        .await
        .assert_error(401, 101);
}

/// A failing sign-in of a new identifier, forwarded for `from` by a proxy.
async fn sign_in_from(server: &TestServer, from: &str) -> common::Raw {
    let body = json!({"userIdentifier": unique_email(), "password": "guess guess"}).to_string();
    let headers = [
        ("Nexkey-Api-Key", server.org.api_key.as_str()),
        ("X-Forwarded-For", from),
    ];
    server.raw("/signIn", &headers, body).await
}

async fn guessing_the_current_password_is_throttled(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (signed, _) = server.sign_up(PASSWORD).await;
    let me = server.session_client(&signed.session_token);
    let guess = ModifyCurrentUserRequest {
        password: Some("new password 123".into()),
        current_password: Some("a wrong guess".into()),
        ..Default::default()
    };
    for _ in 0..10 {
        assert_api_error(me.modify_current_user(&guess).await, 400, 142);
    }
    assert_api_error(me.modify_current_user(&guess).await, 429, 155);
}

both!(
    sign_up_normalizes_and_keeps_contacts_unique,
    sign_up_checks_every_field,
    wrong_password_and_unknown_user_get_the_same_answer,
    repeated_failures_are_throttled_until_the_window_closes,
    modifying_names_and_password,
    the_virtual_user_has_no_password,
    get_user_rules,
    failures_from_one_address_are_throttled_across_identifiers,
    guessing_the_current_password_is_throttled,
);
