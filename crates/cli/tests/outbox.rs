//! At-least-once delivery across a crash: the server is killed (SIGKILL) while a webhook
//! delivery is in flight, restarted on the same database, and the event arrives, with
//! the same `webhook-id`, on SQLite and on PostgreSQL (where the dead server's lease has
//! to run out first).

#[path = "../../server/tests/common/receiver.rs"]
mod receiver;

mod common;

use std::process::Command;
use std::time::Duration;

use common::{WAIT, field, kill, serve};
use latchkey_client::{Client, Credentials};
use receiver::{Answer, Receiver};
use serde_json::{Value, json};

async fn survives_a_crash(database: &str) {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(Answer::Hang).await;
    let (first, url, banner) = serve(dir.path(), database, &[]);
    let api_key = field(&banner, "API key").expect("demo credentials on a new database");
    let api_secret = field(&banner, "API secret").unwrap();
    let client = Client::new(&url).with(Credentials::Secret {
        api_key: api_key.clone(),
        api_secret: api_secret.clone(),
    });
    client
        .call_value(
            "createWebhook",
            &json!({"url": receiver.url, "events": ["UNLOCK"]}),
        )
        .await
        .unwrap();
    let locks: Vec<Value> = client.call("getLocks", &json!({})).await.unwrap();
    let done: Value = client
        .call("performUnlock", &json!({"lockId": locks[0]["lockId"]}))
        .await
        .unwrap();
    assert_eq!(done["success"], true);
    let before = receiver.wait_for(1, WAIT).await;
    kill(first); // mid-delivery: the receiver has not answered
    receiver.set_default(Answer::Status(200));
    let (second, url, _) = serve(dir.path(), database, &[]);
    let after = receiver.wait_for(2, WAIT).await;
    assert_eq!(
        after[1].header("webhook-id"),
        before[0].header("webhook-id")
    );
    assert_eq!(
        after[1].body, before[0].body,
        "the same event, byte for byte"
    );
    let client = Client::new(&url).with(Credentials::Secret {
        api_key,
        api_secret,
    });
    let hooks: Vec<Value> = client.call("getWebhooks", &json!({})).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let log: Vec<Value> = client
            .call(
                "getWebhookDeliveries",
                &json!({"webhookId": hooks[0]["objectId"]}),
            )
            .await
            .unwrap();
        if log[0]["state"] == "DELIVERED" {
            assert_eq!(
                log[0]["attempts"].as_array().unwrap().last().unwrap()["statusCode"],
                200
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{log:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill(second);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_in_flight_survives_a_crash_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/latchkey.db", dir.path().display());
    survives_a_crash(&database).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_in_flight_survives_a_crash_on_postgres() {
    let Ok(url) = std::env::var("LATCHKEY_TEST_POSTGRES_URL") else {
        eprintln!(
            "SKIPPED: LATCHKEY_TEST_POSTGRES_URL is not set, so this PostgreSQL test did not run"
        );
        return;
    };
    // A schema of its own, so that the demo organization is created in it.
    let schema = format!("crash_{}", std::process::id());
    let created = Command::new("psql")
        .args([
            &url,
            "-qc",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
        ])
        .output()
        .expect("psql");
    assert!(created.status.success(), "{created:?}");
    let joiner = if url.contains('?') { '&' } else { '?' };
    survives_a_crash(&format!("{url}{joiner}options[search_path]={schema}")).await;
}
