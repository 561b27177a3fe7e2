//! Locks and their drivers (spec sections 3 and 5).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `CORE` (battery lock), `CONTROLLER` (door controller) or `OTHER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum LockType {
    Core,
    Controller,
    Other,
}

/// How the server reaches the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Driver {
    /// Plays the whole status sequence; `offline` answers 200, `failAt` fails at that
    /// status. Demos, tests and benchmarks use it.
    #[serde(rename_all = "camelCase")]
    Simulated {
        #[serde(default)]
        latency_ms: u32,
        #[serde(default)]
        offline: bool,
        #[serde(default)]
        fail_at: Option<u16>,
    },
    /// A networked relay (e.g. a Shelly `relay/0?turn=on&timer=5` call): the command
    /// succeeded when the relay answers `successStatus`.
    #[serde(rename_all = "camelCase")]
    Http {
        unlock_url: String,
        /// Called by `performLock`; without it a lock command fails at once.
        #[serde(default)]
        lock_url: Option<String>,
        #[serde(default = "default_method")]
        method: String,
        #[serde(default)]
        headers: std::collections::BTreeMap<String, String>,
        #[serde(default = "default_success_status")]
        success_status: u16,
    },
    /// Through the deployment's MQTT broker: the Zigbee2MQTT convention (`device`), or
    /// the generic topics and payloads.
    #[serde(rename_all = "camelCase")]
    Mqtt {
        preset: MqttPreset,
        /// Zigbee2MQTT's friendly name of the device.
        #[serde(default)]
        device: Option<String>,
        #[serde(default)]
        command_topic: Option<String>,
        #[serde(default)]
        state_topic: Option<String>,
        #[serde(default)]
        unlock_payload: Option<String>,
        #[serde(default)]
        lock_payload: Option<String>,
        #[serde(default)]
        unlocked_value: Option<String>,
        #[serde(default)]
        locked_value: Option<String>,
    },
}

/// The topic convention of an MQTT lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MqttPreset {
    Zigbee2mqtt,
    Generic,
}

fn default_method() -> String {
    "POST".into()
}

fn default_success_status() -> u16 {
    200
}

impl Default for Driver {
    fn default() -> Self {
        Driver::Simulated {
            latency_ms: 50,
            offline: false,
            fail_at: None,
        }
    }
}

/// A lock as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lock {
    pub object_id: String,
    pub lock_id: String,
    pub short_name: String,
    pub long_name: Option<String>,
    pub time_zone: String,
    #[serde(rename = "type")]
    pub lock_type: LockType,
    pub online: bool,
    pub last_seen_at: Option<String>,
    pub relock_seconds: u32,
    /// Whether the lock is in lockdown (`setLockdown`): no key opens it.
    #[serde(default)]
    pub lockdown: bool,
    /// The caller's role on the lock.
    pub role: Option<String>,
    /// Shown to admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<Driver>,
    pub created_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_driver_reads_the_spec_form() {
        let d: Driver = serde_json::from_str(
            r#"{"kind":"simulated","latencyMs":50,"offline":false,"failAt":null}"#,
        )
        .unwrap();
        assert_eq!(d, Driver::default());
        let back = serde_json::to_value(&d).unwrap();
        assert_eq!(back["kind"], "simulated");
        assert_eq!(back["latencyMs"], 50);
    }
}

/// Requests naming one lock (`getLock`, `removeLock`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LockRequest {
    pub lock_id: Option<String>,
}

/// `getLocks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetLocksRequest {
    pub limit: Option<i64>,
    pub after: Option<String>,
}

/// `registerLock` (secret only).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterLockRequest {
    pub lock_id: Option<String>,
    pub short_name: Option<String>,
    pub long_name: Option<String>,
    pub time_zone: Option<String>,
    #[serde(rename = "type")]
    pub lock_type: Option<LockType>,
    pub driver: Option<Driver>,
}

/// `modifyLock`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifyLockRequest {
    pub lock_id: Option<String>,
    pub short_name: Option<String>,
    pub long_name: Option<String>,
    pub time_zone: Option<String>,
    pub relock_seconds: Option<i64>,
    pub driver: Option<Driver>,
}

/// `transferOwnership`: the new owner by email or phone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferOwnershipRequest {
    pub lock_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}
