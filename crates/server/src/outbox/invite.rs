//! Invitations: when `sendKey` gives a key to a phone or email with no account yet, a
//! job in the same transaction asks a [`Notifier`] to tell that person: by SMS when the
//! key was sent to a phone, else by email.

use async_trait::async_trait;
use latchkey_store::{JobDraft, JobRecord, KeyRecord, LockRecord};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::{EmailSettings, SmsSettings};
use crate::outbox::{Report, http_report};
use crate::state::AppState;

/// The job kind of an invitation.
pub const KIND: &str = "invite";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub to: String,
    pub sms: bool,
    pub first_name: Option<String>,
    pub lock_name: String,
    pub organization: String,
    pub inviter: String,
}

impl Invitation {
    fn subject(&self) -> String {
        format!("You have a key to {}", self.lock_name)
    }

    fn text(&self) -> String {
        let hello = self
            .first_name
            .as_deref()
            .map_or_else(|| "Hello".to_owned(), |n| format!("Hello {n}"));
        format!(
            "{hello},\n\n{} of {} sent you a key to {}. Sign up with this {} to use it.\n",
            self.inviter,
            self.organization,
            self.lock_name,
            if self.sms {
                "phone number"
            } else {
                "email address"
            }
        )
    }
}

/// The invitation job for a new pending key, if it names a phone or email.
pub fn job(
    key: &KeyRecord,
    lock: &LockRecord,
    organization: &str,
    inviter: &str,
    now: i64,
) -> Option<JobDraft> {
    let (to, sms) = match (&key.invite_phone, &key.invite_email) {
        (Some(phone), _) => (phone.clone(), true),
        (None, Some(email)) => (email.clone(), false),
        (None, None) => return None,
    };
    let invitation = Invitation {
        to: to.clone(),
        sms,
        first_name: key.invite_first_name.clone(),
        lock_name: lock.short_name.clone(),
        organization: organization.to_owned(),
        inviter: inviter.to_owned(),
    };
    Some(JobDraft {
        org_id: key.org_id.clone(),
        kind: KIND.to_owned(),
        queue: format!("invite:{to}"),
        payload: serde_json::to_string(&invitation).ok()?,
        run_at: now,
        held: false,
    })
}

/// A way to reach people who have no account yet.
#[async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug {
    async fn send(&self, state: &AppState, invitation: &Invitation) -> Report;
}

/// The configured notifiers.
#[derive(Debug)]
pub struct Notifiers {
    email: Option<Smtp>,
    sms: Option<SmsGateway>,
}

impl Notifiers {
    pub fn new(email: &EmailSettings, sms: &SmsSettings) -> Notifiers {
        let smtp = email
            .smtp_url
            .as_ref()
            .and_then(|url| match Smtp::new(url, &email.from) {
                Ok(smtp) => Some(smtp),
                Err(e) => {
                    tracing::error!(error = %e, "no invitation emails");
                    None
                }
            });
        Notifiers {
            email: smtp,
            sms: sms.url.clone().map(|url| SmsGateway {
                url,
                bearer_token: sms.bearer_token.clone(),
            }),
        }
    }
}

impl Notifiers {
    /// Whether invitations by SMS (`sms`) or email can be sent at all: without a
    /// configured channel none are queued.
    pub fn can_send(&self, sms: bool) -> bool {
        if sms {
            self.sms.is_some()
        } else {
            self.email.is_some()
        }
    }
}

pub async fn deliver(state: &AppState, job: &JobRecord) -> Report {
    let invitation: Invitation = match serde_json::from_str(&job.payload) {
        Ok(i) => i,
        Err(e) => return Report::abort(format!("malformed job: {e}")),
    };
    let notifiers = &state.notifiers;
    let notifier: Option<&dyn Notifier> = if invitation.sms {
        notifiers.sms.as_ref().map(|n| n as &dyn Notifier)
    } else {
        notifiers.email.as_ref().map(|n| n as &dyn Notifier)
    };
    match notifier {
        Some(notifier) => notifier.send(state, &invitation).await,
        None => Report::abort(if invitation.sms {
            "SMS is not configured ([sms] url)"
        } else {
            "email is not configured ([email] smtp_url)"
        }),
    }
}

/// Email through an SMTP relay (lettre).
#[derive(Debug)]
struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    fn new(url: &str, from: &str) -> Result<Smtp, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from.parse().map_err(|e| format!("from: {e}"))?;
        Ok(Smtp { transport, from })
    }
}

#[async_trait]
impl Notifier for Smtp {
    async fn send(&self, _state: &AppState, invitation: &Invitation) -> Report {
        let Ok(to) = invitation.to.parse::<Mailbox>() else {
            return Report::abort("not an email address");
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(invitation.subject())
            .body(invitation.text());
        let message = match message {
            Ok(m) => m,
            Err(e) => return Report::abort(format!("building the email: {e}")),
        };
        match self.transport.send(message).await {
            Ok(_) => Report::default(),
            Err(e) if e.is_permanent() => Report::abort(format!("SMTP: {e}")),
            Err(e) => Report::retry(format!("SMTP: {e}")),
        }
    }
}

/// SMS through the deployment's HTTP gateway: `POST url` with `{"to","body"}`.
#[derive(Debug)]
struct SmsGateway {
    url: String,
    bearer_token: Option<String>,
}

#[async_trait]
impl Notifier for SmsGateway {
    async fn send(&self, state: &AppState, invitation: &Invitation) -> Report {
        let mut request = state
            .http
            .post(&self.url)
            .json(&json!({"to": invitation.to, "body": invitation.text()}));
        if let Some(token) = &self.bearer_token {
            request = request.bearer_auth(token);
        }
        let started = std::time::Instant::now();
        let result = request.send().await.map(|r| r.status());
        http_report(result, started.elapsed())
    }
}
