//! The MQTT driver, through one connection per server to the deployment's broker
//! (`mqtt.url`).
//!
//! Zigbee2MQTT preset: publish `{"state":"UNLOCK"}` (or `LOCK`) to
//! `zigbee2mqtt/<device>/set`; success when `zigbee2mqtt/<device>` reports `lock_state`
//! `unlocked` (`locked`) or `state` `UNLOCK` (`LOCK`); `not_fully_locked` after a lock
//! command is a jammed bolt (`ERROR_REMOTELOCK_RELOCKING_TIMEOUT_HUB`). Availability
//! (`zigbee2mqtt/<device>/availability`, `online`/`offline` or `{"state":…}`) is
//! followed: a device known to be offline fails at once with
//! `ERROR_RECEIVING_TIMEOUT_SRV`. The generic preset publishes `unlockPayload`
//! (`lockPayload`) to `commandTopic` and waits for `unlockedValue` (`lockedValue`) on
//! `stateTopic` (the payload, or its `state` field).
//!
//! While the broker is away the connection is retried with backoff, and commands wait
//! for it within their deadline. Commands are published at most once (QoS 0) and only
//! while connected, so none is delivered late after a reconnection.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use latchkey_core::status::{self, Command, Side};
use rumqttc::{AsyncClient, ConnectionError, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use super::{LockDriver, Progress};

const ZIGBEE_STATES: &str = "zigbee2mqtt/+";
const ZIGBEE_AVAILABILITY: &str = "zigbee2mqtt/+/availability";
const LONGEST_BACKOFF: Duration = Duration::from_secs(10);

/// A message from the broker.
#[derive(Debug, Clone)]
struct Message {
    topic: String,
    payload: Arc<[u8]>,
}

/// The server's connection to the broker.
#[derive(Debug)]
pub struct MqttHub {
    client: AsyncClient,
    connected: watch::Receiver<bool>,
    messages: broadcast::Sender<Message>,
    /// Last availability per Zigbee2MQTT device.
    availability: Mutex<HashMap<String, bool>>,
    /// Topics to (re)subscribe to on every connection.
    topics: Mutex<BTreeSet<String>>,
}

impl MqttHub {
    /// Connects to `url` (`mqtt://host[:port]`) in the background and keeps connecting.
    pub fn start(url: &str) -> Result<Arc<MqttHub>, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("mqtt.url {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "mqtt" | "tcp") {
            return Err(format!("mqtt.url {url:?}: use mqtt://host:port"));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("mqtt.url {url:?}: no host"))?;
        let port = parsed.port().unwrap_or(1883);
        let client_id = format!("latchkey-{}", latchkey_core::ids::new_object_id());
        let mut options = MqttOptions::new(client_id, host, port);
        options.set_keep_alive(Duration::from_secs(5));
        options.set_clean_session(true);
        let (client, eventloop) = AsyncClient::new(options, 64);
        let (connected_tx, connected) = watch::channel(false);
        let topics = [ZIGBEE_STATES, ZIGBEE_AVAILABILITY].map(str::to_owned);
        let hub = Arc::new(MqttHub {
            client,
            connected,
            messages: broadcast::channel(1024).0,
            availability: Mutex::new(HashMap::new()),
            topics: Mutex::new(topics.into_iter().collect()),
        });
        tokio::spawn(run(Arc::downgrade(&hub), eventloop, connected_tx));
        Ok(hub)
    }

    fn subscribe_all(&self) {
        let topics = self
            .topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        for topic in topics {
            // Never wait here: this runs on the task that drives the connection.
            if let Err(e) = self.client.try_subscribe(topic, QoS::AtMostOnce) {
                tracing::warn!(error = %e, "MQTT subscription not sent");
            }
        }
    }

    fn subscribe(&self, topic: &str) {
        let added = self
            .topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(topic.to_owned());
        if added && *self.connected.borrow() {
            let _ = self.client.try_subscribe(topic, QoS::AtMostOnce);
        }
    }

    fn received(&self, topic: String, payload: &[u8]) {
        if let Some(device) = topic
            .strip_prefix("zigbee2mqtt/")
            .and_then(|t| t.strip_suffix("/availability"))
        {
            let text = String::from_utf8_lossy(payload);
            let state = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("state").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| text.trim().to_owned());
            let mut availability = self
                .availability
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            availability.insert(device.to_owned(), state == "online");
        }
        let _ = self.messages.send(Message {
            topic,
            payload: payload.into(),
        });
    }

    /// Whether the device was last reported online (`None`: never reported).
    pub fn available(&self, device: &str) -> Option<bool> {
        let availability = self
            .availability
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        availability.get(device).copied()
    }

    async fn wait_connected(&self) {
        let mut connected = self.connected.clone();
        // Err: the connection task ended; the caller's deadline answers.
        if connected.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Drives the connection: reconnects with backoff, resubscribes, dispatches messages.
async fn run(
    hub: std::sync::Weak<MqttHub>,
    mut eventloop: rumqttc::EventLoop,
    connected: watch::Sender<bool>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let Some(hub) = hub.upgrade() else { return };
                tracing::info!("connected to the MQTT broker");
                backoff = Duration::from_millis(200);
                hub.subscribe_all();
                let _ = connected.send(true);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let Some(hub) = hub.upgrade() else { return };
                hub.received(publish.topic, &publish.payload);
            }
            Ok(_) => {}
            Err(ConnectionError::RequestsDone) => return,
            Err(e) => {
                if *connected.borrow() {
                    tracing::warn!(error = %e, "lost the MQTT broker; reconnecting");
                }
                let _ = connected.send(false);
                if hub.strong_count() == 0 {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(LONGEST_BACKOFF);
            }
        }
    }
}

