//! Starts a real server on port 0, on SQLite (a fresh file) or on PostgreSQL (the
//! database named by `LATCHKEY_TEST_POSTGRES_URL`; tests skip with a message when it is
//! unset), and gives typed clients for it. `both!` turns one scenario into a test per
//! database.

#![allow(dead_code, clippy::missing_panics_doc)]

pub mod browser;
pub mod portal;
pub mod receiver;
pub mod smtp;

use std::net::SocketAddr;
use std::time::Duration;

use latchkey_api_types::{OrganizationCreated, SignUpRequest, SignedIn};
use latchkey_client::{Client, Credentials};
use latchkey_server::config::{DatabaseUrl, Settings};
use latchkey_server::provision::{self, NewSimulatedLock};
use latchkey_server::{AppState, storage};
use serde_json::Value;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$scenario(Backend)` as `<name>_sqlite` and `<name>_postgres`.
#[macro_export]
macro_rules! both {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $scenario() { super::$scenario($crate::common::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $scenario() { super::$scenario($crate::common::Backend::Postgres).await })*
        }
    };
}

pub struct TestServer {
    pub url: String,
    pub addr: SocketAddr,
    pub state: AppState,
    /// The organization every test starts with.
    pub org: OrganizationCreated,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts a server; `None` (after saying why) when the backend is not configured.
    pub async fn start(backend: Backend) -> Option<TestServer> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestServer> {
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/latchkey.db", dir.path().display());
                (url, Some(dir))
            }
            Backend::Postgres => match std::env::var("LATCHKEY_TEST_POSTGRES_URL") {
                Ok(url) if !url.is_empty() => (own_schema(&url).await, None),
                _ => {
                    eprintln!(
                        "SKIPPED: LATCHKEY_TEST_POSTGRES_URL is not set, so this PostgreSQL test did not run"
                    );
                    return None;
                }
            },
        };
        let mut settings = Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database: DatabaseUrl(url.clone()),
            demo: false,
            ..Settings::default()
        };
        tweak(&mut settings);
        Some(Self::serve(settings, dir).await)
    }

    /// Another server over the same database (several servers over one PostgreSQL),
    /// with its own organization.
    pub async fn beside(&self, tweak: impl FnOnce(&mut Settings)) -> TestServer {
        let mut settings = (*self.state.settings).clone();
        tweak(&mut settings);
        Self::serve(settings, None).await
    }

    async fn serve(settings: Settings, dir: Option<tempfile::TempDir>) -> TestServer {
        let url = settings.database.as_str().to_owned();
        let store = storage::open(&url).await.expect("open the store");
        let state = AppState::new(settings, store);
        let org = provision::create_organization(&*state.store, "Test org", state.now())
            .await
            .expect("create the test organization");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(latchkey_server::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        TestServer {
            url: format!("http://{addr}"),
            addr,
            state,
            org,
            http: reqwest::Client::new(),
            shutdown: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Asks the server to stop and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("server stops within 10 s")
                .expect("server task")
                .expect("server ran cleanly");
        }
    }

    /// Signals shutdown without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// The organization's virtual user.
    pub fn secret_client(&self) -> Client {
        self.client().with(Credentials::Secret {
            api_key: self.org.api_key.clone(),
            api_secret: self.org.api_secret.clone(),
        })
    }

    /// Only the API key (signIn, signUp).
    pub fn key_client(&self) -> Client {
        self.client().with(Credentials::Key {
            api_key: self.org.api_key.clone(),
        })
    }

    pub fn session_client(&self, token: &str) -> Client {
        self.client().with(Credentials::Session {
            api_key: self.org.api_key.clone(),
            session_token: token.to_owned(),
        })
    }

    /// Creates another organization in the same database.
    pub async fn other_org(&self) -> OrganizationCreated {
        provision::create_organization(&*self.state.store, "Other org", self.state.now())
            .await
            .expect("create an organization")
    }

    /// Signs up a new person with a unique email and the given password.
    pub async fn sign_up(&self, password: &str) -> (SignedIn, String) {
        let email = unique_email();
        let signed = self
            .key_client()
            .sign_up(&SignUpRequest {
                first_name: Some("Ada".into()),
                last_name: Some("Smets".into()),
                email: Some(email.clone()),
                phone: None,
                password: Some(password.into()),
            })
            .await
            .expect("signUp");
        (signed, email)
    }

    /// Registers a lock through the API (secret) in this zone; answers the lock.
    pub async fn register_lock(&self, name: &str, time_zone: &str) -> latchkey_api_types::Lock {
        self.secret_client()
            .call(
                "registerLock",
                &serde_json::json!({"shortName": name, "timeZone": time_zone, "type": "CONTROLLER"}),
            )
            .await
            .expect("registerLock")
    }

    /// Registers a simulated lock in `org_id` with `admins` as ADMIN.
    pub async fn add_lock(&self, org_id: &str, admins: &[String]) -> latchkey_api_types::Lock {
        let new = NewSimulatedLock {
            org_id,
            short_name: "Front door",
            time_zone: "Europe/Brussels",
            admins,
        };
        provision::add_simulated_lock(&*self.state.store, &new, self.state.now())
            .await
            .expect("add a lock")
    }

    /// Sends a raw request: any headers, any body bytes.
    pub async fn raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> Raw {
        let mut request = self.http.post(format!("{}{path}", self.url)).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Raw {
            status,
            headers,
            body,
        }
    }

    /// The API key and secret headers of the test organization.
    pub fn secret_headers(&self) -> [(&str, &str); 2] {
        [
            ("Nexkey-Api-Key", self.org.api_key.as_str()),
            ("Nexkey-Api-Secret", self.org.api_secret.as_str()),
        ]
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.begin_shutdown();
    }
}

/// What the organization looks like through its secret: locks, every key, groups.
/// A refused call must leave it as it was.
pub async fn snapshot(server: &TestServer) -> Value {
    let secret = server.secret_client();
    let empty = serde_json::json!({});
    let locks = secret
        .call_value("getLocks", &empty)
        .await
        .expect("getLocks");
    let keys = secret
        .call_value("getUserKeys", &empty)
        .await
        .expect("getUserKeys");
    let groups = secret
        .call_value("getGroups", &empty)
        .await
        .expect("getGroups");
    serde_json::json!({"locks": locks, "keys": keys, "groups": groups})
}

/// A raw answer.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Raw {
    /// Asserts an error answer with this HTTP status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: i64) {
        assert_eq!(
            (self.status, self.body["code"].as_i64()),
            (status, Some(code)),
            "{self:?}"
        );
        assert!(
            self.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{self:?}"
        );
    }
}

/// Asserts that a client call failed with this HTTP status and code.
#[track_caller]
pub fn assert_api_error<T: std::fmt::Debug>(
    result: latchkey_client::Result<T>,
    status: u16,
    code: i64,
) {
    match result {
        Err(latchkey_client::Error::Api {
            status: s, body, ..
        }) => {
            assert_eq!((s, body.code), (status, code), "{}", body.error);
        }
        other => panic!("expected error {code} (HTTP {status}), got {other:?}"),
    }
}

/// A new, empty schema in the test database, and the URL that works in it: each test's
/// servers see only their own tables, so a test that moves its clock cannot disturb the
/// jobs of another test running at the same time.
async fn own_schema(url: &str) -> String {
    use sqlx::Connection;
    let schema = format!("t_{}", latchkey_core::ids::new_object_id().to_lowercase());
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to LATCHKEY_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create a schema");
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}options[search_path]={schema}")
}

/// An email no other test uses, in any database.
pub fn unique_email() -> String {
    format!(
        "{}@example.com",
        latchkey_core::ids::new_object_id().to_lowercase()
    )
}
