//! Times on the wire: ISO-8601 UTC with milliseconds (`2026-12-04T10:30:00.000Z`).
//! Stored as milliseconds since the Unix epoch.

use jiff::Timestamp;

/// Formats epoch milliseconds as the API's UTC timestamp.
pub fn format_millis(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Parses an RFC 3339 / ISO-8601 instant (with `Z` or an offset) to epoch milliseconds.
pub fn parse_millis(s: &str) -> Option<i64> {
    s.parse::<Timestamp>().ok().map(Timestamp::as_millisecond)
}

/// Whether `name` is an IANA time zone known to this build.
pub fn is_time_zone(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_millis(1_796_380_200_123), "2026-12-04T10:30:00.123Z");
    }

    #[test]
    fn parses_what_it_formats_and_offsets() {
        assert_eq!(
            parse_millis("2026-12-04T10:30:00.123Z"),
            Some(1_796_380_200_123)
        );
        assert_eq!(
            parse_millis("2026-12-04T11:30:00.123+01:00"),
            Some(1_796_380_200_123)
        );
        assert_eq!(parse_millis("2026-12-04 nope"), None);
    }

    #[test]
    fn knows_iana_zones() {
        assert!(is_time_zone("America/Los_Angeles"));
        assert!(is_time_zone("Europe/Brussels"));
        assert!(!is_time_zone("Mars/Olympus_Mons"));
    }
}
