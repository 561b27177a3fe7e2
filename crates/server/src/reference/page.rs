//! `GET /docs`: the reference as one self-contained HTML page (inline style, no scripts,
//! no fonts or files from elsewhere).

use std::fmt::Write;

use latchkey_api_types::ErrorCode;
use serde_json::Value;

use super::{Doc, audience_words, escape};
use crate::auth::Audience;
use crate::router::Functions;

const STYLE: &str = "
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--code:#f6f8fa;--accent:#0a5bd3}
*{box-sizing:border-box}body{margin:0;font:16px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:2rem 1.25rem 1rem;border-bottom:1px solid var(--line)}
header h1{margin:0 0 .25rem;font-size:1.8rem}header p{margin:0;color:var(--muted)}
.layout{display:flex;gap:2rem;max-width:80rem;margin:0 auto;padding:0 1.25rem}
nav{flex:0 0 15rem;position:sticky;top:0;align-self:flex-start;max-height:100vh;overflow:auto;padding:1rem 0;font-size:.9rem}
nav h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:1rem 0 .25rem}
nav a{display:block;color:var(--fg);text-decoration:none;padding:.1rem 0}nav a:hover,nav a:focus{color:var(--accent);text-decoration:underline}
main{flex:1;min-width:0;padding:1rem 0 4rem}
section.fn{border-top:1px solid var(--line);padding:1.25rem 0}
h2.section{margin-top:2.5rem;font-size:1.4rem}h3{margin:0 0 .25rem;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:1.1rem}
.who{display:inline-block;font-size:.8rem;color:var(--muted);border:1px solid var(--line);border-radius:1rem;padding:0 .6rem;margin-bottom:.5rem}
pre{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:.75rem;overflow:auto;font-size:.85rem;line-height:1.45}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
.label{font-size:.8rem;font-weight:600;color:var(--muted);margin:.75rem 0 .25rem;text-transform:uppercase;letter-spacing:.04em}
@media (max-width:50rem){.layout{display:block}nav{position:static;max-height:none;border-bottom:1px solid var(--line)}}
";

pub fn render(functions: &Functions, docs: &[Doc]) -> String {
    let mut html = String::with_capacity(128 * 1024);
    html.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    html.push_str("<title>Latchkey External API reference</title><style>");
    html.push_str(STYLE);
    html.push_str("</style></head><body><header><h1>Latchkey External API</h1>");
    html.push_str("<p>The Nexkey External API (v5) as Latchkey serves it. Machine-readable: <a href=\"/openapi.json\">OpenAPI 3.1</a>, <a href=\"/postman.json\">Postman collection</a>.</p></header>");
    html.push_str("<div class=\"layout\"><nav aria-label=\"Functions\"><a href=\"#strategies\">Integration strategies</a><a href=\"#auth\">Authentication</a><a href=\"#errors\">Errors</a>");
    let mut section = "";
    for doc in docs {
        if doc.section != section {
            section = doc.section;
            let _ = write!(html, "<h2>{}</h2>", escape(section));
        }
        let _ = write!(html, "<a href=\"#{0}\">{0}</a>", doc.name);
    }
    html.push_str("</nav><main>");
    html.push_str(INTRO);
    errors_table(&mut html);
    section = "";
    for doc in docs {
        if doc.section != section {
            section = doc.section;
            let _ = write!(html, "<h2 class=\"section\">{}</h2>", escape(section));
        }
        let audience = functions
            .get(doc.name)
            .map_or(Audience::SecretOrSession, |f| f.audience);
        function(&mut html, doc, audience);
    }
    html.push_str("</main></div></body></html>");
    html
}

const INTRO: &str = r#"<section id="strategies"><h2 class="section">Integration strategies</h2>
<p><strong>Tightly coupled.</strong> People have Latchkey accounts: they sign up or sign in
(<code>signIn</code>, with your API key) and your app calls functions with their session
token. Latchkey knows every person, sends keys to their phone or email (pending until they
sign up), and records them as the initiator of what they do.</p>
<p><strong>Loosely coupled.</strong> Your system keeps its own people and decides who may
enter; it calls Latchkey with the API key and secret (acting as the organization) and names
its own user in <code>performUnlock</code>'s <code>user</code>, which the audit log keeps as
<code>onBehalfOf</code>. Webhooks tell your system what happened.</p></section>
<section id="auth"><h2 class="section">Authentication</h2>
<p>Every function is <code>POST /rest/functions/{name}</code> (also <code>POST /{name}</code>)
with a JSON object body (<code>{}</code> when there is nothing to send), answered
<code>{"result": …}</code>. Send these headers:</p>
<table><tr><th>header</th><th>meaning</th></tr>
<tr><td><code>Nexkey-Api-Key</code></td><td>The organization's API key, on every call.</td></tr>
<tr><td><code>Nexkey-Api-Secret</code></td><td>Its secret: the call acts as the organization (its virtual user, owner of every lock).</td></tr>
<tr><td><code>Nexkey-Session-Token</code></td><td>A session token from <code>signIn</code>/<code>signUp</code>: the call acts as that person. Never together with the secret.</td></tr>
<tr><td><code>Nexkey-Api-Version</code></td><td>Optional: 2.0.0 to 5.x.y (default 5.0.0). Answers carry it, and <code>X-Request-Id</code>.</td></tr>
</table></section>"#;

fn errors_table(html: &mut String) {
    html.push_str("<section id=\"errors\"><h2 class=\"section\">Errors</h2><p>Errors answer <code>{\"code\": n, \"error\": \"…\"}</code> with the HTTP status below; some add fields (<code>nextValidAt</code>, <code>status</code>, <code>requestId</code>).</p><table><tr><th>code</th><th>HTTP</th><th>meaning</th></tr>");
    for code in ErrorCode::ALL {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            code.code(),
            code.http_status(),
            escape(code.meaning())
        );
    }
    html.push_str("</table></section>");
}

fn function(html: &mut String, doc: &Doc, audience: Audience) {
    let _ = write!(
        html,
        "<section class=\"fn\" id=\"{name}\"><h3>{name}</h3><span class=\"who\">{who}</span><p>{summary}</p>",
        name = doc.name,
        who = audience_words(audience),
        summary = escape(doc.summary)
    );
    if !doc.errors.is_empty() {
        let codes: Vec<String> = doc.errors.iter().map(i64::to_string).collect();
        let _ = write!(html, "<p>Errors: {}.</p>", codes.join(", "));
    }
    let _ = write!(
        html,
        "<div class=\"label\">Request</div><pre><code>{}</code></pre><div class=\"label\">Result</div><pre><code>{}</code></pre></section>",
        escape(&curl(doc, audience)),
        escape(&pretty(&serde_json::json!({"result": doc.result})))
    );
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The example as a `curl` command, credentials from shell variables.
pub fn curl(doc: &Doc, audience: Audience) -> String {
    let credential = match audience {
        Audience::Key => String::new(),
        Audience::Session => " \\\n  -H \"Nexkey-Session-Token: $TOKEN\"".into(),
        Audience::Secret | Audience::SecretOrSession => {
            " \\\n  -H \"Nexkey-Api-Secret: $SECRET\"".into()
        }
    };
    format!(
        "curl -s \"$URL/rest/functions/{}\" \\\n  -H \"Nexkey-Api-Key: $KEY\"{credential} \\\n  -H 'Content-Type: application/json' \\\n  -d '{}'",
        doc.name,
        doc.request.to_string().replace('\'', "'\\''")
    )
}
