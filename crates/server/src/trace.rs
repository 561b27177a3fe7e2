//! Request spans and request ids. Each request gets a span with its method, path,
//! request id, function, organization and caller; no header, body or query value is
//! logged, so no secret, token or password can reach a log line.

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response};
use std::time::Duration;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{MakeRequestId, RequestId};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::{Level, Span};

/// Makes a request id for requests that came without an `X-Request-Id`.
#[derive(Debug, Clone, Copy)]
pub struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = latchkey_core::ids::new_object_id() + &latchkey_core::ids::new_object_id();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl MakeSpan<Body> for RequestSpan {
    fn make_span(&mut self, request: &Request<Body>) -> Span {
        let request_id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id,
            function = tracing::field::Empty,
            org = tracing::field::Empty,
            caller = tracing::field::Empty,
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ResponseLog;

impl<B> OnResponse<B> for ResponseLog {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        tracing::event!(
            Level::INFO,
            status = response.status().as_u16(),
            latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            "answered"
        );
    }
}

pub fn layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, (), ResponseLog>
{
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(ResponseLog)
}
