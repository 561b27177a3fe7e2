//! Phone numbers and email addresses, the two ways a person is identified.
//!
//! Phones are stored in E.164 (`+` and 8 to 15 digits). A bare 10-digit number is read as
//! North American (`5551236789` → `+15551236789`; its area code cannot start with 0 or 1);
//! any other number must start with `+`.
//! Spaces, dashes, dots and parentheses are ignored. Emails are trimmed and lowercased,
//! so they compare case-insensitively.

use thiserror::Error;

/// Why a phone or email was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContactError {
    #[error("must be in international form, starting with + and the country code")]
    PhoneNeedsCountryCode,
    #[error("must have 8 to 15 digits after the +")]
    PhoneLength,
    #[error("may contain only digits, spaces, dashes, dots and parentheses")]
    PhoneCharacters,
    #[error("is not an email address")]
    EmailShape,
}

/// Normalizes a phone number to E.164.
pub fn normalize_phone(input: &str) -> Result<String, ContactError> {
    let trimmed = input.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(ContactError::PhoneCharacters),
        }
    }
    if !plus {
        // A North American area code never starts with 0 or 1.
        let north_american = digits.len() == 10 && !digits.starts_with(['0', '1']);
        return if north_american {
            Ok(format!("+1{digits}"))
        } else {
            Err(ContactError::PhoneNeedsCountryCode)
        };
    }
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(ContactError::PhoneLength);
    }
    Ok(format!("+{digits}"))
}

/// Normalizes an email address: trimmed, lowercased, and of the shape `local@domain.tld`.
pub fn normalize_email(input: &str) -> Result<String, ContactError> {
    let email = input.trim().to_lowercase();
    let Some((local, domain)) = email.split_once('@') else {
        return Err(ContactError::EmailShape);
    };
    let shape_ok = !local.is_empty()
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if shape_ok {
        Ok(email)
    } else {
        Err(ContactError::EmailShape)
    }
}

/// What a sign-in identifier names: an email if it contains `@`, else a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    Email(String),
    Phone(String),
}

impl Identifier {
    /// Reads and normalizes a `userIdentifier`.
    pub fn parse(input: &str) -> Result<Identifier, ContactError> {
        if input.contains('@') {
            normalize_email(input).map(Identifier::Email)
        } else {
            normalize_phone(input).map(Identifier::Phone)
        }
    }

    /// The normalized text, used as the throttling key.
    pub fn as_str(&self) -> &str {
        match self {
            Identifier::Email(s) | Identifier::Phone(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_digits_are_north_american() {
        assert_eq!(normalize_phone("5551236789").unwrap(), "+15551236789");
        assert_eq!(normalize_phone("(555) 123-6789").unwrap(), "+15551236789");
    }

    #[test]
    fn international_numbers_keep_their_country_code() {
        assert_eq!(normalize_phone("+32 470 12 34 56").unwrap(), "+32470123456");
        assert_eq!(
            normalize_phone(" +1.415.555.0123 ").unwrap(),
            "+14155550123"
        );
    }

    #[test]
    fn other_numbers_are_refused_with_the_reason() {
        assert_eq!(
            normalize_phone("0470123456"),
            Err(ContactError::PhoneNeedsCountryCode)
        );
        assert_eq!(
            normalize_phone("12345"),
            Err(ContactError::PhoneNeedsCountryCode)
        );
        assert_eq!(normalize_phone("+1234567"), Err(ContactError::PhoneLength));
        assert_eq!(
            normalize_phone("+1234567890123456"),
            Err(ContactError::PhoneLength)
        );
        assert_eq!(
            normalize_phone("+0470123456"),
            Err(ContactError::PhoneLength)
        );
        assert_eq!(
            normalize_phone("+1 555 CALL ME"),
            Err(ContactError::PhoneCharacters)
        );
        assert_eq!(
            normalize_phone(""),
            Err(ContactError::PhoneNeedsCountryCode)
        );
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
            "ada@example.com.",
        ] {
            assert_eq!(
                normalize_email(bad),
                Err(ContactError::EmailShape),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn identifiers_are_emails_when_they_have_an_at_sign() {
        assert_eq!(
            Identifier::parse("ADA@example.com"),
            Ok(Identifier::Email("ada@example.com".into()))
        );
        assert_eq!(
            Identifier::parse("415 555 0123"),
            Ok(Identifier::Phone("+14155550123".into()))
        );
        assert!(Identifier::parse("nobody").is_err());
    }
}
