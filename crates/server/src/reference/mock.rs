//! `latchkey serve --mock`: no database and no credentials; every function answers its
//! documented example, unknown functions 404, and every answer carries
//! `Latchkey-Mock: true`. The reference documents are served as on a real server.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use latchkey_api_types::ErrorCode;
use serde_json::{Value, json};
use tower_http::set_header::SetResponseHeaderLayer;

use super::{Reference, docs};
use crate::error::ApiError;
use crate::router::Functions;

#[derive(Debug, Clone)]
struct Mock {
    results: Arc<HashMap<&'static str, Value>>,
    reference: Arc<Reference>,
}

impl axum::extract::FromRef<Mock> for Arc<Reference> {
    fn from_ref(mock: &Mock) -> Arc<Reference> {
        mock.reference.clone()
    }
}

/// The mock server's application.
pub fn app() -> Router {
    let functions = Functions::table();
    let mock = Mock {
        results: Arc::new(docs().into_iter().map(|d| (d.name, d.result)).collect()),
        reference: Arc::new(Reference::new(&functions)),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/openapi.json", get(super::openapi_json))
        .route("/postman.json", get(super::postman_json))
        .route("/docs", get(super::docs_page))
        .route("/rest/functions/{name}", post(answer))
        .route("/{name}", post(answer))
        .fallback(|| async {
            ApiError::new(ErrorCode::UnknownFunction, "No such path.").into_response()
        })
        .with_state(mock)
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("latchkey-mock"),
            HeaderValue::from_static("true"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("nexkey-api-version"),
            HeaderValue::from_static("5.0.0"),
        ))
}

async fn answer(State(mock): State<Mock>, Path(name): Path<String>) -> Response {
    match mock.results.get(name.as_str()) {
        Some(result) => axum::Json(json!({"result": result})).into_response(),
        None => ApiError::new(
            ErrorCode::UnknownFunction,
            format!("No function named {name:?}."),
        )
        .into_response(),
    }
}
