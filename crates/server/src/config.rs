//! Settings, in layers: defaults → TOML file (`--config`) → `LATCHKEY_*` environment
//! (nested keys with `__`, e.g. `LATCHKEY_AUTH__SESSION_TTL_DAYS`) → command-line flags.
//! Unknown keys in the file are reported, not fatal. The database URL's password is
//! redacted in `Debug`.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the server can be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://path` (embedded, the default) or `postgres://…`.
    pub database: DatabaseUrl,
    /// Create a demo organization on a new database.
    pub demo: bool,
    pub auth: AuthSettings,
    pub mqtt: MqttSettings,
    pub outbox: OutboxSettings,
    pub email: EmailSettings,
    pub sms: SmsSettings,
    pub push: PushSettings,
    pub log: LogSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: DatabaseUrl("sqlite://latchkey-data/latchkey.db".into()),
            demo: true,
            auth: AuthSettings::default(),
            mqtt: MqttSettings::default(),
            outbox: OutboxSettings::default(),
            email: EmailSettings::default(),
            sms: SmsSettings::default(),
            push: PushSettings::default(),
            log: LogSettings::default(),
        }
    }
}

/// Sessions and sign-in throttling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// A session ends this many days after its last use.
    pub session_ttl_days: u32,
    /// Length of a throttling window, opened by the first failed sign-in.
    pub signin_window_seconds: u32,
    /// Failed sign-ins per identifier (email or phone) in a window.
    pub signin_failures_per_identifier: u32,
    /// Failed sign-ins per client address in a window.
    pub signin_failures_per_address: u32,
    /// Behind a reverse proxy: take the client address from the last entry of
    /// `X-Forwarded-For` (the one the proxy added) instead of the TCP peer.
    pub trust_forwarded_for: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_ttl_days: 30,
            signin_window_seconds: 900,
            signin_failures_per_identifier: 10,
            signin_failures_per_address: 100,
            trust_forwarded_for: false,
        }
    }
}

/// The MQTT broker of the `mqtt` lock driver (one connection per server).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MqttSettings {
    /// `mqtt://host[:port]`; no MQTT driver without it.
    pub url: Option<String>,
}

/// The durable outbox: webhook deliveries, push, invitations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboxSettings {
    /// Waits after each failed attempt, in seconds (each ±20%). When they run out, a
    /// webhook is disabled with its queue kept; other jobs are given up.
    pub retry_seconds: Vec<u64>,
    /// A claimed job's lease; renewed while it runs. A server that dies leaves its jobs
    /// to be claimed again when their leases end.
    pub lease_seconds: u64,
    /// Jobs sent at once (each queue still one at a time, in order).
    pub concurrency: usize,
    /// How often to look for due jobs when nothing wakes the worker.
    pub poll_ms: u64,
    /// Finished jobs (the webhook delivery log) are kept this many days.
    pub keep_days: u32,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            retry_seconds: vec![5, 300, 1800, 7200, 18_000, 36_000, 36_000],
            lease_seconds: 30,
            concurrency: 16,
            poll_ms: 500,
            keep_days: 30,
        }
    }
}

/// Invitations by email, through an SMTP relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailSettings {
    /// e.g. `smtps://user:pass@smtp.example.com` or `smtp://127.0.0.1:2525`
    /// (lettre's URL form). Unset: invitations by email are not sent.
    pub smtp_url: Option<String>,
    pub from: String,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            smtp_url: None,
            from: "Latchkey <no-reply@localhost>".into(),
        }
    }
}

/// Invitations by SMS, through an HTTP endpoint of the deployment's SMS provider:
/// `POST url` with `{"to","body"}` and the bearer token, success on 2xx.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsSettings {
    pub url: Option<String>,
    pub bearer_token: Option<String>,
}

/// Push providers for `fcm` and `apns` devices (`webhook` devices need nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PushSettings {
    pub fcm: FcmSettings,
    pub apns: ApnsSettings,
}

/// Firebase Cloud Messaging, HTTP v1 API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FcmSettings {
    /// The service account's JSON key file (it names the project and the token URI).
    pub service_account_file: Option<String>,
    pub base_url: String,
}

impl Default for FcmSettings {
    fn default() -> Self {
        FcmSettings {
            service_account_file: None,
            base_url: "https://fcm.googleapis.com".into(),
        }
    }
}

/// Apple Push Notification service, token-based authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApnsSettings {
    /// The `.p8` signing key file.
    pub key_file: Option<String>,
    pub key_id: String,
    pub team_id: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// `https://api.push.apple.com`, or `https://api.sandbox.push.apple.com`.
    pub base_url: String,
}

impl Default for ApnsSettings {
    fn default() -> Self {
        ApnsSettings {
            key_file: None,
            key_id: String::new(),
            team_id: String::new(),
            topic: String::new(),
            base_url: "https://api.push.apple.com".into(),
        }
    }
}

/// Log output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `latchkey_server=debug,info`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A database URL; `Debug` hides its password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`, for logs.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
            return url.clone();
        };
        let authority_end = url[scheme_end..]
            .find('/')
            .map_or(url.len(), |i| scheme_end + i);
        let authority = &url[scheme_end..authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &authority[..colon],
                &url[scheme_end + at..]
            ),
            _ => url.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Settings read from the layers, and the unknown keys found in the file.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub unknown_keys: Vec<String>,
}

