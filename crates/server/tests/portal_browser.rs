//! The portal in a real browser (headless Chromium): sign in, send a key with a weekday
//! schedule and see it listed, unlock a simulated lock and watch the steps reach
//! UNLOCKED, revoke the key, read and export the activity, create a webhook; and the
//! pages at 390 px wide. Each step leaves a screenshot in `target/screenshots/`.

mod common;

use common::browser::Browser;
use common::portal::{Admin, admin};
use common::{Backend, TestServer};
use latchkey_api_types::ActivityEntry;
use serde_json::{Value, json};

fn name(backend: Backend, test: &str) -> String {
    format!("{}-{test}", format!("{backend:?}").to_lowercase())
}

async fn signed_in(server: &TestServer, browser: &Browser, person: &Admin) {
    browser.goto(&format!("{}/portal", server.url)).await;
    browser.find("form[action='/portal/signin']").await;
    browser.fill("#identifier", &person.email).await;
    browser.fill("#password", &person.password).await;
    browser.screenshot("signin").await;
    browser.click("button[type=submit]").await;
    browser
        .until(
            "the locks page",
            "document.querySelector('h1')?.textContent === 'Locks'",
        )
        .await;
}

/// The worker's Access page shows the schedule just sent (Monday to Thursday) in the
/// editor, with its windows; then back to the lock.
async fn the_access_page_shows_the_schedule(browser: &Browser) {
    let access = browser
        .eval(
            "return [...document.querySelectorAll('table.keys tbody tr')]
                .find(tr => tr.textContent.includes('worker@example.com'))
                .querySelector('a[href*=\"/access\"]').href;",
        )
        .await;
    browser
        .goto(access.as_str().expect("the Access link"))
        .await;
    let days = browser
        .eval("return [...document.querySelectorAll('input[name=day]:checked')].map(i => i.value);")
        .await;
    assert_eq!(days, json!(["1", "2", "3", "4"]));
    browser.find("#schedule-preview li").await;
    browser.screenshot("access").await;
    browser.click("main p a").await;
    browser.find("form.send").await;
}

async fn a_key_is_sent_opens_the_lock_and_is_revoked(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let Some(browser) = Browser::start(&name(backend, "keys")).await else {
        return;
    };
    let person = admin(&server, true).await;
    signed_in(&server, &browser, &person).await;
    browser.screenshot("locks").await;
    browser
        .click(&format!(
            "a[href='/portal/locks/{}']",
            person.lock.object_id
        ))
        .await;
    browser.find("form.send").await;
    assert_eq!(browser.unlabelled_fields().await, json!([]));

    // A weekday schedule: Monday to Thursday (Friday unticked), 09:00–17:00.
    browser.fill("#person", "worker@example.com").await;
    browser.fill("#first_name", "Wim").await;
    browser.fill("#last_name", "Peeters").await;
    browser.click("input[name=access][value=weekly]").await;
    browser.click("input[name=day][value='5']").await;
    browser
        .until(
            "the preview without Fridays",
            "document.querySelectorAll('#schedule-preview li').length > 0 && \
             [...document.querySelectorAll('#schedule-preview li')].every(li => !li.textContent.startsWith('Fri'))",
        )
        .await;
    let preview = browser.text("#schedule-preview").await;
    assert!(
        preview.contains("Europe/Brussels") && preview.contains("09:00"),
        "{preview}"
    );
    browser.screenshot("send-key").await;
    browser.click("form.send button.primary").await;
    let notice = browser.text("p.notice.ok").await;
    assert_eq!(notice, "The key was sent.");
    let row = browser.text("table.keys tbody").await;
    assert!(row.contains("worker@example.com"), "{row}");
    assert!(row.contains("Mon Tue Wed Thu 09:00–17:00"), "{row}");
    browser.screenshot("key-sent").await;

    the_access_page_shows_the_schedule(&browser).await;

    // Unlock: the steps appear one by one and end at UNLOCKED.
    browser.click("form[data-unlock] button").await;
    browser
        .until(
            "UNLOCKED",
            "document.querySelector('#unlock-steps')?.dataset.state === 'success'",
        )
        .await;
    let steps = browser.text("#unlock-steps").await;
    assert!(steps.starts_with("INITIATED"), "{steps}");
    assert!(steps.ends_with("UNLOCKED"), "{steps}");
    browser.screenshot("unlocked").await;

    // Revoke, after the confirmation.
    browser
        .eval(
            "[...document.querySelectorAll('table.keys tbody tr')]
                .find(tr => tr.textContent.includes('worker@example.com'))
                .querySelector('form[action$=\"/revoke\"] button').id = 'revoke-worker';
             return null;",
        )
        .await;
    browser.click("#revoke-worker").await;
    browser
        .client
        .accept_alert()
        .await
        .expect("confirm the revocation");
    assert_eq!(browser.text("p.notice.ok").await, "The key was revoked.");
    let keys = browser.text("table.keys tbody").await;
    assert!(!keys.contains("worker@example.com"), "{keys}");
    browser.screenshot("revoked").await;
    browser.close().await;

    // In the audit log, as the person.
    let entries: Vec<ActivityEntry> = server
        .secret_client()
        .call(
            "getActivity",
            &json!({"types": ["KEY_SENT", "UNLOCK", "KEY_REVOKED"]}),
        )
        .await
        .expect("getActivity");
    let types: Vec<&str> = entries.iter().map(|e| e.body.entry_type.as_str()).collect();
    assert_eq!(types, ["KEY_REVOKED", "UNLOCK", "KEY_SENT"]);
    assert!(
        entries
            .iter()
            .all(|e| e.body.initiator.object_id == person.user_id)
    );
}