/// An MQTT lock.
#[derive(Debug, Clone)]
pub struct Mqtt {
    pub hub: Arc<MqttHub>,
    /// The Zigbee2MQTT device, when the preset is Zigbee2MQTT.
    pub device: Option<String>,
    pub command_topic: String,
    pub state_topic: String,
    pub unlock_payload: String,
    pub lock_payload: String,
    pub unlocked_value: String,
    pub locked_value: String,
}

impl Mqtt {
    /// The device's answer to `command`: `Some(status)` when it ends the command.
    fn answer(&self, command: Command, payload: &[u8]) -> Option<u16> {
        let text = String::from_utf8_lossy(payload);
        let json: Option<Value> = serde_json::from_str(&text).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|v| v.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let lock_state = field("lock_state");
        let state = field("state").unwrap_or_else(|| text.trim().to_owned());
        let (wanted_state, wanted_lock_state) = match command {
            Command::Unlock => (&self.unlocked_value, "unlocked"),
            Command::Lock => (&self.locked_value, "locked"),
        };
        if command == Command::Lock && lock_state.as_deref() == Some("not_fully_locked") {
            return Some(status::stage_error(command, 61, Side::Hub));
        }
        let done = lock_state.as_deref() == Some(wanted_lock_state) || state == *wanted_state;
        done.then(|| command.done())
    }
}

#[async_trait]
impl LockDriver for Mqtt {
    async fn run(&self, command: Command, progress: Progress<'_>) -> u16 {
        if let Some(device) = &self.device
            && self.hub.available(device) == Some(false)
        {
            return status::stage_error(command, command.initiated(), Side::Server);
        }
        self.hub.subscribe(&self.state_topic);
        self.hub.wait_connected().await;
        let mut messages = self.hub.messages.subscribe();
        let payload = match command {
            Command::Unlock => &self.unlock_payload,
            Command::Lock => &self.lock_payload,
        };
        let sent = self
            .hub
            .client
            .publish(
                self.command_topic.clone(),
                QoS::AtMostOnce,
                false,
                payload.clone().into_bytes(),
            )
            .await;
        if sent.is_err() {
            return status::stage_error(command, command.initiated(), Side::Server);
        }
        let steps = command.progress();
        progress(steps[1]);
        loop {
            match messages.recv().await {
                Ok(message) if message.topic == self.state_topic => {
                    if let Some(end) = self.answer(command, &message.payload) {
                        if status::is_success(end) {
                            for &step in &steps[2..steps.len() - 1] {
                                progress(step);
                            }
                        }
                        return end;
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                // The connection is gone for good: the deadline answers.
                Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    }
}
