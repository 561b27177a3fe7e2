//! The portal over plain HTTP: its sign-in, its cookie and headers, and its refusals —
//! a form without its CSRF token, a cookie of another organization's person, a person
//! reaching for a lock they do not administer — each leaving the organization unchanged;
//! and its actions recorded with the person as initiator.

mod common;

use common::portal::{Visitor, admin};
use common::{Backend, TestServer, assert_api_error, snapshot};
use latchkey_api_types::ActivityEntry;
use serde_json::json;

async fn activity(server: &TestServer, entry_type: &str) -> Vec<ActivityEntry> {
    server
        .secret_client()
        .call("getActivity", &json!({"types": [entry_type]}))
        .await
        .expect("getActivity")
}

async fn signing_in_sets_a_strict_cookie_and_every_page_a_strict_policy(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let person = admin(&server, false).await;
    let mut visitor = Visitor::new(&server);
    let wrong = visitor.sign_in(&person.email, "not the password").await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(
        wrong.body.contains("Wrong email, phone or password"),
        "{}",
        wrong.body
    );
    assert!(visitor.cookie("latchkey_portal").is_none());

    let page = visitor.sign_in(&person.email, &person.password).await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/portal"))
    );
    let set_cookie: Vec<_> = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("latchkey_portal="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/portal"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP: {session}");

    let locks = visitor.get("/portal").await;
    assert_eq!(locks.status, 200);
    assert!(
        locks.body.contains(&person.lock.object_id),
        "{}",
        locks.body
    );
    let csp = locks.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !locks.body.contains(" style="),
        "no inline style under the policy"
    );
    assert_eq!(locks.headers["cache-control"], "no-store");

    // Behind a TLS proxy the cookie is Secure.
    let mut behind_tls = Visitor::new(&server);
    let form = behind_tls.get("/portal/signin").await;
    let csrf = form.csrf();
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/portal/signin", server.url))
        .header("x-forwarded-proto", "https")
        .header("cookie", format!("latchkey_signin={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("identifier", &person.email),
            ("password", &person.password),
        ])
        .send()
        .await
        .unwrap();
    let secure = answer.headers().get_all("set-cookie").iter().any(|c| {
        c.to_str().unwrap().starts_with("latchkey_portal=")
            && c.to_str().unwrap().contains("; Secure")
    });
    assert!(secure, "{:?}", answer.headers());

    // Signing out ends the session: the old cookie opens nothing any more.
    let cookie = visitor.cookie("latchkey_portal").unwrap().to_owned();
    let out = visitor
        .post("/portal/signout", &[("csrf", &locks.csrf())])
        .await;
    assert_eq!(out.status, 303);
    let mut stale = Visitor::new(&server);
    stale.cookies.push(("latchkey_portal".into(), cookie));
    let after = stale.get("/portal").await;
    assert_eq!(
        (after.status, after.location.as_deref()),
        (303, Some("/portal/signin"))
    );
}

