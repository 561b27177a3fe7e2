//! The API described from the code: the function table gives each function's credentials
//! and its request and result types (as JSON Schema, by schemars), [`examples`] gives its
//! summary, errors and example. From them: `GET /openapi.json` (OpenAPI 3.1), `GET /docs`
//! (an HTML reference, no external resources), `GET /postman.json` (a Postman v2.1
//! collection) and `latchkey serve --mock`.

pub mod examples;
pub mod mock;
mod page;
mod postman;

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use latchkey_api_types::ErrorBody;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::auth::Audience;
use crate::router::Functions;
use crate::state::AppState;
pub use examples::{Doc, docs};

/// The rendered documents, built once at start.
#[derive(Debug)]
pub struct Reference {
    pub openapi: String,
    pub postman: String,
    pub page: String,
}

impl Reference {
    pub fn new(functions: &Functions) -> Reference {
        let docs = docs();
        Reference {
            openapi: openapi(functions, &docs).to_string(),
            postman: postman::collection(functions, &docs).to_string(),
            page: page::render(functions, &docs),
        }
    }
}

pub async fn openapi_json(State(reference): State<Arc<Reference>>) -> Response {
    json_response(&reference.openapi)
}

pub async fn postman_json(State(reference): State<Arc<Reference>>) -> Response {
    json_response(&reference.postman)
}

pub async fn docs_page(State(reference): State<Arc<Reference>>) -> Html<String> {
    Html(reference.page.clone())
}

fn json_response(body: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_owned(),
    )
        .into_response()
}

impl axum::extract::FromRef<AppState> for Arc<Reference> {
    fn from_ref(state: &AppState) -> Arc<Reference> {
        state.reference.clone()
    }
}

/// The header names of the credentials, as OpenAPI security schemes.
const SCHEMES: [(&str, &str, &str); 4] = [
    (
        "apiKey",
        "Nexkey-Api-Key",
        "The organization's API key: every call sends it.",
    ),
    (
        "apiSecret",
        "Nexkey-Api-Secret",
        "The API secret: the call acts as the organization (its virtual user).",
    ),
    (
        "sessionToken",
        "Nexkey-Session-Token",
        "A session token from signIn or signUp: the call acts as that person.",
    ),
    (
        "apiVersion",
        "Nexkey-Api-Version",
        "The API version the client speaks, 2.0.0 to 5.x.y (default 5.0.0).",
    ),
];

/// The security requirements of a function: alternatives, each a set of schemes.
pub fn security(audience: Audience) -> Vec<Vec<&'static str>> {
    match audience {
        Audience::Key => vec![vec!["apiKey"]],
        Audience::Secret => vec![vec!["apiKey", "apiSecret"]],
        Audience::Session => vec![vec!["apiKey", "sessionToken"]],
        Audience::SecretOrSession => {
            vec![vec!["apiKey", "apiSecret"], vec!["apiKey", "sessionToken"]]
        }
    }
}

/// Who may call, in words.
pub fn audience_words(audience: Audience) -> &'static str {
    match audience {
        Audience::Key => "API key only",
        Audience::Secret => "API key and secret (the organization)",
        Audience::Session => "API key and a session token (a signed-in person)",
        Audience::SecretOrSession => "API key with its secret or a session token",
    }
}

