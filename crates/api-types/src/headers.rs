//! Header names of the API.

pub const API_KEY: &str = "Nexkey-Api-Key";
pub const API_SECRET: &str = "Nexkey-Api-Secret";
pub const SESSION_TOKEN: &str = "Nexkey-Session-Token";
pub const API_VERSION: &str = "Nexkey-Api-Version";
/// Legacy version field, sent as a header or a body field by old clients.
pub const API_NUMBER: &str = "APINumber";
pub const REQUEST_ID: &str = "X-Request-Id";
