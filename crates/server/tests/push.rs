//! FCM and APNs push, against local servers that check each request's shape and answer
//! as the real services do, including "this token is no longer registered", which must
//! remove the device. Keys are made by `openssl` for the test.

#![allow(clippy::too_many_lines)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::receiver::{Answer, Receiver};
use common::{Backend, TestServer};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use latchkey_api_types::{Device, Lock};
use latchkey_client::Client;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

/// A private key (PKCS#8 PEM) of `algorithm` and its public key, by openssl.
fn keypair(dir: &Path, name: &str, options: &[&str]) -> (String, Vec<u8>) {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub"));
    let made = Command::new("openssl")
        .args(["genpkey", "-out"])
        .arg(&private)
        .args(options)
        .output()
        .expect("openssl");
    assert!(made.status.success(), "{made:?}");
    let exported = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public)
        .output()
        .expect("openssl");
    assert!(exported.status.success(), "{exported:?}");
    (
        std::fs::read_to_string(&private).unwrap(),
        std::fs::read(&public).unwrap(),
    )
}

/// Someone with a key to a lock and a device of `platform`; answers their session.
async fn holder_with_device(server: &TestServer, platform: &str, token: &str) -> (Client, String) {
    let lock: Lock = server
        .secret_client()
        .call(
            "registerLock",
            &json!({"shortName": "Gate", "timeZone": "UTC"}),
        )
        .await
        .unwrap();
    let (signed, email) = server.sign_up("correct horse battery").await;
    server
        .secret_client()
        .call_value("sendKey", &json!({"lockId": lock.lock_id, "email": email}))
        .await
        .unwrap();
    let session = server.session_client(&signed.session_token);
    let device: Device = session
        .call(
            "registerPushDevice",
            &json!({"platform": platform, "token": token}),
        )
        .await
        .unwrap();
    assert_eq!(device.secret, None);
    (session, signed.user.object_id)
}

async fn message(server: &TestServer, user_id: &str, title: &str) {
    server
        .secret_client()
        .call_value(
            "sendMessage",
            &json!({"title": title, "body": "Hello", "userIds": [user_id]}),
        )
        .await
        .unwrap();
}

