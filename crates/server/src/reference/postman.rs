//! `GET /postman.json`: a Postman Collection v2.1, one folder per section and one request
//! per function with its example body and a test that it was answered (no server
//! error, a result or an error code); credentials and the base URL are variables.

use serde_json::{Value, json};

use super::Doc;
use crate::auth::Audience;
use crate::router::Functions;

/// The collection's variables, with what a demo server on the default address needs.
const VARIABLES: [(&str, &str); 5] = [
    ("url", "http://127.0.0.1:8080"),
    ("Nexkey-Api-Key", ""),
    ("Nexkey-Api-Secret", ""),
    ("Nexkey-Session-Token", ""),
    ("Nexkey-Api-Version", "5.0.0"),
];

pub fn collection(functions: &Functions, docs: &[Doc]) -> Value {
    let mut folders: Vec<(&str, Vec<Value>)> = Vec::new();
    // signOut last, so that a run of the whole collection keeps its session to the end.
    let (last, rest): (Vec<&Doc>, Vec<&Doc>) = docs.iter().partition(|d| d.name == "signOut");
    for doc in rest.into_iter().chain(last) {
        let audience = functions
            .get(doc.name)
            .map_or(Audience::SecretOrSession, |f| f.audience);
        let item = request(doc, audience);
        match folders.last_mut() {
            Some((section, items)) if *section == doc.section => items.push(item),
            _ => folders.push((doc.section, vec![item])),
        }
    }
    let variables: Vec<Value> = VARIABLES
        .iter()
        .map(|(key, value)| json!({"key": key, "value": value, "type": "string"}))
        .collect();
    json!({
        "info": {
            "name": "Latchkey External API",
            "description": "The Nexkey External API (v5) as Latchkey serves it. Set `url`, `Nexkey-Api-Key` and `Nexkey-Api-Secret` (printed by `latchkey serve` on a new database); session-only requests use `Nexkey-Session-Token` (from signIn).",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": folders
            .into_iter()
            .map(|(section, items)| json!({"name": section, "item": items}))
            .collect::<Vec<_>>(),
        "variable": variables,
    })
}

fn request(doc: &Doc, audience: Audience) -> Value {
    let mut headers = vec![
        header("Content-Type", "application/json"),
        header("Nexkey-Api-Version", "{{Nexkey-Api-Version}}"),
        header("Nexkey-Api-Key", "{{Nexkey-Api-Key}}"),
    ];
    match audience {
        Audience::Key => {}
        Audience::Session => {
            headers.push(header("Nexkey-Session-Token", "{{Nexkey-Session-Token}}"));
        }
        Audience::Secret | Audience::SecretOrSession => {
            headers.push(header("Nexkey-Api-Secret", "{{Nexkey-Api-Secret}}"));
        }
    }
    let body = serde_json::to_string_pretty(&doc.request).unwrap_or_default();
    json!({
        "name": doc.name,
        "request": {
            "method": "POST",
            "description": doc.summary,
            "header": headers,
            "body": {"mode": "raw", "raw": body, "options": {"raw": {"language": "json"}}},
            "url": {
                "raw": format!("{{{{url}}}}/rest/functions/{}", doc.name),
                "host": ["{{url}}"],
                "path": ["rest", "functions", doc.name],
            },
        },
        "event": [{
            "listen": "test",
            "script": {"type": "text/javascript", "exec": [
                "pm.test('answers, without a server error', function () {",
                "    pm.expect(pm.response.code).to.be.below(500);",
                "    const body = pm.response.json();",
                "    pm.expect(body.result !== undefined || body.code !== undefined).to.be.true;",
                "});",
            ]},
        }],
        "response": [{
            "name": "Example",
            "status": "OK",
            "code": 200,
            "header": [header("Content-Type", "application/json")],
            "body": serde_json::to_string_pretty(&json!({"result": doc.result})).unwrap_or_default(),
        }],
    })
}

fn header(key: &str, value: &str) -> Value {
    json!({"key": key, "value": value, "type": "text"})
}
