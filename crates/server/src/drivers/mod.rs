//! Lock drivers: how the server reaches a device. A driver runs one command and reports
//! each progress status as the device reaches it; the unlock service bounds it with the
//! request's deadline and turns a deadline into the `_SRV` timeout of the stage the
//! device had not reached.

mod simulated;

use async_trait::async_trait;
use latchkey_api_types::Driver;
use latchkey_core::status::Command;
use latchkey_store::LockRecord;

use crate::error::ApiError;

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

/// The driver of `lock`, from its settings.
pub fn for_lock(lock: &LockRecord) -> Result<Box<dyn LockDriver>, ApiError> {
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
    })
}
