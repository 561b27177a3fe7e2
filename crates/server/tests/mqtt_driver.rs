//! The MQTT driver against a real broker (`LATCHKEY_TEST_MQTT_URL`, Mosquitto in CI),
//! with small device programs that answer like Zigbee2MQTT locks, one that never
//! answers, one that is offline, and a broker of the test's own that is restarted.

// A scenario reads best as one story, even when it is long.
#![allow(clippy::too_many_lines)]

mod common;

use std::process::{Child, Command};
use std::time::Duration;

use common::{Backend, TestServer, assert_api_error};
use latchkey_api_types::UnlockRequest;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Device {
    /// Answers like a Zigbee2MQTT lock.
    Answers,
    /// Locks only part way: `not_fully_locked`.
    Jams,
    /// Never answers.
    Silent,
}

fn broker_url() -> Option<String> {
    match std::env::var("LATCHKEY_TEST_MQTT_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED: LATCHKEY_TEST_MQTT_URL is not set, so this MQTT test did not run");
            None
        }
    }
}

/// Runs a device program named `name` on the broker at `url` until the test ends.
fn device(url: &str, name: &str, behaviour: Device) {
    let parsed = reqwest::Url::parse(url).unwrap();
    let mut options = MqttOptions::new(
        format!("device-{name}"),
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(1883),
    );
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let set_topic = format!("zigbee2mqtt/{name}/set");
    let state_topic = format!("zigbee2mqtt/{name}");
    let availability = format!("zigbee2mqtt/{name}/availability");
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_subscribe(set_topic.clone(), QoS::AtMostOnce);
                    let _ = client.try_publish(
                        availability.clone(),
                        QoS::AtMostOnce,
                        true,
                        r#"{"state":"online"}"#,
                    );
                }
                Ok(Event::Incoming(Packet::Publish(p))) if p.topic == set_topic => {
                    let command: Value = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                    let answer = match (behaviour, command["state"].as_str()) {
                        (Device::Silent, _) => continue,
                        (_, Some("UNLOCK")) => json!({"state": "UNLOCK", "lock_state": "unlocked"}),
                        (Device::Jams, Some("LOCK")) => {
                            json!({"state": "LOCK", "lock_state": "not_fully_locked"})
                        }
                        (_, Some("LOCK")) => json!({"state": "LOCK", "lock_state": "locked"}),
                        _ => continue,
                    };
                    let _ = client.try_publish(
                        state_topic.clone(),
                        QoS::AtMostOnce,
                        false,
                        answer.to_string(),
                    );
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
}

/// Publishes a retained `offline` availability for `name`.
async fn mark_offline(url: &str, name: &str) {
    let parsed = reqwest::Url::parse(url).unwrap();
    let options = MqttOptions::new(
        format!("bridge-{name}"),
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(1883),
    );
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    client
        .publish(
            format!("zigbee2mqtt/{name}/availability"),
            QoS::AtLeastOnce,
            true,
            "offline",
        )
        .await
        .unwrap();
    for _ in 0..20 {
        if let Ok(Event::Incoming(Packet::PubAck(_))) = eventloop.poll().await {
            return;
        }
    }
}

async fn mqtt_lock(server: &TestServer, device: &str) -> String {
    let lock: Value = server
        .secret_client()
        .call(
            "registerLock",
            &json!({"shortName": device, "timeZone": "UTC", "driver": {"kind": "mqtt", "preset": "zigbee2mqtt", "device": device}}),
        )
        .await
        .unwrap();
    lock["lockId"].as_str().unwrap().to_owned()
}

async fn failure(server: &TestServer, function: &str, body: Value) -> i64 {
    match server.secret_client().call_value(function, &body).await {
        Err(latchkey_client::Error::Api {
            status: 504, body, ..
        }) => body.extra["status"].as_i64().unwrap(),
        other => panic!("expected 504/620, got {other:?}"),
    }
}

