//! Error codes (spec section 7) and the Parse-style error body.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Every error code of the API, with its numeric value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Internal,
    ObjectNotFound,
    InvalidQuery,
    InvalidJson,
    IncorrectType,
    OperationForbidden,
    DuplicateValue,
    ValidationFailed,
    TooManyRequests,
    InvalidSessionToken,
    UnknownApiKey,
    WrongApiSecret,
    BothSecretAndSession,
    NoSecretOrSession,
    UnsupportedVersion,
    KeyNotValidNow,
    Blackout,
    RemoteUnlockNotAllowed,
    OneTimeKeyUsed,
    NoKey,
    LockDidNotComplete,
    UnknownFunction,
}

impl ErrorCode {
    /// All codes, for exhaustive tests and documentation.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::Internal,
        ErrorCode::ObjectNotFound,
        ErrorCode::InvalidQuery,
        ErrorCode::InvalidJson,
        ErrorCode::IncorrectType,
        ErrorCode::OperationForbidden,
        ErrorCode::DuplicateValue,
        ErrorCode::ValidationFailed,
        ErrorCode::TooManyRequests,
        ErrorCode::InvalidSessionToken,
        ErrorCode::UnknownApiKey,
        ErrorCode::WrongApiSecret,
        ErrorCode::BothSecretAndSession,
        ErrorCode::NoSecretOrSession,
        ErrorCode::UnsupportedVersion,
        ErrorCode::KeyNotValidNow,
        ErrorCode::Blackout,
        ErrorCode::RemoteUnlockNotAllowed,
        ErrorCode::OneTimeKeyUsed,
        ErrorCode::NoKey,
        ErrorCode::LockDidNotComplete,
        ErrorCode::UnknownFunction,
    ];

    /// What the code means, in the words of the contract.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::Internal => {
                "internal error (details only in the server log, under the request id)"
            }
            ErrorCode::ObjectNotFound => {
                "object not found; for signIn (401): invalid username or password"
            }
            ErrorCode::InvalidQuery => "invalid query (bad filter, cursor or limit)",
            ErrorCode::InvalidJson => "body is not a JSON object (413 when too large)",
            ErrorCode::IncorrectType => "field of the wrong type (error names the field)",
            ErrorCode::OperationForbidden => {
                "operation forbidden for this caller (error says what is needed)"
            }
            ErrorCode::DuplicateValue => "duplicate value (lockId, phone or email taken)",
            ErrorCode::ValidationFailed => {
                "validation failed (error names the field and rule); 422: an Idempotency-Key reused with another body"
            }
            ErrorCode::TooManyRequests => "too many requests (Retry-After header)",
            ErrorCode::InvalidSessionToken => "invalid session token",
            ErrorCode::UnknownApiKey => "unknown or revoked API key",
            ErrorCode::WrongApiSecret => "wrong API secret",
            ErrorCode::BothSecretAndSession => "both a secret and a session token were sent",
            ErrorCode::NoSecretOrSession => "neither a secret nor a session token was sent",
            ErrorCode::UnsupportedVersion => "unsupported Nexkey-Api-Version",
            ErrorCode::KeyNotValidNow => {
                "key not valid now: outside its dates or schedules (nextValidAt added when known)"
            }
            ErrorCode::Blackout => "blackout in effect",
            ErrorCode::RemoteUnlockNotAllowed => "remote unlock not allowed for this key",
            ErrorCode::OneTimeKeyUsed => "one-time key already used",
            ErrorCode::NoKey => "no key to this lock",
            ErrorCode::LockDidNotComplete => {
                "the lock did not complete the command (status, statusName, requestId added)"
            }
            ErrorCode::UnknownFunction => "unknown function name",
        }
    }

    /// The numeric `code` of the error body.
    pub fn code(self) -> i64 {
        match self {
            ErrorCode::Internal => 1,
            ErrorCode::ObjectNotFound => 101,
            ErrorCode::InvalidQuery => 102,
            ErrorCode::InvalidJson => 107,
            ErrorCode::IncorrectType => 111,
            ErrorCode::OperationForbidden => 119,
            ErrorCode::DuplicateValue => 137,
            ErrorCode::ValidationFailed => 142,
            ErrorCode::TooManyRequests => 155,
            ErrorCode::InvalidSessionToken => 209,
            ErrorCode::UnknownFunction => 404,
            ErrorCode::UnknownApiKey => 601,
            ErrorCode::WrongApiSecret => 602,
            ErrorCode::BothSecretAndSession => 603,
            ErrorCode::NoSecretOrSession => 604,
            ErrorCode::UnsupportedVersion => 605,
            ErrorCode::KeyNotValidNow => 610,
            ErrorCode::Blackout => 611,
            ErrorCode::RemoteUnlockNotAllowed => 612,
            ErrorCode::OneTimeKeyUsed => 613,
            ErrorCode::NoKey => 614,
            ErrorCode::LockDidNotComplete => 620,
        }
    }

    /// The code with this numeric value.
    pub fn from_code(code: i64) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The usual HTTP status of this code. A few answers use another status for the
    /// same code (101 is 401 for `signIn`, 107 is 413 for a body too large, 142 is 422
    /// for a reused `Idempotency-Key`); the server sets those where they happen.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Internal => 500,
            ErrorCode::ObjectNotFound | ErrorCode::UnknownFunction => 404,
            ErrorCode::InvalidQuery
            | ErrorCode::InvalidJson
            | ErrorCode::IncorrectType
            | ErrorCode::ValidationFailed
            | ErrorCode::BothSecretAndSession
            | ErrorCode::UnsupportedVersion => 400,
            ErrorCode::OperationForbidden
            | ErrorCode::KeyNotValidNow
            | ErrorCode::Blackout
            | ErrorCode::RemoteUnlockNotAllowed
            | ErrorCode::OneTimeKeyUsed
            | ErrorCode::NoKey => 403,
            ErrorCode::DuplicateValue => 409,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::InvalidSessionToken
            | ErrorCode::UnknownApiKey
            | ErrorCode::WrongApiSecret
            | ErrorCode::NoSecretOrSession => 401,
            ErrorCode::LockDidNotComplete => 504,
        }
    }
}

/// The body of every error answer: `{"code": 142, "error": "…"}` plus, for some codes,
/// extra fields (`nextValidAt`, `status`, `requestId`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    pub code: i64,
    pub error: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.code()), Some(code));
        }
        assert_eq!(ErrorCode::from_code(999), None);
    }

    #[test]
    fn statuses_follow_the_table() {
        let table = [
            (1, 500),
            (101, 404),
            (107, 400),
            (111, 400),
            (119, 403),
            (137, 409),
            (142, 400),
            (155, 429),
            (209, 401),
            (601, 401),
            (602, 401),
            (603, 400),
            (604, 401),
            (605, 400),
            (614, 403),
            (620, 504),
            (404, 404),
        ];
        for (code, status) in table {
            assert_eq!(
                ErrorCode::from_code(code).unwrap().http_status(),
                status,
                "{code}"
            );
        }
    }

    #[test]
    fn extra_fields_sit_beside_code_and_error() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"code":620,"error":"x","status":200}"#).unwrap();
        assert_eq!(body.extra["status"], 200);
        let back = serde_json::to_value(&body).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"code":620,"error":"x","status":200})
        );
    }
}
