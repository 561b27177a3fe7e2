//! Transport (spec section 1) and versions (section 2): paths, envelope, body rules,
//! request ids, version negotiation, unknown functions, health endpoints.

mod common;

use common::{Backend, TestServer};
use serde_json::json;

async fn both_paths_answer_with_the_result_envelope(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let headers = server.secret_headers();
    for path in ["/rest/functions/getCurrentUser", "/getCurrentUser"] {
        let raw = server.raw(path, &headers, "").await;
        assert_eq!(raw.status, 200, "{path}: {raw:?}");
        assert_eq!(raw.body["result"]["type"], "VIRTUAL", "{path}");
        assert_eq!(
            raw.body.as_object().unwrap().len(),
            1,
            "only result: {raw:?}"
        );
    }
}

async fn unknown_functions_are_404_with_code_404(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let raw = server
        .raw("/rest/functions/openSesame", &server.secret_headers(), "{}")
        .await;
    raw.assert_error(404, 404);
    let raw = server.raw("/openSesame", &[], "{}").await;
    raw.assert_error(404, 404);
    let raw = server.raw("/a/b/c", &[], "{}").await;
    raw.assert_error(404, 404);
}

async fn bodies_must_be_json_objects_of_at_most_64_kib(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let headers = server.secret_headers();
    let path = "/rest/functions/getCurrentUser";
    server
        .raw(path, &headers, "not json")
        .await
        .assert_error(400, 107);
    server
        .raw(path, &headers, "[1,2]")
        .await
        .assert_error(400, 107);
    server
        .raw(path, &headers, "\"text\"")
        .await
        .assert_error(400, 107);
    server
        .raw(path, &headers, "{\"a\":")
        .await
        .assert_error(400, 107);
    let padding = "x".repeat(65 * 1024);
    let big = json!({ "padding": padding }).to_string();
    server.raw(path, &headers, big).await.assert_error(413, 107);
    let just_fits = json!({ "p": "x".repeat(60 * 1024) }).to_string();
    assert_eq!(server.raw(path, &headers, just_fits).await.status, 200);
    assert_eq!(
        server.raw(path, &headers, "  ").await.status,
        200,
        "blank means {{}}"
    );
}

async fn wrong_field_types_are_111_naming_the_field(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let key = [("Nexkey-Api-Key", server.org.api_key.as_str())];
    let raw = server
        .raw(
            "/signIn",
            &key,
            r#"{"userIdentifier": 42, "password": "x"}"#,
        )
        .await;
    raw.assert_error(400, 111);
    assert!(
        raw.body["error"]
            .as_str()
            .unwrap()
            .contains("userIdentifier"),
        "{raw:?}"
    );
}

async fn request_ids_are_echoed_or_made(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let mut headers = server.secret_headers().to_vec();
    headers.push(("X-Request-Id", "trace-me-123"));
    let raw = server.raw("/getCurrentUser", &headers, "").await;
    assert_eq!(raw.headers["x-request-id"], "trace-me-123");
    let raw = server
        .raw("/getCurrentUser", &server.secret_headers(), "")
        .await;
    let made = raw.headers["x-request-id"].to_str().unwrap();
    assert!(made.len() >= 16, "{made}");
    let error = server.raw("/nope", &[], "").await;
    assert!(
        error.headers.contains_key("x-request-id"),
        "errors carry it too"
    );
    assert_eq!(error.headers["nexkey-api-version"], "5.0.0");
}