async fn a_form_without_its_csrf_token_changes_nothing(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let person = admin(&server, true).await;
    let other = admin(&server, false).await;
    let mut visitor = Visitor::new(&server);
    visitor.sign_in(&person.email, &person.password).await;
    let mut second = Visitor::new(&server);
    second.sign_in(&other.email, &other.password).await;
    let others_token = second.get("/portal").await.csrf();
    let before = snapshot(&server).await;
    let send = format!("/portal/locks/{}/keys", person.lock.object_id);
    let fields = [
        ("person", "eve@example.com"),
        ("role", "ADMIN"),
        ("access", "always"),
    ];
    let without = visitor.post(&send, &fields).await;
    assert_eq!(without.status, 403, "{}", without.body);
    assert!(
        without.body.contains("nothing was changed"),
        "{}",
        without.body
    );
    let mut with_others: Vec<(&str, &str)> = fields.to_vec();
    with_others.push(("csrf", &others_token));
    assert_eq!(visitor.post(&send, &with_others).await.status, 403);
    let rotate = visitor
        .post("/portal/organization/rotate", &[("grace", "0")])
        .await;
    assert_eq!(rotate.status, 403);
    assert_eq!(snapshot(&server).await, before);
    // The secret was not rotated.
    server
        .secret_client()
        .call_value("getLocks", &json!({}))
        .await
        .expect("secret still opens");
    // The sign-in form is refused without its own cookie's token.
    let mut fresh = Visitor::new(&server);
    let refused = fresh
        .post(
            "/portal/signin",
            &[
                ("csrf", "x"),
                ("identifier", &person.email),
                ("password", &person.password),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(fresh.cookie("latchkey_portal").is_none());
}

async fn a_cookie_of_another_organizations_person_reaches_nothing_here(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let here = admin(&server, true).await;
    let key = server
        .secret_client()
        .call_value(
            "sendKey",
            &json!({"lockId": here.lock.object_id, "email": "kept@example.com"}),
        )
        .await
        .expect("sendKey");
    let key_id = key[0]["objectId"].as_str().unwrap().to_owned();
    // A person who administers a lock of another organization only.
    let elsewhere = server.other_org().await;
    let password = "another long password";
    let (signed, email) = server.sign_up(password).await;
    server
        .add_lock(
            &elsewhere.organization_id,
            std::slice::from_ref(&signed.user.object_id),
        )
        .await;
    let mut visitor = Visitor::new(&server);
    assert_eq!(visitor.sign_in(&email, password).await.status, 303);
    let home = visitor.get("/portal").await;
    assert!(home.body.contains("Other org"), "{}", home.body);
    assert!(!home.body.contains(&here.lock.object_id));
    let before = snapshot(&server).await;

    let lock_page = visitor
        .get(&format!("/portal/locks/{}", here.lock.object_id))
        .await;
    assert_eq!(lock_page.status, 404, "{}", lock_page.body);
    let csrf = home.csrf();
    let revoke = visitor
        .post(
            &format!("/portal/keys/{key_id}/revoke"),
            &[("csrf", &csrf), ("lock", &here.lock.object_id)],
        )
        .await;
    assert_eq!(revoke.status, 404, "{}", revoke.body);
    let send = visitor
        .post(
            &format!("/portal/locks/{}/keys", here.lock.object_id),
            &[
                ("csrf", &csrf),
                ("person", "eve@example.com"),
                ("access", "always"),
            ],
        )
        .await;
    assert_eq!(send.status, 404, "{}", send.body);
    let hooks = visitor.get("/portal/webhooks").await;
    assert_eq!(
        hooks.status, 403,
        "not an administrator of the other organization"
    );
    assert_eq!(snapshot(&server).await, before);

    // Their session token put beside this organization's API key opens nothing.
    let token = visitor
        .cookie("latchkey_portal")
        .unwrap()
        .split_once('|')
        .unwrap()
        .1
        .to_owned();
    let mut forged = Visitor::new(&server);
    forged.cookies.push((
        "latchkey_portal".into(),
        format!("{}|{token}", server.org.api_key),
    ));
    let page = forged
        .get(&format!("/portal/locks/{}", here.lock.object_id))
        .await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/portal/signin"))
    );
}

async fn a_person_reaches_only_the_locks_they_administer(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let person = admin(&server, false).await;
    // A second lock, on which the person only holds a USER key.
    let second = server.add_lock(&server.org.organization_id, &[]).await;
    server
        .secret_client()
        .call_value(
            "sendKey",
            &json!({"lockId": second.object_id, "email": person.email}),
        )
        .await
        .expect("sendKey");
    let mut visitor = Visitor::new(&server);
    visitor.sign_in(&person.email, &person.password).await;
    let home = visitor.get("/portal").await;
    assert!(home.body.contains(&person.lock.object_id));
    assert!(!home.body.contains(&second.object_id), "{}", home.body);
    assert!(
        !home.body.contains("/portal/webhooks"),
        "no organization sections"
    );
    let before = snapshot(&server).await;

    let page = visitor
        .get(&format!("/portal/locks/{}", second.object_id))
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    let csrf = home.csrf();
    let send = visitor
        .post(
            &format!("/portal/locks/{}/keys", second.object_id),
            &[
                ("csrf", &csrf),
                ("person", "eve@example.com"),
                ("access", "always"),
            ],
        )
        .await;
    assert_eq!(send.status, 403, "{}", send.body);
    let lockdown = visitor
        .post(
            &format!("/portal/locks/{}/lockdown", second.object_id),
            &[("csrf", &csrf), ("enabled", "true")],
        )
        .await;
    assert_eq!(lockdown.status, 403, "{}", lockdown.body);
    let rotate = visitor
        .post(
            "/portal/organization/rotate",
            &[("csrf", &csrf), ("grace", "0")],
        )
        .await;
    assert_eq!(rotate.status, 403, "{}", rotate.body);
    assert_eq!(visitor.get("/portal/organization").await.status, 403);
    assert_eq!(snapshot(&server).await, before);
    server
        .secret_client()
        .call_value("getLocks", &json!({}))
        .await
        .expect("secret unchanged");
}

/// The key's access, edited in the portal: the editor shows Monday and Friday, saving
/// Tuesday and Wednesday changes the key (as the person); no day at all is refused beside
/// the editor.
async fn the_access_is_edited(
    server: &TestServer,
    visitor: &mut Visitor,
    person: &common::portal::Admin,
    key_id: &str,
    csrf: &str,
) {
    let access = format!("/portal/keys/{key_id}/access");
    let lock_query = format!("{access}?lock={}", person.lock.object_id);
    let editor = visitor.get(&lock_query).await;
    assert_eq!(editor.status, 200, "{}", editor.body);
    for day in ["1", "5"] {
        assert!(
            editor.body.contains(&format!("value=\"{day}\" checked")),
            "{}",
            editor.body
        );
    }
    assert!(!editor.body.contains("value=\"2\" checked"));
    let mut fields = vec![
        ("csrf", csrf),
        ("lock", person.lock.object_id.as_str()),
        ("access", "weekly"),
        ("start", "07:00"),
        ("end", "15:00"),
        ("from", "2027-01-04"),
    ];
    let refused = visitor.post(&access, &fields).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"schedule-error\""),
        "{}",
        refused.body
    );
    fields.extend([("day", "2"), ("day", "3")]);
    let saved = visitor.post(&access, &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let users: Vec<latchkey_api_types::Key> = server
        .secret_client()
        .call("getLockUsers", &json!({"lockId": person.lock.object_id}))
        .await
        .unwrap();
    let edited = users.iter().find(|k| k.object_id == key_id).unwrap();
    assert_eq!(edited.schedules[0].repeat_pattern, vec![2, 3]);
    assert_eq!(edited.schedules[0].start_date, "2027-01-04T07:00:00");
    let modified = activity(server, "KEY_MODIFIED").await;
    assert_eq!(modified.len(), 1);
    assert_eq!(modified[0].body.initiator.object_id, person.user_id);
}

