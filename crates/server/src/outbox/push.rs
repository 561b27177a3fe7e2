//! Push to users' devices through a [`PushProvider`] per platform: `webhook` (a POST to
//! the device's URL, signed like webhooks), `fcm` (Firebase Cloud Messaging HTTP v1,
//! with a service account) and `apns` (Apple, token-based). A provider that says the
//! device is gone removes the device.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use latchkey_store::{DeviceRecord, JobDraft, JobRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::config::{ApnsSettings, FcmSettings, PushSettings};
use crate::outbox::{Outcome, Report, http_report, webhook};
use crate::state::AppState;

/// The job kind of a push.
pub const KIND: &str = "push";

/// What is pushed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub id: String,
    pub device_id: String,
    pub user_id: String,
    pub title: String,
    pub body: String,
    pub data: Value,
}

/// The push job of a note to one device (one queue per device: in order).
pub fn job(device: &DeviceRecord, title: &str, body: &str, data: &Value, now: i64) -> JobDraft {
    let note = Note {
        id: format!("msg_{}", latchkey_core::ids::new_object_id()),
        device_id: device.id.clone(),
        user_id: device.user_id.clone(),
        title: title.to_owned(),
        body: body.to_owned(),
        data: data.clone(),
    };
    JobDraft {
        org_id: device.org_id.clone(),
        kind: KIND.to_owned(),
        queue: format!("device:{}", device.id),
        payload: serde_json::to_string(&note).unwrap_or_default(),
        run_at: now,
        held: false,
    }
}

/// A way to reach one platform's devices.
#[async_trait]
pub trait PushProvider: Send + Sync + std::fmt::Debug {
    async fn send(&self, state: &AppState, device: &DeviceRecord, note: &Note) -> Report;
}

/// The configured providers.
#[derive(Debug)]
pub struct Providers {
    webhook: WebhookPush,
    fcm: Option<Fcm>,
    apns: Option<Apns>,
}

impl Providers {
    /// Builds the providers; one whose credentials cannot be read is left out (and said).
    pub fn new(settings: &PushSettings) -> Providers {
        let fcm = settings.fcm.service_account_file.as_ref().and_then(|path| {
            match Fcm::new(path, &settings.fcm) {
                Ok(fcm) => Some(fcm),
                Err(e) => {
                    tracing::error!(error = %e, path, "no FCM push");
                    None
                }
            }
        });
        let apns = settings.apns.key_file.as_ref().and_then(|path| {
            match Apns::new(path, &settings.apns) {
                Ok(apns) => Some(apns),
                Err(e) => {
                    tracing::error!(error = %e, path, "no APNs push");
                    None
                }
            }
        });
        Providers {
            webhook: WebhookPush,
            fcm,
            apns,
        }
    }

    fn get(&self, platform: &str) -> Option<&dyn PushProvider> {
        match platform {
            "webhook" => Some(&self.webhook),
            "fcm" => self.fcm.as_ref().map(|p| p as &dyn PushProvider),
            "apns" => self.apns.as_ref().map(|p| p as &dyn PushProvider),
            _ => None,
        }
    }
}

pub async fn deliver(state: &AppState, job: &JobRecord) -> Report {
    let note: Note = match serde_json::from_str(&job.payload) {
        Ok(n) => n,
        Err(e) => return Report::abort(format!("malformed job: {e}")),
    };
    let devices = match state
        .store
        .devices(&job.org_id, std::slice::from_ref(&note.user_id))
        .await
    {
        Ok(d) => d,
        Err(e) => return Report::retry(format!("database: {e}")),
    };
    let Some(device) = devices.iter().find(|d| d.id == note.device_id) else {
        return Report::abort("the device was unregistered");
    };
    let Some(provider) = state.push.get(&device.platform) else {
        return Report::abort(format!("{} push is not configured", device.platform));
    };
    provider.send(state, device, &note).await
}

/// `webhook` devices: the note as JSON, signed with the device's secret.
#[derive(Debug)]
struct WebhookPush;

