//! getActivity (filters, newest first, `before` paging, what a session may see) and the
//! CSV and JSON Lines exports.

mod common;

use common::{Backend, TestServer, assert_api_error, unique_email};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn activity_is_filtered_paged_and_scoped(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (admin, admin_email) = server.sign_up(PASSWORD).await;
    let a = server.register_lock("A", "UTC").await;
    let b = server.register_lock("B", "UTC").await;
    let secret = server.secret_client();
    secret
        .call_value(
            "sendKey",
            &json!({"lockId": a.lock_id, "email": admin_email, "role": "ADMIN"}),
        )
        .await
        .unwrap();
    for _ in 0..3 {
        secret
            .call_value(
                "sendKey",
                &json!({"lockId": b.lock_id, "email": unique_email()}),
            )
            .await
            .unwrap();
    }
    let all: Vec<Value> = secret.call("getActivity", &json!({})).await.unwrap();
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [7, 6, 5, 4, 3, 2, 1], "newest first, no gaps");
    assert!(
        all.iter()
            .all(|e| e["hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    let page: Vec<Value> = secret
        .call("getActivity", &json!({"limit": 2, "before": 5}))
        .await
        .unwrap();
    assert_eq!(
        page.iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [4, 3]
    );
    let on_b: Vec<Value> = secret
        .call(
            "getActivity",
            &json!({"lockId": b.lock_id, "types": ["KEY_SENT"]}),
        )
        .await
        .unwrap();
    assert_eq!(on_b.len(), 3);
    let sign_ins: Vec<Value> = secret
        .call(
            "getActivity",
            &json!({"types": ["SIGN_IN"], "userId": admin.user.object_id}),
        )
        .await
        .unwrap();
    assert_eq!(sign_ins.len(), 1);
    let none: Vec<Value> = secret
        .call("getActivity", &json!({"from": "2999-01-01T00:00:00Z"}))
        .await
        .unwrap();
    assert!(none.is_empty());

    // A session sees the locks it administers and its own actions: not lock B.
    let session = server.session_client(&admin.session_token);
    let seen: Vec<Value> = session.call("getActivity", &json!({})).await.unwrap();
    assert!(
        seen.iter()
            .all(|e| e["lock"]["objectId"] != b.object_id.as_str()),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|e| e["type"] == "SIGN_IN"));
    assert!(
        seen.iter()
            .any(|e| e["lock"]["objectId"] == a.object_id.as_str())
    );

    for bad in [
        json!({"limit": 0}),
        json!({"limit": 1001}),
        json!({"before": 0}),
        json!({"types": ["NOPE"]}),
        json!({"from": "soon"}),
    ] {
        assert_api_error(secret.call_value("getActivity", &bad).await, 400, 102);
    }
    assert_api_error(
        secret
            .call_value("getActivity", &json!({"types": "KEY_SENT"}))
            .await,
        400,
        111,
    );
    assert_api_error(
        secret
            .call_value("getActivity", &json!({"lockId": "NoSuchLock"}))
            .await,
        404,
        101,
    );
}

async fn exports_stream_every_matching_entry(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let lock = server.register_lock("Gate, \"north\"", "UTC").await;
    let secret = server.secret_client();
    for _ in 0..3 {
        secret
            .call_value(
                "sendKey",
                &json!({"lockId": lock.lock_id, "email": unique_email()}),
            )
            .await
            .unwrap();
    }
    let get = |path: String| {
        let request = server
            .http
            .get(format!("{}{path}", server.url))
            .header("Nexkey-Api-Key", &server.org.api_key)
            .header("Nexkey-Api-Secret", &server.org.api_secret);
        async move { request.send().await.unwrap() }
    };
    let jsonl = get("/export/activity.jsonl".into()).await;
    assert_eq!(jsonl.headers()["content-type"], "application/x-ndjson");
    let text = jsonl.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3, 4],
        "oldest first"
    );
    let api: Vec<Value> = secret.call("getActivity", &json!({})).await.unwrap();
    assert_eq!(
        lines.iter().rev().cloned().collect::<Vec<_>>(),
        api,
        "the same entries as getActivity"
    );

    let csv = get(format!(
        "/export/activity.csv?types=KEY_SENT&lockId={}",
        lock.lock_id
    ))
    .await;
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "a header and three entries: {text}");
    assert!(rows[0].starts_with("seq,at,type,outcome,"));
    assert!(
        rows[1].starts_with("2,") && rows[1].contains(",KEY_SENT,SUCCESS,"),
        "{}",
        rows[1]
    );
    assert!(
        rows[1].contains("\"Gate, \"\"north\"\"\""),
        "quoted: {}",
        rows[1]
    );

    let anonymous = server
        .http
        .get(format!("{}/export/activity.csv", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["code"], 601);
    let bad = get("/export/activity.jsonl?types=NOPE".into()).await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["code"], 102);
}

both!(
    activity_is_filtered_paged_and_scoped,
    exports_stream_every_matching_entry
);