async fn the_activity_is_charted_filtered_and_exported(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let Some(browser) = Browser::start(&name(backend, "activity")).await else {
        return;
    };
    let person = admin(&server, false).await;
    let lock = person.lock.object_id.clone();
    let secret = server.secret_client();
    secret
        .call_value("performUnlock", &json!({"lockId": lock, "wait": true}))
        .await
        .expect("unlock");
    // A refusal: a key without remote unlock.
    let (holder, email) = server.sign_up("holder's own password").await;
    secret
        .call_value("sendKey", &json!({"lockId": lock, "email": email}))
        .await
        .expect("sendKey");
    let refused = server
        .session_client(&holder.session_token)
        .call_value("performUnlock", &json!({"lockId": lock}))
        .await;
    assert!(refused.is_err());

    signed_in(&server, &browser, &person).await;
    browser
        .goto(&format!("{}/portal/activity", server.url))
        .await;
    let hourly = browser.text("#unlocks-per-hour-title").await;
    assert!(hourly.ends_with("1 in all"), "{hourly}");
    let daily = browser.text("#refusals-per-day-title").await;
    assert!(daily.ends_with("1 in all"), "{daily}");
    assert_eq!(
        browser
            .all("#refusals-per-day-title + svg rect.bar")
            .await
            .len(),
        14
    );
    let table = browser.text("table.activity").await;
    assert!(
        table.contains("Unlock denied") && table.contains("Key sent"),
        "{table}"
    );
    assert_eq!(browser.unlabelled_fields().await, json!([]));
    browser.screenshot("activity").await;

    // Filtered to refusals: only those rows.
    browser
        .eval("document.querySelector('#type').value = 'UNLOCK_DENIED'; return null;")
        .await;
    browser.click("form.filters button[type=submit]").await;
    browser
        .until(
            "the filtered page",
            "location.search.includes('UNLOCK_DENIED')",
        )
        .await;
    let kinds = browser
        .eval("return [...document.querySelectorAll('table.activity tbody tr td:nth-child(3)')].map(td => td.textContent);")
        .await;
    assert_eq!(kinds, json!(["Unlock denied"]));

    // The export link gives the same entries as CSV.
    let csv = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('a[download]').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .expect("fetch the export");
    let csv = csv.as_str().unwrap_or_default();
    assert!(csv.starts_with("seq,at,type,outcome"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("UNLOCK_DENIED"), "{csv}");
    browser.screenshot("activity-filtered").await;
    browser.close().await;
}

async fn a_webhook_is_created_and_pages_fit_a_phone(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let Some(browser) = Browser::start(&name(backend, "webhooks")).await else {
        return;
    };
    let person = admin(&server, true).await;
    signed_in(&server, &browser, &person).await;
    browser.click("a[href='/portal/webhooks']").await;
    browser
        .fill("#url", "https://hooks.example.com/latchkey")
        .await;
    browser
        .fill("#description", "Door events to the office system")
        .await;
    browser.click("form.stack button.primary").await;
    let secret = browser.text("#webhook-secret").await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let listed = browser.text("table").await;
    assert!(
        listed.contains("https://hooks.example.com/latchkey"),
        "{listed}"
    );
    browser.screenshot("created").await;
    browser.click("a[href^='/portal/webhooks/']").await;
    assert_eq!(browser.text("h1").await, "Deliveries");

    // The keyboard: the first Tab reaches "Skip to content", Enter jumps to the page.
    browser
        .goto(&format!("{}/portal/webhooks", server.url))
        .await;
    browser.find("main h1").await;
    browser
        .find("body")
        .await
        .send_keys("\u{e004}")
        .await
        .expect("Tab");
    let focused = browser
        .eval("return document.activeElement.textContent;")
        .await;
    assert_eq!(focused, json!("Skip to content"));
    browser
        .client
        .active_element()
        .await
        .expect("focus")
        .send_keys("\u{e007}")
        .await
        .expect("Enter");
    browser
        .until("the jump to the content", "location.hash === '#main'")
        .await;

    // At 390 px wide nothing is cut off sideways, and every field keeps its label.
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("resize");
    for (page, step) in [
        (String::from("/portal"), "phone-locks"),
        (
            format!("/portal/locks/{}", person.lock.object_id),
            "phone-lock",
        ),
        (String::from("/portal/activity"), "phone-activity"),
    ] {
        browser.goto(&format!("{}{page}", server.url)).await;
        browser.find("main h1").await;
        let fits = browser
            .eval("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await;
        assert_eq!(fits, Value::Bool(true), "{page} is wider than the phone");
        assert_eq!(browser.unlabelled_fields().await, json!([]), "{page}");
        browser.screenshot(step).await;
    }
    browser.close().await;
}

both!(
    a_key_is_sent_opens_the_lock_and_is_revoked,
    the_activity_is_charted_filtered_and_exported,
    a_webhook_is_created_and_pages_fit_a_phone,
);
