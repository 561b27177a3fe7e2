//! API versions: clients send `Nexkey-Api-Version` from `2.0.0` to `5.0.0`; any
//! `2.x.y` to `5.x.y` is accepted, a missing header means `5.0.0`, and the legacy
//! `APINumber` (`"2"`, `2.0`) names a major version.

use std::fmt;

/// A negotiated API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

const SUPPORTED_MAJORS: std::ops::RangeInclusive<u16> = 2..=5;

impl ApiVersion {
    /// The version this server implements, assumed when a client names none.
    pub const CURRENT: ApiVersion = ApiVersion {
        major: 5,
        minor: 0,
        patch: 0,
    };

    /// Reads a `Nexkey-Api-Version` header value (`MAJOR.MINOR.PATCH`).
    pub fn parse_header(value: &str) -> Option<ApiVersion> {
        let mut parts = value.trim().split('.');
        let mut next = || parts.next()?.parse::<u16>().ok();
        let version = ApiVersion {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        (parts.next().is_none() && SUPPORTED_MAJORS.contains(&version.major)).then_some(version)
    }

    /// Reads a legacy `APINumber` (`"2"`, `"2.0"`, `2`): a supported major version.
    pub fn from_api_number(value: &str) -> Option<ApiVersion> {
        let (whole, fraction) = value.trim().split_once('.').unwrap_or((value.trim(), "0"));
        let major: u16 = whole.parse().ok()?;
        let integral = !fraction.is_empty() && fraction.bytes().all(|b| b == b'0');
        (integral && SUPPORTED_MAJORS.contains(&major)).then_some(ApiVersion {
            major,
            minor: 0,
            patch: 0,
        })
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_versions_two_to_five() {
        for v in ["2.0.0", "3.1.4", "5.0.0", "5.12.3"] {
            assert_eq!(ApiVersion::parse_header(v).unwrap().to_string(), v);
        }
    }

    #[test]
    fn refuses_other_versions_and_shapes() {
        for v in [
            "6.0.0", "1.9.9", "5.0", "5", "5.0.0.0", "v5.0.0", "", "5.x.0", "-5.0.0",
        ] {
            assert_eq!(ApiVersion::parse_header(v), None, "{v:?}");
        }
    }

    #[test]
    fn legacy_api_number_names_a_major_version() {
        assert_eq!(
            ApiVersion::from_api_number("2").unwrap().to_string(),
            "2.0.0"
        );
        assert_eq!(
            ApiVersion::from_api_number("2.0").unwrap().to_string(),
            "2.0.0"
        );
        assert_eq!(
            ApiVersion::from_api_number("5").unwrap().to_string(),
            "5.0.0"
        );
        assert_eq!(ApiVersion::from_api_number("2.5"), None);
        assert_eq!(ApiVersion::from_api_number("6"), None);
        assert_eq!(ApiVersion::from_api_number("two"), None);
    }
}