fn name(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        latchkey_core::ids::new_object_id().to_lowercase()
    )
}

async fn zigbee2mqtt_devices_unlock_jam_stay_silent_or_are_offline(backend: Backend) {
    let Some(url) = broker_url() else { return };
    let Some(server) = TestServer::start_with(backend, |s| s.mqtt.url = Some(url.clone())).await
    else {
        return;
    };
    let good = name("front");
    let jammed = name("jammed");
    let silent = name("silent");
    let away = name("away");
    device(&url, &good, Device::Answers);
    device(&url, &jammed, Device::Jams);
    device(&url, &silent, Device::Silent);
    mark_offline(&url, &away).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let front = mqtt_lock(&server, &good).await;
    let secret = server.secret_client();
    let opened: UnlockRequest = secret
        .call("performUnlock", &json!({"lockId": front}))
        .await
        .unwrap();
    assert_eq!((opened.status, opened.history.len()), (70, 7));
    let locked: UnlockRequest = secret
        .call("performLock", &json!({"lockId": front}))
        .await
        .unwrap();
    assert_eq!(locked.status, 81);

    let jam = mqtt_lock(&server, &jammed).await;
    assert_eq!(
        failure(&server, "performLock", json!({"lockId": jam})).await,
        810,
        "a jammed bolt is not a success"
    );
    let quiet = mqtt_lock(&server, &silent).await;
    assert_eq!(
        failure(
            &server,
            "performUnlock",
            json!({"lockId": quiet, "timeoutMs": 400})
        )
        .await,
        301
    );
    let shown: Value = secret
        .call("getLock", &json!({"lockId": front}))
        .await
        .unwrap();
    assert_eq!(shown["online"], true);
    // The answering device goes offline: its lock shows it and fails at once.
    mark_offline(&url, &good).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shown: Value = secret
        .call("getLock", &json!({"lockId": front}))
        .await
        .unwrap();
    assert_eq!(shown["online"], false);
    assert_eq!(
        failure(&server, "performUnlock", json!({"lockId": front})).await,
        200
    );
    let offline = mqtt_lock(&server, &away).await;
    let shown: Value = secret
        .call("getLock", &json!({"lockId": offline}))
        .await
        .unwrap();
    assert_eq!(shown["online"], false, "availability drives online");
    let started = std::time::Instant::now();
    assert_eq!(
        failure(
            &server,
            "performUnlock",
            json!({"lockId": offline, "timeoutMs": 5000})
        )
        .await,
        200
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "an offline device fails at once"
    );
}

/// A device on generic topics: `UNLOCK` on `door/<name>/cmd` answers `UNLOCKED` on
/// `door/<name>/state`.
fn generic_device(url: &str, name: &str) {
    let parsed = reqwest::Url::parse(url).unwrap();
    let options = MqttOptions::new(
        format!("generic-{name}"),
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(1883),
    );
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let command = format!("door/{name}/cmd");
    let state = format!("door/{name}/state");
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_subscribe(command.clone(), QoS::AtMostOnce);
                }
                Ok(Event::Incoming(Packet::Publish(p)))
                    if p.topic == command && &p.payload[..] == b"UNLOCK" =>
                {
                    let _ = client.try_publish(state.clone(), QoS::AtMostOnce, false, "UNLOCKED");
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
}

async fn a_generic_device_unlocks(backend: Backend) {
    let Some(url) = broker_url() else { return };
    let Some(server) = TestServer::start_with(backend, |s| s.mqtt.url = Some(url.clone())).await
    else {
        return;
    };
    let door = name("generic");
    generic_device(&url, &door);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let driver = json!({"kind": "mqtt", "preset": "generic", "commandTopic": format!("door/{door}/cmd"),
        "stateTopic": format!("door/{door}/state")});
    let lock: Value = server
        .secret_client()
        .call(
            "registerLock",
            &json!({"shortName": "Generic", "timeZone": "UTC", "driver": driver}),
        )
        .await
        .unwrap();
    let opened: UnlockRequest = server
        .secret_client()
        .call("performUnlock", &json!({"lockId": lock["lockId"]}))
        .await
        .unwrap();
    assert_eq!(opened.status, 70);
    assert_eq!(
        failure(
            &server,
            "performLock",
            json!({"lockId": lock["lockId"], "timeoutMs": 300})
        )
        .await,
        311,
        "this device never locks"
    );
}

