//! Changes arriving together are committed together: on SQLite one writer puts them in
//! one transaction, each in a savepoint. A change refused by the database inside such a
//! group fails alone, with its own error; the others are kept, and the audit log stays
//! one gapless chain.

mod common;

use common::{Backend, TestServer, assert_api_error};
use futures_util::future::join_all;
use serde_json::{Value, json};

async fn a_refused_change_fails_alone_among_many(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let secret = server.secret_client();
    let run = latchkey_core::ids::new_object_id();
    let contested = format!("contested-{run}");
    let calls = (0..60).map(|n| {
        let secret = secret.clone();
        let lock_id = if n % 2 == 0 {
            contested.clone()
        } else {
            format!("own-{run}-{n}")
        };
        async move {
            let body =
                json!({"lockId": lock_id, "shortName": format!("Door {n}"), "timeZone": "UTC"});
            (n, secret.call_value("registerLock", &body).await)
        }
    });
    let mut contested_won = 0;
    for (n, answer) in join_all(calls).await {
        if n % 2 == 1 {
            assert!(answer.is_ok(), "call {n}: {answer:?}");
        } else if answer.is_ok() {
            contested_won += 1;
        } else {
            assert_api_error(answer, 409, 137);
        }
    }
    assert_eq!(
        contested_won, 1,
        "exactly one registration of the same lockId stands"
    );

    let log: Vec<Value> = secret
        .call("getActivity", &json!({"limit": 1000}))
        .await
        .unwrap();
    let registered: Vec<&str> = log
        .iter()
        .filter(|e| e["type"] == "LOCK_REGISTERED")
        .filter_map(|e| e["lock"]["lockId"].as_str())
        .filter(|l| l.contains(&run))
        .collect();
    assert_eq!(registered.len(), 31, "one entry per lock that stands");
    assert_eq!(registered.iter().filter(|l| **l == contested).count(), 1);
    let seqs: Vec<i64> = log.iter().filter_map(|e| e["seq"].as_i64()).collect();
    let expected: Vec<i64> = (1..=i64::try_from(seqs.len()).unwrap()).rev().collect();
    assert_eq!(seqs, expected, "the log has no gap");
}

both!(a_refused_change_fails_alone_among_many);
