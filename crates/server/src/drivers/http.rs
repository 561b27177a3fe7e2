//! The HTTP driver: a networked relay, called once per command. Redirects are not
//! followed. A relay that cannot be reached never received the command (its stage
//! times out, `ERROR_RECEIVING_TIMEOUT_SRV` at the deadline or at once when refused);
//! an answer other than `successStatus` is a failure the device reported at the unlock
//! (or relock) stage.

use async_trait::async_trait;
use latchkey_core::status::{self, Command, Side};

use super::{LockDriver, Progress};

#[derive(Debug, Clone)]
pub struct Http {
    pub client: reqwest::Client,
    pub unlock_url: String,
    pub lock_url: Option<String>,
    pub method: reqwest::Method,
    pub headers: Vec<(String, String)>,
    pub success_status: u16,
}

#[async_trait]
impl LockDriver for Http {
    async fn run(&self, command: Command, progress: Progress<'_>) -> u16 {
        let url = match command {
            Command::Unlock => Some(&self.unlock_url),
            Command::Lock => self.lock_url.as_ref(),
        };
        let Some(url) = url else {
            return status::stage_error(command, command.initiated(), Side::Server);
        };
        let mut request = self.client.request(self.method.clone(), url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let Ok(response) = request.send().await else {
            return status::stage_error(command, command.initiated(), Side::Server);
        };
        let steps = command.progress();
        for &step in &steps[1..steps.len() - 1] {
            progress(step);
        }
        if response.status().as_u16() == self.success_status {
            command.done()
        } else {
            tracing::warn!(
                status = response.status().as_u16(),
                "the relay refused the command"
            );
            status::stage_error(command, steps[steps.len() - 2], Side::Hub)
        }
    }
}
