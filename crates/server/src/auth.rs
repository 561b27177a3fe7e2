//! Authentication (spec section 2). Every call names its API key; functions other than
//! `signIn` and `signUp` also send exactly one of the key's secret (acting as the key's
//! virtual user, "loosely coupled") or a session token (acting as that user, "tightly
//! coupled"). A handler states who may call it by the principal type it takes:
//! [`KeyOnly`], [`Caller`], [`VirtualCaller`] or [`SessionCaller`].

use axum::http::HeaderMap;
use latchkey_api_types::{ErrorCode, headers};
use latchkey_core::secret::{self, Digest32};
use latchkey_store::{ApiKeyRecord, StoreError, Viewer};

use crate::error::ApiError;
use crate::state::AppState;

/// What a function needs before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only the API key (`signIn`, `signUp`); a secret or token sent along is ignored.
    KeyOnly,
    /// The key and exactly one of its secret or a session token.
    Caller,
}

/// A request whose credentials have been checked.
#[derive(Debug, Clone)]
pub enum Authenticated {
    KeyOnly(ApiKeyRecord),
    Virtual(ApiKeyRecord),
    Session {
        key: ApiKeyRecord,
        user_id: String,
        token_hash: Digest32,
    },
    /// An administrator of the organization signed in to the portal, using its authority
    /// (webhooks, API keys): acts as the virtual user would, recorded as the person.
    Delegated {
        key: ApiKeyRecord,
        user_id: String,
    },
}

/// A session is touched at most this often, so that reads do not all become writes.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Checks the credentials of a request that needs `access`.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    access: Access,
) -> Result<Authenticated, ApiError> {
    let api_key = header(headers, headers::API_KEY).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownApiKey,
            "The Nexkey-Api-Key header is missing.",
        )
    })?;
    let secret = header(headers, headers::API_SECRET);
    let token = header(headers, headers::SESSION_TOKEN);
    if access == Access::Caller {
        match (&secret, &token) {
            (Some(_), Some(_)) => {
                return Err(ApiError::new(
                    ErrorCode::BothSecretAndSession,
                    "Send either Nexkey-Api-Secret or Nexkey-Session-Token, not both.",
                ));
            }
            (None, None) => {
                return Err(ApiError::new(
                    ErrorCode::NoSecretOrSession,
                    "Send Nexkey-Api-Secret or Nexkey-Session-Token.",
                ));
            }
            _ => {}
        }
    }
    let now = state.now();
    // A kept key serves unless the secret sent does not match it: then the database says.
    let kept = state.api_keys.get(&api_key).filter(|key| {
        access == Access::KeyOnly
            || secret
                .as_deref()
                .is_none_or(|s| secret_matches(key, s, now))
    });
    let key = match kept {
        Some(key) => key,
        None => match state.store.api_key(&api_key).await {
            Ok(key) if key.revoked_at.is_none() => {
                state.api_keys.put(&key);
                key
            }
            Ok(_) | Err(StoreError::NotFound) => {
                state.api_keys.forget(&api_key);
                return Err(ApiError::new(
                    ErrorCode::UnknownApiKey,
                    "Unknown or revoked API key.",
                ));
            }
            Err(e) => return Err(e.into()),
        },
    };
    tracing::Span::current().record("org", key.org_id.as_str());
    if access == Access::KeyOnly {
        return Ok(Authenticated::KeyOnly(key));
    }
    if let Some(secret) = secret {
        return if secret_matches(&key, &secret, now) {
            tracing::Span::current().record("caller", key.virtual_user_id.as_str());
            Ok(Authenticated::Virtual(key))
        } else {
            Err(ApiError::new(
                ErrorCode::WrongApiSecret,
                "Wrong API secret.",
            ))
        };
    }
    let token_hash = secret::digest(token.as_deref().unwrap_or_default());
    let invalid = || ApiError::new(ErrorCode::InvalidSessionToken, "Invalid session token.");
    let session = match state.store.session(&token_hash).await {
        Ok(session) => session,
        Err(StoreError::NotFound) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    let ttl_ms = i64::from(state.settings.auth.session_ttl_days) * 86_400_000;
    if session.org_id != key.org_id || now - session.last_used_at >= ttl_ms {
        return Err(invalid());
    }
    if now - session.last_used_at >= TOUCH_EVERY_MS {
        state.store.touch_session(&token_hash, now).await?;
    }
    tracing::Span::current().record("caller", session.user_id.as_str());
    Ok(Authenticated::Session {
        key,
        user_id: session.user_id,
        token_hash,
    })
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?;
    // A value that is not visible ASCII cannot match any key, secret or token.
    Some(value.to_str().unwrap_or("\u{0}").trim().to_owned()).filter(|v| !v.is_empty())
}