async fn versions_two_to_five_are_served_others_are_605(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let with = |extra: (&'static str, &'static str)| {
        let mut h = server.secret_headers().to_vec();
        h.push(extra);
        h
    };
    let raw = server
        .raw("/getCurrentUser", &server.secret_headers(), "")
        .await;
    assert_eq!(
        raw.headers["nexkey-api-version"], "5.0.0",
        "missing means 5.0.0"
    );
    let raw = server
        .raw(
            "/getCurrentUser",
            &with(("Nexkey-Api-Version", "2.0.0")),
            "",
        )
        .await;
    assert_eq!(
        (
            raw.status,
            raw.headers["nexkey-api-version"].to_str().unwrap()
        ),
        (200, "2.0.0")
    );
    let raw = server
        .raw(
            "/getCurrentUser",
            &with(("Nexkey-Api-Version", "4.3.1")),
            "",
        )
        .await;
    assert_eq!(raw.headers["nexkey-api-version"], "4.3.1");
    let raw = server
        .raw(
            "/getCurrentUser",
            &server.secret_headers(),
            r#"{"APINumber":"2"}"#,
        )
        .await;
    assert_eq!(
        (
            raw.status,
            raw.headers["nexkey-api-version"].to_str().unwrap()
        ),
        (200, "2.0.0")
    );
    let raw = server
        .raw(
            "/getCurrentUser",
            &server.secret_headers(),
            r#"{"APINumber":2.0}"#,
        )
        .await;
    assert_eq!(raw.headers["nexkey-api-version"], "2.0.0");
    let raw = server
        .raw("/getCurrentUser", &with(("APINumber", "2")), "")
        .await;
    assert_eq!(raw.headers["nexkey-api-version"], "2.0.0");

    for bad in ["6.0.0", "1.0.0", "5.0", "latest"] {
        let raw = server
            .raw("/getCurrentUser", &with(("Nexkey-Api-Version", bad)), "")
            .await;
        raw.assert_error(400, 605);
    }
    let raw = server
        .raw(
            "/getCurrentUser",
            &server.secret_headers(),
            r#"{"APINumber":"7"}"#,
        )
        .await;
    raw.assert_error(400, 605);
}

async fn health_and_readiness(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    for path in ["/healthz", "/readyz"] {
        let response = server
            .http
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

async fn in_flight_requests_finish_on_shutdown(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(mut server) = TestServer::start(backend).await else {
        return;
    };
    // Send the headers of a request, start the shutdown, then send its body: the request
    // is in flight, so it must still be answered.
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let body = "{}";
    let head = format!(
        "POST /rest/functions/getCurrentUser HTTP/1.1\r\nHost: x\r\nNexkey-Api-Key: {}\r\nNexkey-Api-Secret: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.org.api_key,
        server.org.api_secret,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    server.begin_shutdown();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"VIRTUAL\""), "{answer}");
    server.stop().await;
    let refused = tokio::net::TcpStream::connect(server.addr).await;
    assert!(refused.is_err(), "the listener is closed after shutdown");
}

async fn internal_errors_are_code_1_without_details(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    // A lock whose stored driver settings are unreadable (no API call can store that).
    let lock = server.register_lock("Broken", "UTC").await;
    let mut record = server
        .state
        .store
        .lock(&server.org.organization_id, &lock.object_id)
        .await
        .unwrap();
    record.driver = "{not json".into();
    let changes = latchkey_store::WriteSet {
        locks_update: vec![record],
        ..Default::default()
    };
    server
        .state
        .store
        .apply(&server.org.organization_id, &changes)
        .await
        .unwrap();
    let raw = server
        .raw(
            "/getLock",
            &server.secret_headers(),
            json!({"lockId": lock.lock_id}).to_string(),
        )
        .await;
    raw.assert_error(500, 1);
    assert_eq!(raw.body["error"], "Internal error.", "no details: {raw:?}");
    assert!(
        raw.headers.contains_key("x-request-id"),
        "the request id finds the details in the log"
    );
}

both!(
    internal_errors_are_code_1_without_details,
    both_paths_answer_with_the_result_envelope,
    unknown_functions_are_404_with_code_404,
    bodies_must_be_json_objects_of_at_most_64_kib,
    wrong_field_types_are_111_naming_the_field,
    request_ids_are_echoed_or_made,
    versions_two_to_five_are_served_others_are_605,
    health_and_readiness,
    in_flight_requests_finish_on_shutdown,
);