/// Reads defaults, then the TOML file at `path` (if any), then `LATCHKEY_*` variables.
/// Flags are applied by the caller on the result.
pub fn load(path: Option<&Path>) -> Result<Loaded, String> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    let mut unknown_keys = Vec::new();
    if let Some(path) = path {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let de = toml::Deserializer::new(&text);
        let _: Settings = serde_ignored::deserialize(de, |key| unknown_keys.push(key.to_string()))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        figment = figment.merge(Toml::string(&text));
    }
    let settings = figment
        .merge(Env::prefixed("LATCHKEY_").split("__"))
        .extract()
        .map_err(|e| format!("configuration: {e}"))?;
    Ok(Loaded {
        settings,
        unknown_keys,
    })
}

/// The commented default configuration printed by `latchkey config default`.
pub const DEFAULT_TOML: &str = r#"# Latchkey configuration. Every key is optional; shown are the defaults.
# Layers: these defaults, then this file (--config), then LATCHKEY_* environment
# variables (nested keys with "__", e.g. LATCHKEY_AUTH__SESSION_TTL_DAYS=7), then flags.

# Address the server listens on (--listen, LATCHKEY_LISTEN).
listen = "127.0.0.1:8080"

# The database (--database, LATCHKEY_DATABASE): an embedded SQLite file, or PostgreSQL
# for several servers over one database, e.g. "postgres://latchkey@db.internal/latchkey".
database = "sqlite://latchkey-data/latchkey.db"

# On a new database, create a demo organization with two simulated locks and print its
# credentials once (--no-demo, LATCHKEY_DEMO=false).
demo = true

[auth]
# A session ends this many days after its last use, at sign-out, or when the password
# changes.
session_ttl_days = 30
# Sign-in throttling: after this many failures within the window, further attempts are
# refused (code 155, Retry-After) until the window, opened by the first failure, closes.
signin_window_seconds = 900
signin_failures_per_identifier = 10
signin_failures_per_address = 100
# Behind a reverse proxy, set this so that throttling counts per client instead of per
# proxy: the client address is then the last entry of X-Forwarded-For. Leave it off
# when clients reach Latchkey directly (they could forge the header).
trust_forwarded_for = false

[mqtt]
# The broker of locks with the "mqtt" driver (Zigbee2MQTT or generic topics), e.g.
# url = "mqtt://127.0.0.1:1883" (LATCHKEY_MQTT__URL). Unset: no MQTT driver.

[outbox]
# Webhook deliveries, push and invitations go through a durable queue in the database.
# Waits after each failed attempt, in seconds (each +-20%): about 27 hours in all. Then
# a webhook is disabled (its queue kept until enableWebhook); other jobs are given up.
retry_seconds = [5, 300, 1800, 7200, 18000, 36000, 36000]
# A claimed job's lease, renewed while it runs; a job of a server that died is claimed
# again when its lease ends.
lease_seconds = 30
# Jobs sent at once (one at a time per webhook or device, in order).
concurrency = 16
poll_ms = 500
# Delivered and abandoned jobs (the webhook delivery log) are kept this many days.
keep_days = 30

[email]
# Invitations for pending keys, through SMTP, e.g. smtp_url = "smtps://user:pass@smtp.example.com"
# or "smtp://127.0.0.1:2525". Unset: no invitation emails.
from = "Latchkey <no-reply@localhost>"

[sms]
# Invitations by SMS: POST {"to","body"} to url, with bearer_token. Unset: no SMS.

[push.fcm]
# service_account_file = "/etc/latchkey/fcm-service-account.json"
base_url = "https://fcm.googleapis.com"

[push.apns]
# key_file = "/etc/latchkey/AuthKey_ABC123.p8"
key_id = ""
team_id = ""
topic = ""
base_url = "https://api.push.apple.com"

[log]
# "text" for people, "json" for log collectors.
format = "text"
# A tracing filter: "info", "debug", "latchkey_server=debug,info", ...
level = "info"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_default_is_the_default() {
        let parsed: Settings = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn unknown_keys_are_reported_and_known_ones_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latchkey.toml");
        std::fs::write(
            &path,
            "demo = false\nlisen = \"x\"\n[auth]\nsession_ttl_days = 7\nttl = 1\n",
        )
        .unwrap();
        let loaded = load(Some(&path)).unwrap();
        assert!(!loaded.settings.demo);
        assert_eq!(loaded.settings.auth.session_ttl_days, 7);
        assert_eq!(loaded.unknown_keys, vec!["lisen", "auth.ttl"]);
    }

    #[test]
    fn a_bad_value_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listen = 8080\n").unwrap();
        let err = load(Some(&path)).unwrap_err();
        assert!(err.contains("bad.toml"), "{err}");
    }

    #[test]
    fn database_passwords_are_redacted() {
        let url = DatabaseUrl("postgres://app:s3cret@db:5432/latchkey".into());
        assert_eq!(format!("{url:?}"), "postgres://app:***@db:5432/latchkey");
        let plain = DatabaseUrl("postgres://app@db/latchkey".into());
        assert_eq!(plain.redacted(), "postgres://app@db/latchkey");
        let sqlite = DatabaseUrl("sqlite://latchkey-data/latchkey.db".into());
        assert_eq!(sqlite.redacted(), "sqlite://latchkey-data/latchkey.db");
    }
}
