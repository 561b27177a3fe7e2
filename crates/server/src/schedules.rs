//! Schedules between the wire and `latchkey_core::schedule`: reads what clients send
//! (142 naming the schedule and field), checks that a key's schedules do not overlap in
//! the lock's time zone, and stores them as the JSON the API shows.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use latchkey_api_types::{Schedule as WireSchedule, ScheduleInput};
use latchkey_core::ids::{is_object_id, new_object_id};
use latchkey_core::schedule::{Repeat, Schedule, Until};
use serde_json::Value;

use crate::error::ApiError;

/// A schedule with its objectId.
#[derive(Debug, Clone)]
pub struct Named {
    pub id: String,
    pub schedule: Schedule,
}

const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

fn local(value: &str, field: &str) -> Result<DateTime, ApiError> {
    value
        .trim()
        .parse::<DateTime>()
        .map_err(|_| ApiError::invalid(field, "must be a local time like 2027-03-01T09:00:00"))
}

/// Reads and checks the schedules a client sent.
pub fn parse(inputs: &[ScheduleInput]) -> Result<Vec<Named>, ApiError> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| parse_one(input, &format!("schedules[{i}]")))
        .collect()
}

fn parse_one(input: &ScheduleInput, at: &str) -> Result<Named, ApiError> {
    let field = |name: &str| format!("{at}.{name}");
    let start = local(
        input
            .start_date
            .as_deref()
            .ok_or_else(|| ApiError::missing(&field("startDate")))?,
        &field("startDate"),
    )?;
    let end = local(
        input
            .end_date
            .as_deref()
            .ok_or_else(|| ApiError::missing(&field("endDate")))?,
        &field("endDate"),
    )?;
    let repeat = match &input.repeat_type {
        None | Some(Value::Null) => Repeat::Once,
        Some(Value::Number(n)) => n.as_i64().and_then(Repeat::from_code).ok_or_else(|| {
            ApiError::invalid(
                &field("repeatType"),
                "must be 0 (none), 1 (daily), 2 (weekly) or 3 (monthly)",
            )
        })?,
        Some(Value::String(s)) => Repeat::from_name(s).ok_or_else(|| {
            ApiError::invalid(
                &field("repeatType"),
                "must be NONE, DAILY, WEEKLY or MONTHLY",
            )
        })?,
        Some(_) => {
            return Err(ApiError::new(
                latchkey_api_types::ErrorCode::IncorrectType,
                format!("{}: expected a number or a name.", field("repeatType")),
            ));
        }
    };
    let interval = u32::try_from(input.repeat_interval.unwrap_or(1))
        .map_err(|_| ApiError::invalid(&field("repeatInterval"), "must be at least 1"))?;
    let pattern = input
        .repeat_pattern
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|d| u8::try_from(*d).ok().filter(|d| *d <= 6))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| {
            ApiError::invalid(
                &field("repeatPattern"),
                "must hold weekdays 0 (Sunday) to 6",
            )
        })?;
    let until = if input.expiration_date_uses_num_occurrences.unwrap_or(false) {
        let n = input
            .num_occurrences
            .ok_or_else(|| ApiError::missing(&field("numOccurrences")))?;
        Until::Count(
            u32::try_from(n)
                .map_err(|_| ApiError::invalid(&field("numOccurrences"), "must be at least 1"))?,
        )
    } else {
        match input.expiration_date.as_deref() {
            Some(date) => Until::Date(local(date, &field("expirationDate"))?),
            None => Until::Forever,
        }
    };
    let schedule = Schedule::new(start, end, repeat, interval, &pattern, until)
        .map_err(|e| ApiError::invalid(&field(e.field), e.rule))?;
    let id = match input.object_id.as_deref() {
        Some(id) if is_object_id(id) => id.to_owned(),
        Some(_) => return Err(ApiError::invalid(&field("objectId"), "is not an objectId")),
        None => new_object_id(),
    };
    Ok(Named { id, schedule })
}