#[async_trait]
impl PushProvider for WebhookPush {
    async fn send(&self, state: &AppState, device: &DeviceRecord, note: &Note) -> Report {
        let (Some(url), Some(secret)) = (&device.url, &device.secret) else {
            return Report::abort("the device has no URL");
        };
        let body = json!({
            "type": "notification",
            "timestamp": latchkey_core::time::format_millis(state.now()),
            "data": {"title": note.title, "body": note.body, "data": note.data},
        });
        webhook::post_signed(state, url, secret, &note.id, &body.to_string()).await
    }
}

/// A private key that does not print itself.
struct SigningKey(EncodingKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// A bearer token and when to stop using it.
type Cached = Mutex<Option<(String, Instant)>>;

/// The answer of an OAuth2 token endpoint.
#[derive(Deserialize)]
struct Token {
    access_token: String,
    expires_in: u64,
}

/// Firebase Cloud Messaging, HTTP v1: an OAuth2 access token from the service account
/// (a signed JWT exchanged at its `token_uri`), then
/// `POST /v1/projects/{project}/messages:send`.
#[derive(Debug)]
struct Fcm {
    account: ServiceAccount,
    key: SigningKey,
    base_url: String,
    token: Cached,
}

#[derive(Debug, Deserialize)]
struct ServiceAccount {
    project_id: String,
    private_key: String,
    client_email: String,
    token_uri: String,
}

impl Fcm {
    fn new(path: &str, settings: &FcmSettings) -> Result<Fcm, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let account: ServiceAccount = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| format!("private_key: {e}"))?;
        Ok(Fcm {
            account,
            key: SigningKey(key),
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            token: Mutex::new(None),
        })
    }

    async fn access_token(&self, state: &AppState) -> Result<String, Report> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = &*cached
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let iat = state.now() / 1000;
        let claims = json!({
            "iss": self.account.client_email,
            "scope": "https://www.googleapis.com/auth/firebase.messaging",
            "aud": self.account.token_uri,
            "iat": iat,
            "exp": iat + 3600,
        });
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key.0)
            .map_err(|e| Report::abort(format!("signing the FCM token request: {e}")))?;
        let response = state
            .http
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| Report::retry(format!("FCM token: {e}")))?;
        if !response.status().is_success() {
            return Err(Report::retry(format!(
                "FCM token: HTTP {}",
                response.status()
            )));
        }
        let token: Token = response
            .json()
            .await
            .map_err(|e| Report::retry(format!("FCM token: {e}")))?;
        let lifetime = Duration::from_secs(token.expires_in.saturating_sub(60));
        *cached = Some((token.access_token.clone(), Instant::now() + lifetime));
        Ok(token.access_token)
    }
}

#[async_trait]
impl PushProvider for Fcm {
    async fn send(&self, state: &AppState, device: &DeviceRecord, note: &Note) -> Report {
        let Some(token) = &device.token else {
            return Report::abort("the device has no token");
        };
        let access = match self.access_token(state).await {
            Ok(a) => a,
            Err(report) => return report,
        };
        // FCM's data values must be strings.
        let data: serde_json::Map<String, Value> = note
            .data
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                (k.clone(), Value::String(text))
            })
            .collect();
        let message = json!({"message": {
            "token": token,
            "notification": {"title": note.title, "body": note.body},
            "data": data,
        }});
        let url = format!(
            "{}/v1/projects/{}/messages:send",
            self.base_url, self.account.project_id
        );
        let started = Instant::now();
        let result = state
            .http
            .post(url)
            .bearer_auth(access)
            .json(&message)
            .send()
            .await;
        let took = started.elapsed();
        let response = match result {
            Ok(response) => response,
            Err(e) => return http_report(Err(e), took),
        };
        let status = response.status();
        let error: Value = response.json().await.unwrap_or(Value::Null);
        let mut report = http_report(Ok(status), took);
        let code = fcm_error_code(&error);
        match (status.as_u16(), code.as_deref()) {
            (200..=299, _) => {}
            (404, _) | (_, Some("UNREGISTERED")) => {
                report.result = Outcome::Abort("FCM: the token is no longer registered".into());
                report.delete_device = Some(device.id.clone());
            }
            (401, _) => {
                *self.token.lock().await = None;
            }
            (400 | 403, _) => {
                report.result = Outcome::Abort(format!("FCM refused the message: {error}"));
            }
            _ => {}
        }
        report
    }
}