async fn wait_no_devices(server: &TestServer, user_id: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let devices = server
            .state
            .store
            .devices(&server.org.organization_id, &[user_id.to_owned()])
            .await
            .unwrap();
        if devices.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "device kept: {devices:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn fcm_sends_http_v1_and_drops_unregistered_tokens(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = keypair(
        dir.path(),
        "fcm",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let google = Receiver::start(Answer::Status(500)).await;
    let account = json!({
        "type": "service_account",
        "project_id": "latchkey-test",
        "private_key_id": "k1",
        "private_key": private,
        "client_email": "push@latchkey-test.iam.gserviceaccount.com",
        "token_uri": format!("{}/token", google.url),
    });
    let account_file = dir.path().join("service-account.json");
    std::fs::write(&account_file, account.to_string()).unwrap();
    google.script([
        Answer::Json(200, json!({"access_token": "ya29.test-token", "expires_in": 3599, "token_type": "Bearer"})),
        Answer::Json(200, json!({"name": "projects/latchkey-test/messages/0:1"})),
        Answer::Json(404, json!({"error": {
            "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}})),
    ]);
    let base = google.url.clone();
    let path = account_file.display().to_string();
    let Some(server) = TestServer::start_with(backend, move |s| {
        s.outbox.poll_ms = 20;
        s.push.fcm.service_account_file = Some(path);
        s.push.fcm.base_url = base;
    })
    .await
    else {
        return;
    };
    let (_session, user_id) = holder_with_device(&server, "fcm", "fcm-device-token-1").await;
    message(&server, &user_id, "First").await;
    let got = google.wait_for(2, WAIT).await;
    // The OAuth2 token request: a JWT signed with the service account's key.
    assert_eq!(got[0].path, "/token");
    let form: Vec<(String, String)> = url_pairs(&got[0].body);
    assert!(form.contains(&(
        "grant_type".into(),
        "urn:ietf:params:oauth:grant-type:jwt-bearer".into()
    )));
    let assertion = &form.iter().find(|(k, _)| k == "assertion").unwrap().1;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[format!("{}/token", google.url)]);
    let claims = jsonwebtoken::decode::<Value>(
        assertion,
        &DecodingKey::from_rsa_pem(&public).unwrap(),
        &validation,
    )
    .expect("the assertion verifies with the account's public key")
    .claims;
    assert_eq!(claims["iss"], "push@latchkey-test.iam.gserviceaccount.com");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    // The send: HTTP v1 format, string data.
    assert_eq!(got[1].path, "/v1/projects/latchkey-test/messages:send");
    assert_eq!(got[1].header("authorization"), "Bearer ya29.test-token");
    let body = got[1].json();
    let sent = &body["message"];
    assert_eq!(sent["token"], "fcm-device-token-1");
    assert_eq!(sent["notification"]["title"], "First");
    assert_eq!(sent["notification"]["body"], "Hello");
    assert_eq!(sent["data"]["kind"], "MESSAGE");
    assert!(
        sent["data"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_string)
    );
    // FCM says the token is gone: the device is removed, the token not asked again.
    message(&server, &user_id, "Second").await;
    let got = google.wait_for(3, WAIT).await;
    assert_eq!(got[2].path, "/v1/projects/latchkey-test/messages:send");
    wait_no_devices(&server, &user_id).await;
}

fn url_pairs(body: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn apns_sends_token_based_requests_and_drops_unregistered_tokens(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (_, public) = keypair(
        dir.path(),
        "AuthKey_ABC123DEFG",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let apple = Receiver::start(Answer::Status(500)).await;
    apple.script([
        Answer::Status(200),
        Answer::Json(
            410,
            json!({"reason": "Unregistered", "timestamp": 1_764_000_000_000_i64}),
        ),
    ]);
    let base = apple.url.clone();
    let key_file = dir
        .path()
        .join("AuthKey_ABC123DEFG.pem")
        .display()
        .to_string();
    let Some(server) = TestServer::start_with(backend, move |s| {
        s.outbox.poll_ms = 20;
        s.push.apns.key_file = Some(key_file);
        s.push.apns.key_id = "ABC123DEFG".into();
        s.push.apns.team_id = "TEAM123456".into();
        s.push.apns.topic = "com.example.latchkey".into();
        s.push.apns.base_url = base;
    })
    .await
    else {
        return;
    };
    let token = "a".repeat(64);
    let (_session, user_id) = holder_with_device(&server, "apns", &token).await;
    message(&server, &user_id, "First").await;
    let got = apple.wait_for(1, WAIT).await;
    let request = &got[0];
    assert_eq!(request.path, format!("/3/device/{token}"));
    assert_eq!(request.header("apns-topic"), "com.example.latchkey");
    assert_eq!(request.header("apns-push-type"), "alert");
    assert_eq!(request.header("apns-id").len(), 36);
    let jwt = request
        .header("authorization")
        .strip_prefix("bearer ")
        .expect("bearer token");
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(
        (header.alg, header.kid.as_deref()),
        (Algorithm::ES256, Some("ABC123DEFG"))
    );
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(
        jwt,
        &DecodingKey::from_ec_pem(&public).unwrap(),
        &validation,
    )
    .expect("the provider token verifies")
    .claims;
    assert_eq!(claims["iss"], "TEAM123456");
    let body = request.json();
    assert_eq!(body["aps"]["alert"]["title"], "First");
    assert_eq!(body["data"]["kind"], "MESSAGE");
    message(&server, &user_id, "Second").await;
    apple.wait_for(2, WAIT).await;
    wait_no_devices(&server, &user_id).await;
}

both!(
    fcm_sends_http_v1_and_drops_unregistered_tokens,
    apns_sends_token_based_requests_and_drops_unregistered_tokens,
);