/// 142 when two of `schedules` overlap in `tz`, naming both and the first instant.
pub fn check_overlaps(schedules: &[Named], tz: &TimeZone) -> Result<(), ApiError> {
    for (i, a) in schedules.iter().enumerate() {
        for b in &schedules[i + 1..] {
            if let Some(at) = a.schedule.first_overlap(&b.schedule, tz) {
                return Err(ApiError::new(
                    latchkey_api_types::ErrorCode::ValidationFailed,
                    format!(
                        "schedules {} and {} overlap, first at {}.",
                        a.id,
                        b.id,
                        latchkey_core::time::format_millis(at.as_millisecond())
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The wire form of a schedule.
pub fn to_wire(named: &Named) -> WireSchedule {
    let s = &named.schedule;
    let (expiration_date, by_count, count) = match s.until() {
        Until::Forever => (None, false, None),
        Until::Date(d) => (Some(d.strftime(LOCAL_FORMAT).to_string()), false, None),
        Until::Count(n) => (None, true, Some(i64::from(n))),
    };
    WireSchedule {
        object_id: named.id.clone(),
        start_date: s.start().strftime(LOCAL_FORMAT).to_string(),
        end_date: s.end().strftime(LOCAL_FORMAT).to_string(),
        repeat_type: s.repeat().code(),
        repeat_interval: i64::from(s.interval()),
        repeat_pattern: s.pattern().into_iter().map(i64::from).collect(),
        expiration_date,
        expiration_date_uses_num_occurrences: by_count,
        num_occurrences: count,
    }
}

/// The JSON stored for `schedules`.
pub fn to_json(schedules: &[Named]) -> String {
    let wire: Vec<WireSchedule> = schedules.iter().map(to_wire).collect();
    serde_json::to_string(&wire).unwrap_or_else(|_| "[]".into())
}

/// Stored schedules as the API shows them.
pub fn wire_from_json(json: &str) -> Result<Vec<WireSchedule>, ApiError> {
    serde_json::from_str(json).map_err(ApiError::internal)
}

/// Stored schedules, ready to evaluate.
pub fn from_json(json: &str) -> Result<Vec<Named>, ApiError> {
    let wire = wire_from_json(json)?;
    let inputs: Vec<ScheduleInput> = wire
        .into_iter()
        .map(|w| ScheduleInput {
            object_id: Some(w.object_id),
            start_date: Some(w.start_date),
            end_date: Some(w.end_date),
            repeat_type: Some(Value::from(w.repeat_type)),
            repeat_interval: Some(w.repeat_interval),
            repeat_pattern: Some(w.repeat_pattern),
            expiration_date: w.expiration_date,
            expiration_date_uses_num_occurrences: Some(w.expiration_date_uses_num_occurrences),
            num_occurrences: w.num_occurrences,
        })
        .collect();
    parse(&inputs).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> ScheduleInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn round_trips_through_storage() {
        let parsed = parse(&[input(json!({
            "startDate": "2027-03-01T09:00:00", "endDate": "2027-03-01T17:00:00",
            "repeatType": "WEEKLY", "repeatPattern": [1, 2, 3, 4, 5],
            "expirationDate": "2027-06-30T23:59:59"
        }))])
        .unwrap();
        let json = to_json(&parsed);
        let back = from_json(&json).unwrap();
        assert_eq!(back[0].schedule, parsed[0].schedule);
        assert_eq!(back[0].id, parsed[0].id);
        let wire = to_wire(&back[0]);
        assert_eq!(wire.repeat_type, 2);
        assert_eq!(wire.expiration_date.as_deref(), Some("2027-06-30T23:59:59"));
    }

    #[test]
    fn errors_name_the_schedule_and_field() {
        let err = parse(&[input(json!({"startDate": "2027-03-01T09:00:00"}))]).unwrap_err();
        assert!(err.to_string().contains("schedules[0].endDate"), "{err}");
        let err = parse(&[input(json!({
            "startDate": "2027-03-01T09:00:00", "endDate": "2027-03-03T09:00:00", "repeatType": 1
        }))])
        .unwrap_err();
        assert!(
            err.to_string().contains("longer than its repeat period"),
            "{err}"
        );
        let err = parse(&[input(json!({
            "startDate": "2027-03-01T09:00:00", "endDate": "2027-03-01T10:00:00", "repeatType": 9
        }))])
        .unwrap_err();
        assert!(err.to_string().contains("schedules[0].repeatType"), "{err}");
    }

    #[test]
    fn overlapping_schedules_are_named_with_the_instant() {
        let parsed = parse(&[
            input(json!({"objectId": "AAAAAAAAAA", "startDate": "2027-03-01T09:00:00", "endDate": "2027-03-01T12:00:00", "repeatType": 1})),
            input(json!({"objectId": "BBBBBBBBBB", "startDate": "2027-03-02T11:00:00", "endDate": "2027-03-02T13:00:00", "repeatType": 1})),
        ])
        .unwrap();
        let err = check_overlaps(&parsed, &TimeZone::UTC).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error 142: schedules AAAAAAAAAA and BBBBBBBBBB overlap, first at 2027-03-02T11:00:00.000Z."
        );
    }
}
