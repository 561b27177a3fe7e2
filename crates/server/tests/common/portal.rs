//! A person of the portal, and a visitor that signs in and posts forms over plain HTTP
//! (keeping its cookies, following no redirect), for the tests of the portal's refusals.

use latchkey_api_types::Lock;
use latchkey_server::provision;
use reqwest::header::{LOCATION, SET_COOKIE};

use super::TestServer;

/// A signed-up person who administers a simulated lock of the test organization.
pub struct Admin {
    pub email: String,
    pub password: String,
    pub user_id: String,
    pub lock: Lock,
}

/// Signs up a person, makes them `ADMIN` of a new simulated lock of the test
/// organization, and with `org_admin` an administrator of the organization too.
pub async fn admin(server: &TestServer, org_admin: bool) -> Admin {
    let password = "correct horse battery".to_owned();
    let (signed, email) = server.sign_up(&password).await;
    let user_id = signed.user.object_id.clone();
    let lock = server
        .add_lock(&server.org.organization_id, std::slice::from_ref(&user_id))
        .await;
    if org_admin {
        provision::grant_organization_admin(
            &*server.state.store,
            &server.org.organization_id,
            &email,
            server.state.now(),
        )
        .await
        .expect("grant organization admin");
    }
    Admin {
        email,
        password,
        user_id,
        lock,
    }
}

/// One answer of the portal.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The first CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        hidden(&self.body, "csrf").expect("a form with a CSRF token")
    }
}

/// The value of the first hidden input named `name`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// A browser without a browser: cookies kept, redirects not followed.
pub struct Visitor {
    base: String,
    http: reqwest::Client,
    pub cookies: Vec<(String, String)>,
}

impl Visitor {
    pub fn new(server: &TestServer) -> Visitor {
        Visitor {
            base: server.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: Vec::new(),
        }
    }

    /// Signs in through the sign-in form; answers the form post's answer.
    pub async fn sign_in(&mut self, identifier: &str, password: &str) -> Page {
        let form = self.get("/portal/signin").await;
        let csrf = form.csrf();
        self.post(
            "/portal/signin",
            &[
                ("csrf", &csrf),
                ("identifier", identifier),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(request).await
    }

    /// The value of a cookie the portal set.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    async fn send(&mut self, mut request: reqwest::RequestBuilder) -> Page {
        if !self.cookies.is_empty() {
            let header = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request = request.header("cookie", header);
        }
        let response = request.send().await.expect("send");
        for set in response.headers().get_all(SET_COOKIE) {
            let set = set.to_str().expect("ascii cookie");
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(n, _)| n != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|l| l.to_str().expect("ascii").to_owned()),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    }
}
