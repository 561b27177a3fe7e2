//! The handlers of the API's functions, one file per area. Each handler's doc comment
//! names the function and what it changes.

pub mod organization;
pub mod session;

use latchkey_core::contact::{self, ContactError};

use crate::error::ApiError;

/// Longest accepted name (first, last, lock names).
const MAX_NAME_CHARS: usize = 100;

/// A required value, or 142 naming the field.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::missing(field))
}

/// A person's or a thing's name: trimmed, not empty, at most 100 characters.
pub fn name(value: &str, field: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::invalid(field, "may not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid(
            field,
            format!("may have at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

pub fn email(value: &str, field: &str) -> Result<String, ApiError> {
    contact::normalize_email(value).map_err(|e| contact_error(field, &e))
}

pub fn phone(value: &str, field: &str) -> Result<String, ApiError> {
    contact::normalize_phone(value).map_err(|e| contact_error(field, &e))
}

fn contact_error(field: &str, e: &ContactError) -> ApiError {
    ApiError::invalid(field, e)
}
