//! `ApiError`: every failure a function can answer with, turned into the Parse-style body
//! `{"code","error"}` and its HTTP status in one place. Internal errors are logged under
//! the request's span (which carries the request id) and answered with code 1 and no
//! details.

use std::fmt::Display;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_api_types::{ErrorBody, ErrorCode};
use latchkey_store::{StoreError, UniqueField};
use serde_json::{Map, Value};

#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    /// A status other than the code's usual one (101 → 401 for signIn, 107 → 413).
    status: Option<StatusCode>,
    extra: Map<String, Value>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            status: None,
            extra: Map::new(),
            retry_after: None,
        }
    }

    /// An internal failure: logged here, answered as code 1 without details.
    pub fn internal(error: impl Display) -> ApiError {
        tracing::error!(error = %error, "internal error");
        ApiError::new(ErrorCode::Internal, "Internal error.")
    }

    /// A required field is missing (142).
    pub fn missing(field: &str) -> ApiError {
        ApiError::new(ErrorCode::ValidationFailed, format!("{field} is required."))
    }

    /// A field breaks a rule (142); `rule` completes "`field` …".
    pub fn invalid(field: &str, rule: impl Display) -> ApiError {
        ApiError::new(ErrorCode::ValidationFailed, format!("{field} {rule}."))
    }

    /// Needs a permission the caller lacks (119).
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::OperationForbidden, message)
    }

    /// The object does not exist or belongs to another organization (101).
    pub fn not_found() -> ApiError {
        ApiError::new(ErrorCode::ObjectNotFound, "Object not found.")
    }

    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> ApiError {
        self.status = Some(status);
        self
    }

    #[must_use]
    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// Adds a field beside `code` and `error` (`nextValidAt`, `status`, …).
    #[must_use]
    pub fn with_extra(mut self, field: &str, value: impl Into<Value>) -> ApiError {
        self.extra.insert(field.to_owned(), value.into());
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status the error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}: {}", self.code.code(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(field) => {
                let what = match field {
                    UniqueField::Email => "This email is already taken.",
                    UniqueField::Phone => "This phone is already taken.",
                    UniqueField::LockId => "This lockId is already taken.",
                    UniqueField::ApiKey | UniqueField::Other => "This value is already taken.",
                };
                ApiError::new(ErrorCode::DuplicateValue, what)
            }
            StoreError::Other(e) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(
                code = self.code.code(),
                status = status.as_u16(),
                "request failed"
            );
        } else {
            tracing::info!(
                code = self.code.code(),
                status = status.as_u16(),
                "request refused"
            );
        }
        let body = ErrorBody {
            code: self.code.code(),
            error: self.message,
            extra: self.extra,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
