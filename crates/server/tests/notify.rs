//! Notifications, messages, push devices and invitations: an enrolled admin hears of
//! others' actions at their doors (inbox and push), not of their own, not in quiet hours;
//! messages reach key holders; invitations reach the SMTP sink and the SMS gateway.

#![allow(clippy::too_many_lines)]

mod common;

use std::time::Duration;

use common::receiver::{Answer, Receiver, verify};
use common::smtp::SmtpSink;
use common::{Backend, TestServer, assert_api_error};
use latchkey_api_types::{Device, Enrollment, Lock, Message, MessageSent};
use latchkey_client::Client;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(10);

fn quick(s: &mut latchkey_server::Settings) {
    s.outbox.poll_ms = 20;
}

async fn door(server: &TestServer) -> Lock {
    server
        .secret_client()
        .call(
            "registerLock",
            &json!({"shortName": "Back door", "timeZone": "Europe/Brussels",
                    "driver": {"kind": "simulated", "latencyMs": 0}}),
        )
        .await
        .unwrap()
}

/// A new person with a key of `role` to `lock`; answers their session client and id.
async fn person(server: &TestServer, lock: &Lock, role: &str) -> (Client, String) {
    let (signed, email) = server.sign_up(PASSWORD).await;
    server
        .secret_client()
        .call_value(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": email, "role": role, "canRemoteUnlock": true}),
        )
        .await
        .unwrap();
    (
        server.session_client(&signed.session_token),
        signed.user.object_id,
    )
}

async fn open(client: &Client, lock: &Lock, command: &str) {
    let done: Value = client
        .call(command, &json!({"lockId": lock.lock_id}))
        .await
        .unwrap();
    assert_eq!(done["success"], true, "{done}");
}

async fn inbox(client: &Client) -> Vec<Message> {
    client.call("getMessages", &json!({})).await.unwrap()
}