/// The current secret, or the previous one during its grace period.
fn secret_matches(key: &ApiKeyRecord, secret: &str, now: i64) -> bool {
    let digest = secret::digest(secret);
    let current = secret::ct_eq(&digest, &key.secret_hash);
    let previous = match (&key.previous_secret_hash, key.previous_valid_until) {
        (Some(hash), Some(until)) if now < until => secret::ct_eq(&digest, hash),
        _ => false,
    };
    current | previous
}

/// Who may call a function, as its documentation says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The API key alone (`signIn`, `signUp`).
    Key,
    /// The key and its secret: the organization.
    Secret,
    /// The key and a session token: a signed-in person.
    Session,
    /// Either.
    SecretOrSession,
}

/// A principal a handler can ask for.
pub trait Principal: Sized {
    /// The credentials the function needs.
    const ACCESS: Access;
    /// Which credentials the function takes, for its documentation.
    const AUDIENCE: Audience;
    fn from_authenticated(auth: Authenticated) -> Result<Self, ApiError>;
}

/// Any caller with a valid API key (`signIn`, `signUp`).
#[derive(Debug, Clone)]
pub struct KeyOnly {
    pub key: ApiKeyRecord,
}

/// The virtual user or a session user of the key's organization.
#[derive(Debug, Clone)]
pub enum Caller {
    Virtual(VirtualCaller),
    Session(SessionCaller),
}

/// The organization's authority: the key's virtual user (the call sent the secret), or an
/// administrator of the organization in the portal, whose `user_id` is then the person's
/// (so that audit entries name them).
#[derive(Debug, Clone)]
pub struct VirtualCaller {
    pub org_id: String,
    pub user_id: String,
    pub api_key: String,
}

/// A signed-in person acting through the key's organization.
#[derive(Debug, Clone)]
pub struct SessionCaller {
    pub org_id: String,
    pub user_id: String,
    pub token_hash: Digest32,
}

impl Caller {
    pub fn org_id(&self) -> &str {
        match self {
            Caller::Virtual(v) => &v.org_id,
            Caller::Session(s) => &s.org_id,
        }
    }

    pub fn user_id(&self) -> &str {
        match self {
            Caller::Virtual(v) => &v.user_id,
            Caller::Session(s) => &s.user_id,
        }
    }

    /// Whose administration rights bound what this caller sees.
    pub fn viewer(&self) -> Viewer {
        match self {
            Caller::Virtual(_) => Viewer::Organization,
            Caller::Session(s) => Viewer::User(s.user_id.clone()),
        }
    }
}

impl Principal for KeyOnly {
    const ACCESS: Access = Access::KeyOnly;
    const AUDIENCE: Audience = Audience::Key;
    fn from_authenticated(auth: Authenticated) -> Result<Self, ApiError> {
        match auth {
            Authenticated::KeyOnly(key)
            | Authenticated::Virtual(key)
            | Authenticated::Session { key, .. }
            | Authenticated::Delegated { key, .. } => Ok(KeyOnly { key }),
        }
    }
}

impl Principal for Caller {
    const ACCESS: Access = Access::Caller;
    const AUDIENCE: Audience = Audience::SecretOrSession;
    fn from_authenticated(auth: Authenticated) -> Result<Self, ApiError> {
        match auth {
            Authenticated::Virtual(key) => Ok(Caller::Virtual(VirtualCaller {
                org_id: key.org_id,
                user_id: key.virtual_user_id,
                api_key: key.api_key,
            })),
            Authenticated::Delegated { key, user_id } => Ok(Caller::Virtual(VirtualCaller {
                org_id: key.org_id,
                user_id,
                api_key: key.api_key,
            })),
            Authenticated::Session {
                key,
                user_id,
                token_hash,
            } => Ok(Caller::Session(SessionCaller {
                org_id: key.org_id,
                user_id,
                token_hash,
            })),
            Authenticated::KeyOnly(_) => Err(ApiError::new(
                ErrorCode::NoSecretOrSession,
                "Send Nexkey-Api-Secret or Nexkey-Session-Token.",
            )),
        }
    }
}

impl Principal for VirtualCaller {
    const ACCESS: Access = Access::Caller;
    const AUDIENCE: Audience = Audience::Secret;
    fn from_authenticated(auth: Authenticated) -> Result<Self, ApiError> {
        match Caller::from_authenticated(auth)? {
            Caller::Virtual(v) => Ok(v),
            Caller::Session(_) => Err(ApiError::forbidden(
                "This function needs the API secret (Nexkey-Api-Secret), not a session.",
            )),
        }
    }
}

impl Principal for SessionCaller {
    const ACCESS: Access = Access::Caller;
    const AUDIENCE: Audience = Audience::Session;
    fn from_authenticated(auth: Authenticated) -> Result<Self, ApiError> {
        match Caller::from_authenticated(auth)? {
            Caller::Session(s) => Ok(s),
            Caller::Virtual(_) => Err(ApiError::forbidden(
                "This function needs a session token (Nexkey-Session-Token).",
            )),
        }
    }
}