async fn mqtt_settings_are_checked(backend: Backend) {
    let Some(url) = broker_url() else { return };
    let Some(server) = TestServer::start_with(backend, |s| s.mqtt.url = Some(url.clone())).await
    else {
        return;
    };
    let secret = server.secret_client();
    for driver in [
        json!({"kind": "mqtt", "preset": "zigbee2mqtt"}),
        json!({"kind": "mqtt", "preset": "zigbee2mqtt", "device": "all/#"}),
        json!({"kind": "mqtt", "preset": "generic", "commandTopic": "door/set"}),
    ] {
        let body = json!({"shortName": "Door", "timeZone": "UTC", "driver": driver});
        assert_api_error(secret.call_value("registerLock", &body).await, 400, 142);
    }
    let Some(without) = TestServer::start(backend).await else {
        return;
    };
    let body = json!({"shortName": "Door", "timeZone": "UTC", "driver": {"kind": "mqtt", "preset": "zigbee2mqtt", "device": "d"}});
    assert_api_error(
        without
            .secret_client()
            .call_value("registerLock", &body)
            .await,
        400,
        142,
    );
}

/// A Mosquitto of the test's own, on a free port.
struct Broker {
    port: u16,
    process: Child,
}

impl Broker {
    fn start(port: u16) -> Broker {
        let process = Command::new("mosquitto")
            .args(["-p", &port.to_string()])
            .spawn()
            .expect("mosquitto");
        std::thread::sleep(Duration::from_millis(300));
        Broker { port, process }
    }

    fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn a_broker_restart_is_survived(backend: Backend) {
    if broker_url().is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut broker = Broker::start(port);
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    let Some(server) = TestServer::start_with(backend, |s| s.mqtt.url = Some(url.clone())).await
    else {
        return;
    };
    let door = name("restart");
    device(&url, &door, Device::Answers);
    let lock = mqtt_lock(&server, &door).await;
    let secret = server.secret_client();
    let first: UnlockRequest = secret
        .call("performUnlock", &json!({"lockId": lock}))
        .await
        .unwrap();
    assert_eq!(first.status, 70);

    broker.stop();
    let started = std::time::Instant::now();
    assert_eq!(
        failure(
            &server,
            "performUnlock",
            json!({"lockId": lock, "timeoutMs": 400})
        )
        .await,
        200
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a pending command fails at its deadline, it does not hang"
    );

    let _broker = Broker::start(port);
    let mut reopened = None;
    for _ in 0..30 {
        match secret
            .call::<UnlockRequest>("performUnlock", &json!({"lockId": lock, "timeoutMs": 2000}))
            .await
        {
            Ok(done) => {
                reopened = Some(done);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert_eq!(
        reopened.map(|r| r.status),
        Some(70),
        "the server reconnected and the lock opens again"
    );
    let entries: Vec<Value> = secret
        .call("getActivity", &json!({"types": ["UNLOCK"]}))
        .await
        .unwrap();
    let successes = entries.iter().filter(|e| e["outcome"] == "SUCCESS").count();
    assert_eq!(
        successes, 2,
        "the command that failed while the broker was away never ran late"
    );
}

both!(
    zigbee2mqtt_devices_unlock_jam_stay_silent_or_are_offline,
    a_generic_device_unlocks,
    mqtt_settings_are_checked,
    a_broker_restart_is_survived,
);