/// The OpenAPI 3.1 document.
pub fn openapi(functions: &Functions, docs: &[Doc]) -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    let mut generator = settings.into_generator();
    let error = generator.subschema_for::<ErrorBody>();
    let mut paths = Map::new();
    for doc in docs {
        let Some(function) = functions.get(doc.name) else {
            continue;
        };
        let request = (function.request)(&mut generator);
        let result = (function.result)(&mut generator);
        let security: Vec<Value> = security(function.audience)
            .into_iter()
            .map(|set| Value::Object(set.into_iter().map(|s| (s.to_owned(), json!([]))).collect()))
            .collect();
        let errors: Vec<String> = doc.errors.iter().map(i64::to_string).collect();
        let description = format!(
            "{}\n\nCalled with: {}.{}",
            doc.summary,
            audience_words(function.audience),
            if errors.is_empty() {
                String::new()
            } else {
                format!(
                    " Error codes besides those of every call: {}.",
                    errors.join(", ")
                )
            }
        );
        let operation = json!({
            "operationId": doc.name,
            "tags": [doc.section],
            "summary": doc.summary,
            "description": description,
            "security": security,
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": request, "example": doc.request}},
            },
            "responses": {
                "200": {
                    "description": "The result, in the envelope `{\"result\": …}`.",
                    "content": {"application/json": {
                        "schema": {"type": "object", "required": ["result"], "properties": {"result": result}},
                        "example": {"result": doc.result},
                    }},
                },
                "default": {
                    "description": "An error: `code` (section 7 of the contract) and `error`, in words.",
                    "content": {"application/json": {"schema": error}},
                },
            },
        });
        paths.insert(
            format!("/rest/functions/{}", doc.name),
            json!({"post": operation}),
        );
    }
    let schemes: Map<String, Value> = SCHEMES
        .iter()
        .map(|(id, name, description)| {
            (
                (*id).to_owned(),
                json!({"type": "apiKey", "in": "header", "name": name, "description": description}),
            )
        })
        .collect();
    let mut sections: Vec<&str> = docs.iter().map(|d| d.section).collect();
    sections.dedup();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Latchkey External API",
            "version": "5.0.0",
            "description": "The Nexkey External API (v5) as Latchkey serves it. Every function is `POST /rest/functions/{name}` (also `POST /{name}`) with a JSON object body, answered `{\"result\": …}` or an error `{\"code\", \"error\"}`. Send the API key with either its secret (the organization acts) or a session token (a signed-in person acts), never both.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": sections.iter().map(|s| json!({"name": s})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": schemes,
        },
    })
}

/// HTML-escapes text for the docs page.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_one_doc_and_every_doc_a_function() {
        let functions = Functions::table();
        let docs = docs();
        let mut documented: Vec<&str> = docs.iter().map(|d| d.name).collect();
        documented.sort_unstable();
        let before = documented.len();
        documented.dedup();
        assert_eq!(before, documented.len(), "a function documented twice");
        assert_eq!(documented, functions.names());
    }

    /// The examples are what the handlers' types say: each request and result validates
    /// against the schema the OpenAPI document gives it.
    #[test]
    fn every_example_matches_its_schema() {
        let functions = Functions::table();
        let docs = docs();
        let document = openapi(&functions, &docs);
        let components = document["components"].clone();
        for doc in &docs {
            let operation = &document["paths"][format!("/rest/functions/{}", doc.name)]["post"];
            let request = &operation["requestBody"]["content"]["application/json"]["schema"];
            let result = &operation["responses"]["200"]["content"]["application/json"]["schema"];
            for (schema, example) in [
                (request, doc.request.clone()),
                (result, json!({"result": doc.result})),
            ] {
                let mut root = schema.clone();
                root["components"] = components.clone();
                let validator = jsonschema::validator_for(&root).expect("a valid schema");
                let errors: Vec<String> = validator
                    .iter_errors(&example)
                    .map(|e| format!("{e} at {}", e.instance_path))
                    .collect();
                assert!(errors.is_empty(), "{}: {errors:?}", doc.name);
            }
        }
    }

    #[test]
    fn the_document_names_every_credential_and_error() {
        let document = openapi(&Functions::table(), &docs());
        assert_eq!(document["openapi"], "3.1.0");
        let schemes = document["components"]["securitySchemes"]
            .as_object()
            .unwrap();
        let headers: Vec<&str> = schemes
            .values()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            headers,
            [
                "Nexkey-Api-Key",
                "Nexkey-Api-Secret",
                "Nexkey-Api-Version",
                "Nexkey-Session-Token"
            ]
        );
        let sign_in = &document["paths"]["/rest/functions/signIn"]["post"];
        assert_eq!(sign_in["security"], json!([{"apiKey": []}]));
        let webhooks = &document["paths"]["/rest/functions/createWebhook"]["post"];
        assert_eq!(
            webhooks["security"],
            json!([{"apiKey": [], "apiSecret": []}])
        );
        assert!(document["components"]["schemas"]["ErrorBody"].is_object());
    }
}
