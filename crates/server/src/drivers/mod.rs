//! Lock drivers: how the server reaches a device. A driver runs one command and reports
//! each progress status as the device reaches it; the unlock service bounds it with the
//! request's deadline and turns a deadline into the `_SRV` timeout of the stage the
//! device had not reached.

mod http;
mod simulated;

use async_trait::async_trait;
use latchkey_api_types::Driver;
use latchkey_core::status::Command;
use latchkey_store::LockRecord;

use crate::error::ApiError;

pub use http::Http;
pub use simulated::Simulated;

/// Reports a progress status (never the first, `INITIATED`, which the service records).
pub type Progress<'a> = &'a (dyn Fn(u16) + Send + Sync);

#[async_trait]
pub trait LockDriver: Send + Sync + std::fmt::Debug {
    /// Runs `command` on the device and answers its final status: a success
    /// (`UNLOCKED`/`UNLOCKED_ALREADY`, `REMOTELOCK_LOCKED`/`_ALREADY`) or an error code.
    /// It may never answer (an offline device); the caller's deadline ends it.
    async fn run(&self, command: Command, progress: Progress<'_>) -> u16;
}

/// The driver of `lock`, from its settings; `http` is the server's HTTP client.
pub fn for_lock(
    lock: &LockRecord,
    http: &reqwest::Client,
) -> Result<Box<dyn LockDriver>, ApiError> {
    let settings: Driver = serde_json::from_str(&lock.driver).map_err(ApiError::internal)?;
    Ok(match settings {
        Driver::Simulated {
            latency_ms,
            offline,
            fail_at,
        } => Box::new(Simulated {
            latency_ms,
            offline,
            fail_at,
        }),
        Driver::Http {
            unlock_url,
            lock_url,
            method,
            headers,
            success_status,
        } => Box::new(Http {
            client: http.clone(),
            unlock_url,
            lock_url,
            method: method.parse().map_err(ApiError::internal)?,
            headers: headers.into_iter().collect(),
            success_status,
        }),
    })
}

/// Checks driver settings a client sent: HTTP relays need http(s) URLs, a method and
/// header names HTTP accepts.
pub fn check(driver: &Driver) -> Result<(), ApiError> {
    let Driver::Http {
        unlock_url,
        lock_url,
        method,
        headers,
        ..
    } = driver
    else {
        return Ok(());
    };
    for (field, url) in std::iter::once(("driver.unlockUrl", unlock_url))
        .chain(lock_url.iter().map(|u| ("driver.lockUrl", u)))
    {
        let ok = reqwest::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            return Err(ApiError::invalid(field, "must be an http or https URL"));
        }
    }
    if method.parse::<reqwest::Method>().is_err() {
        return Err(ApiError::invalid("driver.method", "is not an HTTP method"));
    }
    for (name, value) in headers {
        let valid = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && reqwest::header::HeaderValue::from_str(value).is_ok();
        if !valid {
            return Err(ApiError::invalid(
                "driver.headers",
                format!("{name:?} is not a valid header"),
            ));
        }
    }
    Ok(())
}
