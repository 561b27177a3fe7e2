//! A typed client of the Latchkey / Nexkey External API. The CLI and the integration
//! tests both use it, so the client and the server cannot drift apart.

use latchkey_api_types::{
    ApiSecret, Empty, ErrorBody, GetUserRequest, ModifiedUser, ModifyCurrentUserRequest,
    RotateApiSecretRequest, SignInRequest, SignUpRequest, SignedIn, User, headers,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The credentials sent with each call.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    None,
    /// Only the API key (`signIn`, `signUp`).
    Key {
        api_key: String,
    },
    /// The API key and its secret: acts as the key's virtual user.
    Secret {
        api_key: String,
        api_secret: String,
    },
    /// The API key and a session token: acts as that user.
    Session {
        api_key: String,
        session_token: String,
    },
}

impl Credentials {
    /// The headers that carry these credentials.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Credentials::None => Vec::new(),
            Credentials::Key { api_key } => vec![(headers::API_KEY, api_key.clone())],
            Credentials::Secret {
                api_key,
                api_secret,
            } => vec![
                (headers::API_KEY, api_key.clone()),
                (headers::API_SECRET, api_secret.clone()),
            ],
            Credentials::Session {
                api_key,
                session_token,
            } => vec![
                (headers::API_KEY, api_key.clone()),
                (headers::SESSION_TOKEN, session_token.clone()),
            ],
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Key { api_key } => write!(f, "Key({api_key})"),
            Credentials::Secret { api_key, .. } => write!(f, "Secret({api_key}, ***)"),
            Credentials::Session { api_key, .. } => write!(f, "Session({api_key}, ***)"),
        }
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an API error.
    #[error("error {}: {}", .body.code, .body.error)]
    Api {
        status: u16,
        body: ErrorBody,
        /// `Retry-After`, in seconds, when the server sent one.
        retry_after: Option<u64>,
    },
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("unexpected answer (HTTP {status}): {detail}")]
    Unexpected { status: u16, detail: String },
}

impl Error {
    /// The API error code, if the server answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Api { body, .. } => Some(body.code),
            Error::Http(_) | Error::Unexpected { .. } => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A client for one server and one set of credentials.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
}

impl Client {
    /// A client of the server at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base_url.trim_end_matches('/').to_owned(),
            credentials: Credentials::None,
        }
    }

    /// The same client with other credentials (the connection pool is shared).
    #[must_use]
    pub fn with(&self, credentials: Credentials) -> Client {
        Client {
            credentials,
            ..self.clone()
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Calls `function` with `body` and reads its `result`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        function: &str,
        body: &impl Serialize,
    ) -> Result<T> {
        let url = format!("{}/rest/functions/{function}", self.base);
        let mut request = self.http.post(url).json(body);
        for (name, value) in self.credentials.headers() {
            request = request.header(name, value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let bytes = response.bytes().await?;
        if status == 200 {
            #[derive(serde::Deserialize)]
            struct Envelope<T> {
                result: T,
            }
            return serde_json::from_slice::<Envelope<T>>(&bytes)
                .map(|e| e.result)
                .map_err(|e| Error::Unexpected {
                    status,
                    detail: e.to_string(),
                });
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(Error::Api {
                status,
                body,
                retry_after,
            }),
            Err(_) => Err(Error::Unexpected {
                status,
                detail: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            }),
        }
    }

    /// `signIn` with an email or phone.
    pub async fn sign_in(&self, user_identifier: &str, password: &str) -> Result<SignedIn> {
        let body = SignInRequest {
            user_identifier: Some(user_identifier.into()),
            password: Some(password.into()),
        };
        self.call("signIn", &body).await
    }

    pub async fn sign_up(&self, request: &SignUpRequest) -> Result<SignedIn> {
        self.call("signUp", request).await
    }

    pub async fn sign_out(&self) -> Result<Empty> {
        self.call("signOut", &Empty {}).await
    }

    pub async fn get_current_user(&self) -> Result<User> {
        self.call("getCurrentUser", &Empty {}).await
    }

    pub async fn modify_current_user(
        &self,
        request: &ModifyCurrentUserRequest,
    ) -> Result<ModifiedUser> {
        self.call("modifyCurrentUser", request).await
    }

    pub async fn get_user(&self, request: &GetUserRequest) -> Result<User> {
        self.call("getUser", request).await
    }

    pub async fn rotate_api_secret(&self, grace_seconds: Option<i64>) -> Result<ApiSecret> {
        self.call("rotateApiSecret", &RotateApiSecretRequest { grace_seconds })
            .await
    }

    /// Calls a function by name with any JSON body, for functions without a typed method.
    pub async fn call_value(&self, function: &str, body: &Value) -> Result<Value> {
        self.call(function, body).await
    }
}
