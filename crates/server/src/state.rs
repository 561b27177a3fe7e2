//! The application state shared by every request: settings, store, password hasher,
//! sign-in throttle, the function table and the clock. No global statics, so tests can
//! run servers with different settings side by side.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use latchkey_store::{Store, WriteSet};

use crate::error::ApiError;
use crate::events::{Event, Events, Kind};

use crate::config::Settings;
use crate::drivers::MqttHub;
use crate::outbox::Wake;
use crate::outbox::invite::Notifiers;
use crate::outbox::push::Providers;
use crate::password::Passwords;
use crate::reference::Reference;
use crate::router::Functions;
use crate::throttle::SignInThrottle;
use crate::unlock::Unlocks;

/// Shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    pub passwords: Arc<Passwords>,
    /// API keys read in the last two seconds.
    pub api_keys: Arc<crate::key_cache::ApiKeyCache>,
    pub throttle: Arc<SignInThrottle>,
    pub functions: Arc<Functions>,
    pub unlocks: Arc<Unlocks>,
    pub events: Events,
    /// Client for HTTP lock drivers: no redirects, 10 s timeout.
    pub http: reqwest::Client,
    /// The connection to the MQTT broker, when `mqtt.url` is set.
    pub mqtt: Option<Arc<MqttHub>>,
    /// Wakes the outbox worker when jobs are committed.
    pub outbox: Arc<Wake>,
    pub push: Arc<Providers>,
    pub notifiers: Arc<Notifiers>,
    /// The OpenAPI document, the docs page and the Postman collection.
    pub reference: Arc<Reference>,
    pub clock: Clock,
}

impl AppState {
    pub fn new(settings: Settings, store: Arc<dyn Store>) -> AppState {
        let throttle = SignInThrottle::new(&settings.auth);
        let mqtt = settings
            .mqtt
            .url
            .as_deref()
            .and_then(|url| match MqttHub::start(url) {
                Ok(hub) => Some(hub),
                Err(e) => {
                    tracing::error!(error = %e, "no MQTT driver");
                    None
                }
            });
        let functions = Arc::new(Functions::table());
        let reference = Arc::new(Reference::new(&functions));
        let push = Arc::new(Providers::new(&settings.push));
        let notifiers = Arc::new(Notifiers::new(&settings.email, &settings.sms));
        AppState {
            settings: Arc::new(settings),
            store,
            passwords: Arc::new(Passwords::new()),
            api_keys: Arc::default(),
            throttle: Arc::new(throttle),
            functions,
            unlocks: Arc::new(Unlocks::default()),
            events: Events::default(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            mqtt,
            outbox: Arc::new(Wake::default()),
            push,
            notifiers,
            reference,
            clock: Clock::default(),
        }
    }

    /// Applies `changes` in one transaction, then publishes their audit entries.
    pub async fn apply(&self, org_id: &str, changes: &WriteSet) -> Result<(), ApiError> {
        let sealed = self.store.apply(org_id, changes).await?;
        if !sealed.is_empty() || !changes.jobs.is_empty() {
            self.outbox.wake();
        }
        for (record, draft) in sealed.iter().zip(&changes.activity) {
            self.events.publish(Event {
                kind: Kind::Activity,
                org_id: org_id.to_owned(),
                lock_id: record.lock_id.clone(),
                request_id: None,
                initiator_id: draft.initiator_id.clone(),
                data: crate::functions::activity::with_hash(record)?.get().into(),
            });
        }
        Ok(())
    }

    /// Now, in epoch milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }
}

/// The server's clock: the system time plus an offset that only tests move, so that
/// session expiry and throttling windows are tested without sleeping.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now_millis(&self) -> i64 {
        jiff::Timestamp::now().as_millisecond() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}