/// Waits until the inbox holds `n` items.
async fn wait_inbox(client: &Client, n: usize) -> Vec<Message> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = inbox(client).await;
        if got.len() >= n {
            return got;
        }
        assert!(tokio::time::Instant::now() < deadline, "inbox: {got:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A one-off window around now, in the lock's zone.
fn quiet_now(server: &TestServer) -> Value {
    let tz = jiff::tz::TimeZone::get("Europe/Brussels").unwrap();
    let now = jiff::Timestamp::from_millisecond(server.state.now()).unwrap();
    let local = |t: jiff::Timestamp| {
        t.to_zoned(tz.clone())
            .datetime()
            .strftime("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let hour = jiff::SignedDuration::from_hours(1);
    json!({"startDate": local(now - hour), "endDate": local(now + hour), "repeatType": 0})
}

async fn an_enrolled_admin_hears_of_others_not_self_not_in_quiet_hours(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, quick).await else {
        return;
    };
    let lock = door(&server).await;
    let (admin, admin_id) = person(&server, &lock, "ADMIN").await;
    let (guest, guest_id) = person(&server, &lock, "USER").await;
    let phone = Receiver::start(Answer::Status(200)).await;
    let device: Device = admin
        .call(
            "registerPushDevice",
            &json!({"platform": "webhook", "url": phone.url}),
        )
        .await
        .unwrap();
    let device_secret = device.secret.clone().expect("shown once");
    // A user may enroll only for locks they administer.
    assert_api_error(
        guest
            .call_value(
                "enrollNotifications",
                &json!({"lockIds": [lock.lock_id], "categories": ["UNLOCKS_AND_LOCKS"]}),
            )
            .await,
        403,
        119,
    );
    let enrollment: Enrollment = admin
        .call(
            "enrollNotifications",
            &json!({"name": "Back door", "lockIds": [lock.lock_id], "categories": ["UNLOCKS_AND_LOCKS"]}),
        )
        .await
        .unwrap();
    assert_eq!(enrollment.lock_ids, std::slice::from_ref(&lock.object_id));
    open(&admin, &lock, "performUnlock").await; // their own: no notification
    open(&guest, &lock, "performUnlock").await;
    let got = wait_inbox(&admin, 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let note = &got[0];
    assert_eq!(note.kind, "NOTIFICATION");
    assert_eq!(note.title, "Back door");
    assert!(note.body.contains("unlocked Back door"), "{}", note.body);
    let entry = note.activity.as_ref().unwrap();
    assert_eq!(entry["type"], "UNLOCK");
    assert_eq!(entry["initiator"]["objectId"], guest_id.as_str());
    let pushed = phone.wait_for(1, WAIT).await;
    assert!(verify(&device_secret, &pushed[0]), "the push is signed");
    let push = pushed[0].json();
    assert_eq!(push["data"]["title"], "Back door");
    assert_eq!(push["data"]["data"]["messageId"], note.message_id.as_str());
    // Quiet hours: nothing.
    let quiet: Enrollment = admin
        .call(
            "modifyNotificationEnrollment",
            &json!({"enrollmentId": enrollment.object_id, "quietHours": quiet_now(&server)}),
        )
        .await
        .unwrap();
    assert!(quiet.quiet_hours.is_some());
    assert_eq!(
        quiet.name.as_deref(),
        Some("Back door"),
        "fields not sent stay"
    );
    // A webhook tells when an entry has been fanned out: enrollments are read then.
    let fanned = Receiver::start(Answer::Status(200)).await;
    server
        .secret_client()
        .call_value(
            "createWebhook",
            &json!({"url": fanned.url, "events": ["UNLOCK"]}),
        )
        .await
        .unwrap();
    open(&guest, &lock, "performUnlock").await;
    fanned.wait_for(1, WAIT).await;
    // Quiet hours end (cleared); the next action is heard.
    admin
        .call_value(
            "modifyNotificationEnrollment",
            &json!({"enrollmentId": enrollment.object_id, "quietHours": null}),
        )
        .await
        .unwrap();
    open(&guest, &lock, "performLock").await;
    let got = wait_inbox(&admin, 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got_all = inbox(&admin).await;
    assert_eq!(got_all.len(), 2, "{got:?}");
    assert_eq!(got_all[0].activity.as_ref().unwrap()["type"], "LOCK");
    assert_eq!(phone.wait_for(2, WAIT).await.len(), 2);
    // Another category does not match; the guest's inbox is theirs alone.
    assert!(inbox(&guest).await.is_empty());
    let listed: Vec<Enrollment> = admin
        .call("getNotificationEnrollments", &json!({}))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(admin_id.len(), 10);
    admin
        .call_value(
            "unenrollNotifications",
            &json!({"enrollmentId": enrollment.object_id}),
        )
        .await
        .unwrap();
    assert_api_error(
        admin
            .call_value(
                "unenrollNotifications",
                &json!({"enrollmentId": enrollment.object_id}),
            )
            .await,
        404,
        101,
    );
    // Unregistering the device leaves no pushes for it.
    admin
        .call_value(
            "unregisterPushDevice",
            &json!({"deviceId": device.object_id}),
        )
        .await
        .unwrap();
    assert_api_error(
        guest
            .call_value(
                "unregisterPushDevice",
                &json!({"deviceId": device.object_id}),
            )
            .await,
        404,
        101,
    );
}

async fn enrollments_and_devices_check_their_input(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = door(&server).await;
    let (admin, _) = person(&server, &lock, "ADMIN").await;
    for body in [
        json!({"categories": ["UNLOCKS_AND_LOCKS"]}),
        json!({"lockIds": [lock.lock_id]}),
        json!({"lockIds": [lock.lock_id], "categories": []}),
        json!({"lockIds": [lock.lock_id], "categories": ["EVERYTHING"]}),
        json!({"lockIds": [lock.lock_id], "groupId": "abc", "categories": ["UNLOCKS_AND_LOCKS"]}),
        json!({"lockIds": [lock.lock_id], "categories": ["UNLOCKS_AND_LOCKS"],
               "quietHours": {"startDate": "2026-01-01T22:00:00"}}),
    ] {
        assert_api_error(
            admin.call_value("enrollNotifications", &body).await,
            400,
            142,
        );
    }
    assert_api_error(
        admin
            .call_value(
                "enrollNotifications",
                &json!({"lockIds": ["nope"], "categories": ["UNLOCKS_AND_LOCKS"]}),
            )
            .await,
        404,
        101,
    );
    for body in [
        json!({"platform": "sms", "token": "x"}),
        json!({"platform": "fcm"}),
        json!({"platform": "webhook", "url": "file:///etc/passwd"}),
    ] {
        assert_api_error(
            admin.call_value("registerPushDevice", &body).await,
            400,
            142,
        );
    }
    // Enrollments and inboxes belong to people: the secret is refused.
    assert_api_error(
        server
            .secret_client()
            .call_value("getMessages", &json!({}))
            .await,
        403,
        119,
    );
}

async fn messages_reach_key_holders_and_page(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = door(&server).await;
    let (admin, _) = person(&server, &lock, "ADMIN").await;
    let (guest, guest_id) = person(&server, &lock, "USER").await;
    let secret = server.secret_client();
    let sent: MessageSent = secret
        .call(
            "sendMessage",
            &json!({"title": "Closed Friday", "body": "The office is closed.", "lockIds": [lock.lock_id]}),
        )
        .await
        .unwrap();
    assert_eq!(
        sent.recipients, 2,
        "the admin and the guest, not the sender"
    );
    let got = inbox(&guest).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (
            got[0].kind.as_str(),
            got[0].title.as_str(),
            got[0].message_id.as_str()
        ),
        ("MESSAGE", "Closed Friday", sent.message_id.as_str())
    );
    assert_eq!(got[0].from.as_ref().unwrap()["type"], "VIRTUAL");
    // A USER may not message the lock's holders; an admin may, to people by id.
    assert_api_error(
        guest
            .call_value(
                "sendMessage",
                &json!({"title": "t", "body": "b", "lockIds": [lock.lock_id]}),
            )
            .await,
        403,
        119,
    );
    for n in 0..3 {
        let sent: MessageSent = admin
            .call(
                "sendMessage",
                &json!({"title": format!("Note {n}"), "body": "b", "userIds": [guest_id]}),
            )
            .await
            .unwrap();
        assert_eq!(sent.recipients, 1);
    }
    let first: Vec<Message> = guest
        .call("getMessages", &json!({"limit": 2}))
        .await
        .unwrap();
    let titles: Vec<&str> = first.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(titles, ["Note 2", "Note 1"]);
    let rest: Vec<Message> = guest
        .call("getMessages", &json!({"limit": 2, "before": first[1].seq}))
        .await
        .unwrap();
    let titles: Vec<&str> = rest.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(titles, ["Note 0", "Closed Friday"]);
    for body in [
        json!({"body": "b", "lockIds": [lock.lock_id]}),
        json!({"title": "t", "body": "", "lockIds": [lock.lock_id]}),
        json!({"title": "t", "body": "b"}),
        json!({"title": "t", "body": "b", "lockIds": [lock.lock_id], "userIds": [guest_id]}),
    ] {
        assert_api_error(secret.call_value("sendMessage", &body).await, 400, 142);
    }
    assert_api_error(
        guest.call_value("getMessages", &json!({"limit": 0})).await,
        400,
        102,
    );
    // Someone of another organization cannot be reached.
    let other = server.other_org().await;
    let theirs = server.client().with(latchkey_client::Credentials::Secret {
        api_key: other.api_key,
        api_secret: other.api_secret,
    });
    assert_api_error(
        theirs
            .call_value(
                "sendMessage",
                &json!({"title": "t", "body": "b", "userIds": [guest_id]}),
            )
            .await,
        404,
        101,
    );
    let entries: Vec<Value> = secret
        .call("getActivity", &json!({"types": ["MESSAGE_SENT"]}))
        .await
        .unwrap();
    assert_eq!(entries.len(), 4);
}

async fn invitations_go_by_email_and_sms(backend: Backend) {
    let sink = SmtpSink::start().await;
    let gateway = Receiver::start(Answer::Status(202)).await;
    let (smtp, sms) = (sink.url.clone(), gateway.url.clone());
    let Some(server) = TestServer::start_with(backend, move |s| {
        quick(s);
        s.email.smtp_url = Some(smtp);
        s.email.from = "Latchkey <keys@latchkey.test>".into();
        s.sms.url = Some(format!("{sms}/sms"));
        s.sms.bearer_token = Some("gateway-token".into());
    })
    .await
    else {
        return;
    };
    let lock = door(&server).await;
    let email = common::unique_email();
    server
        .secret_client()
        .call_value(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": email, "firstName": "Grace"}),
        )
        .await
        .unwrap();
    let mails = sink.wait_for(1, WAIT).await;
    assert_eq!(mails[0].to, std::slice::from_ref(&email));
    assert!(
        mails[0].from.contains("keys@latchkey.test"),
        "{}",
        mails[0].from
    );
    assert!(
        mails[0]
            .data
            .contains("Subject: You have a key to Back door"),
        "{}",
        mails[0].data
    );
    assert!(mails[0].data.contains("Hello Grace"), "{}", mails[0].data);
    // Sending the same key again changes it, and invites nobody twice.
    server
        .secret_client()
        .call_value(
            "sendKey",
            &json!({"lockId": lock.lock_id, "email": email, "oneTime": true}),
        )
        .await
        .unwrap();
    server
        .secret_client()
        .call_value(
            "sendKey",
            &json!({"lockId": lock.lock_id, "phone": "+14155550199"}),
        )
        .await
        .unwrap();
    let texts = gateway.wait_for(1, WAIT).await;
    assert_eq!(texts[0].path, "/sms");
    assert_eq!(texts[0].header("authorization"), "Bearer gateway-token");
    let text = texts[0].json();
    assert_eq!(text["to"], "+14155550199");
    assert!(text["body"].as_str().unwrap().contains("Back door"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        sink.wait_for(1, WAIT).await.len(),
        1,
        "one invitation per pending key"
    );
}

both!(
    an_enrolled_admin_hears_of_others_not_self_not_in_quiet_hours,
    enrollments_and_devices_check_their_input,
    messages_reach_key_holders_and_page,
    invitations_go_by_email_and_sms,
);
