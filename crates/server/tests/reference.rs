//! The API described by the server itself: `/openapi.json`, `/docs` and `/postman.json`
//! on a real server, and the mock server answering every function with its example.

mod common;

use common::{Backend, TestServer};
use latchkey_server::reference::{docs, mock};
use serde_json::{Value, json};

async fn get(url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.text().await.unwrap(), headers)
}

async fn the_server_describes_itself(backend: Backend) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let (status, body, headers) = get(&format!("{}/openapi.json", server.url)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    let document: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for name in server.state.functions.names() {
        assert!(
            paths.contains_key(&format!("/rest/functions/{name}")),
            "{name}"
        );
    }
    // The page: every function, its curl example, nothing fetched from elsewhere.
    let (status, page, headers) = get(&format!("{}/docs", server.url)).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    for name in server.state.functions.names() {
        assert!(page.contains(&format!("id=\"{name}\"")), "{name}");
        assert!(page.contains(&format!("/rest/functions/{name}")), "{name}");
    }
    assert!(page.contains("Tightly coupled") && page.contains("Loosely coupled"));
    for external in ["<script", "src=", "<link", "@import", "url(", "@font-face"] {
        assert!(
            !page.contains(external),
            "the page loads nothing: {external}"
        );
    }
    // The collection: one request per function, the variables an integrator sets.
    let (_, body, _) = get(&format!("{}/postman.json", server.url)).await;
    let collection: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(collection["info"]["name"], "Latchkey External API");
    let variables: Vec<&str> = collection["variable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        variables,
        [
            "url",
            "Nexkey-Api-Key",
            "Nexkey-Api-Secret",
            "Nexkey-Session-Token",
            "Nexkey-Api-Version"
        ]
    );
    let requests: Vec<&Value> = collection["item"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|folder| folder["item"].as_array().unwrap())
        .collect();
    assert_eq!(requests.len(), server.state.functions.names().len());
    let sign_in = requests.iter().find(|r| r["name"] == "signIn").unwrap();
    let headers: Vec<&str> = sign_in["request"]["header"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap())
        .collect();
    assert!(
        !headers.contains(&"Nexkey-Api-Secret"),
        "signIn takes the key only"
    );
    let body: Value =
        serde_json::from_str(sign_in["request"]["body"]["raw"].as_str().unwrap()).unwrap();
    assert_eq!(body["userIdentifier"], "ada@example.com");
}

both!(the_server_describes_itself);

#[tokio::test]
async fn the_mock_answers_every_function_with_its_example() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, mock::app()).await });
    let http = reqwest::Client::new();
    for doc in docs() {
        // No credentials at all, any body.
        let response = http
            .post(format!("{url}/rest/functions/{}", doc.name))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", doc.name);
        assert_eq!(response.headers()["latchkey-mock"], "true");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["result"], doc.result, "{}", doc.name);
    }
    let response = http
        .post(format!("{url}/rest/functions/openTheDoor"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["latchkey-mock"], "true");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 404);
    let (status, _, headers) = get(&format!("{url}/openapi.json")).await;
    assert_eq!(
        (status, &headers["latchkey-mock"]),
        (200, &"true".parse().unwrap())
    );
}