/// FCM's `errorCode` from the error details, else its `status`.
fn fcm_error_code(error: &Value) -> Option<String> {
    let details = error["error"]["details"].as_array();
    details
        .into_iter()
        .flatten()
        .find_map(|d| d["errorCode"].as_str())
        .or_else(|| error["error"]["status"].as_str())
        .map(str::to_owned)
}

/// Apple Push Notification service with token-based authentication: an ES256 JWT
/// (`kid` = key id, `iss` = team id), renewed every 50 minutes, then
/// `POST /3/device/{token}` with `apns-topic` and `apns-push-type`. Over TLS the client
/// negotiates HTTP/2, which APNs requires.
#[derive(Debug)]
struct Apns {
    settings: ApnsSettings,
    key: SigningKey,
    token: Cached,
}

impl Apns {
    fn new(path: &str, settings: &ApnsSettings) -> Result<Apns, String> {
        let pem = std::fs::read(path).map_err(|e| e.to_string())?;
        let key = EncodingKey::from_ec_pem(&pem).map_err(|e| e.to_string())?;
        Ok(Apns {
            settings: settings.clone(),
            key: SigningKey(key),
            token: Mutex::new(None),
        })
    }

    async fn provider_token(&self, state: &AppState) -> Result<String, String> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = &*cached
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.settings.key_id.clone());
        let claims = json!({"iss": self.settings.team_id, "iat": state.now() / 1000});
        let token =
            jsonwebtoken::encode(&header, &claims, &self.key.0).map_err(|e| e.to_string())?;
        *cached = Some((token.clone(), Instant::now() + Duration::from_mins(50)));
        Ok(token)
    }
}

#[async_trait]
impl PushProvider for Apns {
    async fn send(&self, state: &AppState, device: &DeviceRecord, note: &Note) -> Report {
        let Some(token) = &device.token else {
            return Report::abort("the device has no token");
        };
        let jwt = match self.provider_token(state).await {
            Ok(t) => t,
            Err(e) => return Report::abort(format!("signing the APNs token: {e}")),
        };
        let body = json!({
            "aps": {"alert": {"title": note.title, "body": note.body}},
            "data": note.data,
        });
        let url = format!(
            "{}/3/device/{token}",
            self.settings.base_url.trim_end_matches('/')
        );
        let started = Instant::now();
        let result = state
            .http
            .post(url)
            .header("authorization", format!("bearer {jwt}"))
            .header("apns-topic", &self.settings.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", "10")
            .header("apns-id", uuid_like(&note.id))
            .json(&body)
            .send()
            .await;
        let took = started.elapsed();
        let response = match result {
            Ok(response) => response,
            Err(e) => return http_report(Err(e), took),
        };
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let reason = answer["reason"].as_str().unwrap_or_default().to_owned();
        let mut report = http_report(Ok(status), took);
        match (status.as_u16(), reason.as_str()) {
            (200..=299, _) => {}
            (410, _) | (400, "BadDeviceToken" | "DeviceTokenNotForTopic") => {
                report.result = Outcome::Abort(format!("APNs: {reason}"));
                report.delete_device = Some(device.id.clone());
            }
            (403, "ExpiredProviderToken" | "InvalidProviderToken") => {
                *self.token.lock().await = None;
                report.result = Outcome::Retry(format!("APNs: {reason}"));
            }
            (400 | 403 | 404 | 405 | 413, _) => {
                report.result = Outcome::Abort(format!("APNs refused the message: {reason}"));
            }
            _ => report.result = Outcome::Retry(format!("APNs: HTTP {status} {reason}")),
        }
        report
    }
}

/// `apns-id` must be a UUID: the note id's SHA-256, shaped as one (stable across
/// attempts, so APNs can tell repeats apart).
fn uuid_like(id: &str) -> String {
    use sha2::Digest;
    let h = hex::encode(&sha2::Sha256::digest(id.as_bytes())[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
