//! The Latchkey server: the Nexkey External API (v5) over HTTP.
//!
//! [`app`] builds the router from an [`AppState`]; [`serve`] runs it on a listener until
//! a shutdown future completes, letting in-flight requests finish. Tests start it on
//! port 0 and call it over HTTP like any client.

pub mod actor;
pub mod auth;
pub mod config;
pub mod drivers;
pub mod error;
pub mod events;
mod export;
pub mod functions;
mod health;
mod idempotency;
pub mod key_cache;
mod live;
pub mod outbox;
pub mod password;
mod portal;
pub mod provision;
pub mod reference;
pub mod router;
pub mod schedules;
pub mod state;
pub mod storage;
pub mod throttle;
mod trace;
pub mod transport;
pub mod unlock;
pub mod views;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use latchkey_api_types::ErrorCode;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Settings;
pub use error::ApiError;
pub use state::AppState;

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            request_id.clone(),
            trace::NewRequestId,
        ))
        .layer(trace::layer())
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("nexkey-api-version"),
            HeaderValue::from_static("5.0.0"),
        ))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            ApiError::new(ErrorCode::Internal, "Internal error.").into_response()
        }));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/events", get(live::events))
        .route("/openapi.json", get(reference::openapi_json))
        .route("/postman.json", get(reference::postman_json))
        .route("/docs", get(reference::docs_page))
        .route("/export/activity.csv", get(export::csv))
        .route("/export/activity.jsonl", get(export::jsonl))
        .nest("/portal", portal::routes())
        .route("/rest/functions/{name}", post(transport::call_function))
        .route("/{name}", post(transport::call_function))
        .fallback(|| async {
            ApiError::new(ErrorCode::UnknownFunction, "No such path.").into_response()
        })
        .with_state(state)
        .layer(middleware)
}

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish. The outbox worker runs beside it and stops after it.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = outbox::spawn(state.clone(), stopped);
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop.send(true);
    if let Err(e) = worker.await {
        tracing::error!(error = %e, "outbox worker failed");
    }
    served
}

/// A future that completes on SIGINT or SIGTERM. The handlers are installed when this is
/// called, so a signal that arrives before the future is first polled is not lost (nor
/// does it kill the process with the default action).
#[cfg(unix)]
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::info!("shutting down: finishing in-flight requests");
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
    })
}
