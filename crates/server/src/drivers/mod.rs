//! Lock drivers: how the server reaches a device. A driver runs one command and reports
//! each progress status as the device reaches it; the unlock service bounds it with the
//! request's deadline and turns a deadline into the `_SRV` timeout of the stage the
//! device had not reached.

mod http;
mod mqtt;
mod simulated;

use async_trait::async_trait;
use latchkey_api_types::{Driver, MqttPreset};
use latchkey_core::status::Command;
use latchkey_store::LockRecord;

use crate::error::ApiError;

pub use http::Http;
pub use mqtt::{Mqtt, MqttHub};
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

/// The driver of `lock`, from its settings, with the server's HTTP client and MQTT
/// connection.
pub fn for_lock(
    lock: &LockRecord,
    http: &reqwest::Client,
    broker: Option<&std::sync::Arc<MqttHub>>,
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
        Driver::Mqtt {
            preset,
            device,
            command_topic,
            state_topic,
            unlock_payload,
            lock_payload,
            unlocked_value,
            locked_value,
        } => {
            let hub = broker
                .ok_or_else(|| ApiError::internal("no MQTT broker configured"))?
                .clone();
            Box::new(match preset {
                MqttPreset::Zigbee2mqtt => {
                    let device = device.unwrap_or_default();
                    Mqtt {
                        hub,
                        command_topic: format!("zigbee2mqtt/{device}/set"),
                        state_topic: format!("zigbee2mqtt/{device}"),
                        device: Some(device),
                        unlock_payload: r#"{"state":"UNLOCK"}"#.into(),
                        lock_payload: r#"{"state":"LOCK"}"#.into(),
                        unlocked_value: "UNLOCK".into(),
                        locked_value: "LOCK".into(),
                    }
                }
                MqttPreset::Generic => Mqtt {
                    hub,
                    device: None,
                    command_topic: command_topic.unwrap_or_default(),
                    state_topic: state_topic.unwrap_or_default(),
                    unlock_payload: unlock_payload.unwrap_or_else(|| "UNLOCK".into()),
                    lock_payload: lock_payload.unwrap_or_else(|| "LOCK".into()),
                    unlocked_value: unlocked_value.unwrap_or_else(|| "UNLOCKED".into()),
                    locked_value: locked_value.unwrap_or_else(|| "LOCKED".into()),
                },
            })
        }
    })
}

/// Checks driver settings a client sent: HTTP relays need http(s) URLs, a method and
/// header names HTTP accepts; MQTT locks a configured broker and their topics.
pub fn check(driver: &Driver, mqtt_configured: bool) -> Result<(), ApiError> {
    match driver {
        Driver::Simulated { .. } => Ok(()),
        Driver::Http {
            unlock_url,
            lock_url,
            method,
            headers,
            ..
        } => check_http(unlock_url, lock_url.as_ref(), method, headers),
        Driver::Mqtt {
            preset,
            device,
            command_topic,
            state_topic,
            ..
        } => {
            if !mqtt_configured {
                return Err(ApiError::invalid(
                    "driver",
                    "mqtt needs a broker in the server's configuration (mqtt.url)",
                ));
            }
            let needed: Vec<(&str, &Option<String>)> = match preset {
                MqttPreset::Zigbee2mqtt => vec![("driver.device", device)],
                MqttPreset::Generic => {
                    vec![
                        ("driver.commandTopic", command_topic),
                        ("driver.stateTopic", state_topic),
                    ]
                }
            };
            for (field, value) in needed {
                match value.as_deref() {
                    Some(v) if !v.is_empty() && !v.contains(['+', '#']) => {}
                    _ => {
                        return Err(ApiError::invalid(
                            field,
                            "is required, without the wildcards + and #",
                        ));
                    }
                }
            }
            Ok(())
        }
    }
}

fn check_http(
    unlock_url: &String,
    lock_url: Option<&String>,
    method: &str,
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<(), ApiError> {
    for (field, url) in std::iter::once(("driver.unlockUrl", unlock_url))
        .chain(lock_url.map(|u| ("driver.lockUrl", u)))
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