async fn portal_actions_are_recorded_with_the_person_as_initiator(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let person = admin(&server, true).await;
    let mut visitor = Visitor::new(&server);
    visitor.sign_in(&person.email, &person.password).await;
    let page = visitor
        .get(&format!("/portal/locks/{}", person.lock.object_id))
        .await;
    let csrf = page.csrf();
    let sent = visitor
        .post(
            &format!("/portal/locks/{}/keys", person.lock.object_id),
            &[
                ("csrf", &csrf),
                ("person", "worker@example.com"),
                ("role", "USER"),
                ("access", "weekly"),
                ("day", "1"),
                ("day", "5"),
                ("start", "08:30"),
                ("end", "12:00"),
                ("from", "2027-01-04"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let keys = activity(&server, "KEY_SENT").await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].body.initiator.object_id, person.user_id);
    let users: Vec<latchkey_api_types::Key> = server
        .secret_client()
        .call("getLockUsers", &json!({"lockId": person.lock.object_id}))
        .await
        .unwrap();
    let key = users
        .iter()
        .find(|k| k.user.primary_email.as_deref() == Some("worker@example.com"))
        .expect("the key");
    assert_eq!(key.schedules.len(), 1);
    assert_eq!(key.schedules[0].repeat_pattern, vec![1, 5]);
    assert_eq!(key.schedules[0].start_date, "2027-01-04T08:30:00");

    the_access_is_edited(&server, &mut visitor, &person, &key.object_id, &csrf).await;

    // A bad form comes back with the error beside its field, and nothing sent.
    let bad = visitor
        .post(
            &format!("/portal/locks/{}/keys", person.lock.object_id),
            &[
                ("csrf", &csrf),
                ("person", "not a phone"),
                ("access", "always"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("id=\"person-error\""), "{}", bad.body);
    assert_eq!(activity(&server, "KEY_SENT").await.len(), 1);

    // An organization action: a webhook, recorded as the person, its secret shown once.
    let created = visitor
        .post(
            "/portal/webhooks",
            &[
                ("csrf", &csrf),
                ("url", "https://hooks.example.com/in"),
                ("event", "*"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains("whsec_"), "{}", created.body);
    let hooks = activity(&server, "WEBHOOK_CREATED").await;
    assert_eq!(hooks[0].body.initiator.object_id, person.user_id);
    assert!(
        !visitor
            .get("/portal/webhooks")
            .await
            .body
            .contains("whsec_"),
        "shown once"
    );
}

async fn a_person_of_two_organizations_switches_between_them(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let person = admin(&server, false).await;
    let elsewhere = server.other_org().await;
    let other_lock = server
        .add_lock(
            &elsewhere.organization_id,
            std::slice::from_ref(&person.user_id),
        )
        .await;
    // Made administrator of the other organization: recorded there, once.
    for _ in 0..2 {
        latchkey_server::provision::grant_organization_admin(
            &*server.state.store,
            &elsewhere.organization_id,
            &person.email,
            server.state.now(),
        )
        .await
        .expect("grant");
    }
    let mut visitor = Visitor::new(&server);
    visitor.sign_in(&person.email, &person.password).await;
    let home = visitor.get("/portal").await;
    assert!(
        home.body.contains("name=\"organization\""),
        "a switcher: {}",
        home.body
    );
    let first_org_lock = if home.body.contains(&person.lock.object_id) {
        &person.lock.object_id
    } else {
        &other_lock.object_id
    };
    let target = if first_org_lock == &person.lock.object_id {
        elsewhere.organization_id.clone()
    } else {
        server.org.organization_id.clone()
    };
    let old_cookie = visitor.cookie("latchkey_portal").unwrap().to_owned();
    let switched = visitor
        .post(
            "/portal/switch",
            &[("csrf", &home.csrf()), ("organization", &target)],
        )
        .await;
    assert_eq!(switched.status, 303, "{}", switched.body);
    let now_home = visitor.get("/portal").await;
    assert!(
        !now_home.body.contains(first_org_lock.as_str()),
        "{}",
        now_home.body
    );
    let mut stale = Visitor::new(&server);
    stale.cookies.push(("latchkey_portal".into(), old_cookie));
    assert_eq!(
        stale.get("/portal").await.status,
        303,
        "the old session ended"
    );
    // Not an organization the person may open: refused, nothing opened.
    let third = server.other_org().await;
    let refused = visitor
        .post(
            "/portal/switch",
            &[
                ("csrf", &now_home.csrf()),
                ("organization", &third.organization_id),
            ],
        )
        .await;
    assert_eq!(refused.status, 404);
    let grants: Vec<ActivityEntry> = server
        .client()
        .with(latchkey_client::Credentials::Secret {
            api_key: elsewhere.api_key.clone(),
            api_secret: elsewhere.api_secret.clone(),
        })
        .call(
            "getActivity",
            &json!({"types": ["ORGANIZATION_ADMIN_GRANTED"]}),
        )
        .await
        .expect("getActivity");
    assert_eq!(grants.len(), 1, "a second grant records nothing");
    assert_eq!(
        grants[0].body.target.as_ref().unwrap()["user"]["objectId"],
        person.user_id.as_str()
    );
}

async fn a_person_who_administers_nothing_is_refused_and_throttled(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let password = "a password of theirs";
    let (_, email) = server.sign_up(password).await;
    let mut visitor = Visitor::new(&server);
    let refused = visitor.sign_in(&email, password).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(
        refused.body.contains("administers no lock"),
        "{}",
        refused.body
    );
    assert!(visitor.cookie("latchkey_portal").is_none());
    let mut last = refused;
    for _ in 0..12 {
        last = visitor.sign_in(&email, "guess").await;
    }
    assert_eq!(last.status, 429, "{}", last.body);
    assert!(
        last.body.contains("Too many failed attempts"),
        "{}",
        last.body
    );
}

async fn the_secret_is_rotated_and_a_lock_locked_down_through_the_portal(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let person = admin(&server, true).await;
    let mut visitor = Visitor::new(&server);
    visitor.sign_in(&person.email, &person.password).await;
    let csrf = visitor.get("/portal/organization").await.csrf();
    let rotated = visitor
        .post(
            "/portal/organization/rotate",
            &[("csrf", &csrf), ("grace", "0")],
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let at = rotated
        .body
        .find("lks_")
        .expect("the new secret, shown once");
    let new_secret: String = rotated.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert_api_error(
        server
            .secret_client()
            .call_value("getLocks", &json!({}))
            .await,
        401,
        602,
    );
    let secret = server.client().with(latchkey_client::Credentials::Secret {
        api_key: server.org.api_key.clone(),
        api_secret: new_secret,
    });
    let rotations: Vec<ActivityEntry> = secret
        .call("getActivity", &json!({"types": ["API_SECRET_ROTATED"]}))
        .await
        .expect("the new secret opens");
    assert_eq!(rotations[0].body.initiator.object_id, person.user_id);
    assert!(
        !visitor
            .get("/portal/organization")
            .await
            .body
            .contains("lks_")
    );

    // Lockdown on from the locks page, then off from the lock's page.
    let lockdown = format!("/portal/locks/{}/lockdown", person.lock.object_id);
    let on = visitor
        .post(
            &lockdown,
            &[("csrf", &csrf), ("enabled", "true"), ("back", "/portal")],
        )
        .await;
    assert_eq!(on.location.as_deref(), Some("/portal?notice=lockdown-on"));
    let lock: latchkey_api_types::Lock = secret
        .call("getLock", &json!({"lockId": person.lock.object_id}))
        .await
        .unwrap();
    assert!(lock.lockdown);
    let off = visitor
        .post(
            &lockdown,
            &[("csrf", &csrf), ("enabled", "false"), ("back", "lock")],
        )
        .await;
    let back = format!(
        "/portal/locks/{}?notice=lockdown-off",
        person.lock.object_id
    );
    assert_eq!(off.location.as_deref(), Some(back.as_str()));
    let modified: Vec<ActivityEntry> = secret
        .call("getActivity", &json!({"types": ["LOCK_MODIFIED"]}))
        .await
        .unwrap();
    assert_eq!(modified.len(), 2);
    assert!(
        modified
            .iter()
            .all(|e| e.body.initiator.object_id == person.user_id)
    );
}

async fn groups_are_created_and_deleted_and_lost_rights_end_the_portal(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let person = admin(&server, false).await;
    let mut visitor = Visitor::new(&server);
    visitor.sign_in(&person.email, &person.password).await;
    let csrf = visitor.get("/portal/groups").await.csrf();
    let nameless = visitor
        .post(
            "/portal/groups",
            &[
                ("csrf", &csrf),
                ("name", " "),
                ("lock", &person.lock.object_id),
            ],
        )
        .await;
    assert_eq!(nameless.status, 400, "{}", nameless.body);
    assert!(
        nameless.body.contains("class=\"error\""),
        "{}",
        nameless.body
    );
    let created = visitor
        .post(
            "/portal/groups",
            &[
                ("csrf", &csrf),
                ("name", "Cleaners"),
                ("lock", &person.lock.object_id),
            ],
        )
        .await;
    assert_eq!(
        created.location.as_deref(),
        Some("/portal/groups?notice=created")
    );
    let groups: Vec<latchkey_api_types::Group> = server
        .secret_client()
        .call("getGroups", &json!({}))
        .await
        .unwrap();
    assert_eq!(groups.len(), 1, "the nameless one was not created");
    assert_eq!(groups[0].lock_ids, vec![person.lock.object_id.clone()]);
    let listed = visitor.get("/portal/groups").await;
    assert!(listed.body.contains("Cleaners") && listed.body.contains("Front door"));
    let deleted = visitor
        .post(
            &format!("/portal/groups/{}/delete", groups[0].object_id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    let groups: Vec<latchkey_api_types::Group> = server
        .secret_client()
        .call("getGroups", &json!({}))
        .await
        .unwrap();
    assert!(groups.is_empty());

    // The person's admin key revoked: the portal of this organization closes at once.
    server
        .secret_client()
        .call_value(
            "revokeKey",
            &json!({"lockId": person.lock.object_id, "email": person.email}),
        )
        .await
        .expect("revokeKey");
    let closed = visitor.get("/portal").await;
    assert_eq!(closed.status, 403, "{}", closed.body);
    assert!(closed.body.contains("do not administer"), "{}", closed.body);
}

both!(
    signing_in_sets_a_strict_cookie_and_every_page_a_strict_policy,
    a_form_without_its_csrf_token_changes_nothing,
    a_cookie_of_another_organizations_person_reaches_nothing_here,
    a_person_reaches_only_the_locks_they_administer,
    portal_actions_are_recorded_with_the_person_as_initiator,
    a_person_of_two_organizations_switches_between_them,
    a_person_who_administers_nothing_is_refused_and_throttled,
    the_secret_is_rotated_and_a_lock_locked_down_through_the_portal,
    groups_are_created_and_deleted_and_lost_rights_end_the_portal,
);
