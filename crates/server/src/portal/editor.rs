//! The schedule editor of the send-key form: "always", or a weekly window (days, from–to
//! times, first and last date) in the lock's time zone; read into the API's schedule
//! input and previewed as the windows of the next two weeks, computed by the same
//! schedule code that decides unlocks.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use latchkey_api_types::ScheduleInput;
use maud::{Markup, html};
use serde_json::json;

use super::Fields;
use super::layout::field;
use crate::schedules;

/// Days as the schedule pattern numbers them (0 = Sunday), in a Monday-first week.
const DAYS: [(i64, &str); 7] = [
    (1, "Mon"),
    (2, "Tue"),
    (3, "Wed"),
    (4, "Thu"),
    (5, "Fri"),
    (6, "Sat"),
    (0, "Sun"),
];

/// How far ahead the preview looks.
const PREVIEW_DAYS: i64 = 14;

/// The editor's values, as posted or as first shown.
#[derive(Debug, Clone)]
pub struct Editor {
    pub weekly: bool,
    pub days: Vec<i64>,
    pub start: String,
    pub end: String,
    pub from: String,
    pub until: String,
}

impl Editor {
    /// A new form: always, or Monday to Friday 09:00–17:00 from today in the lock's zone.
    pub fn new(tz: &TimeZone, now: Timestamp) -> Editor {
        Editor {
            weekly: false,
            days: vec![1, 2, 3, 4, 5],
            start: "09:00".into(),
            end: "17:00".into(),
            from: now.to_zoned(tz.clone()).date().to_string(),
            until: String::new(),
        }
    }

    /// The editor filled with a key's schedule: its first weekly (or daily) schedule, or
    /// "at any time" when it has none.
    pub fn of_key(key: &latchkey_api_types::Key, tz: &TimeZone, now: Timestamp) -> Editor {
        let fresh = Editor::new(tz, now);
        let Some(schedule) = key.schedules.first() else {
            return fresh;
        };
        let part = |text: &str, range: std::ops::Range<usize>| {
            text.get(range).map(str::to_owned).unwrap_or_default()
        };
        Editor {
            weekly: true,
            days: match schedule.repeat_type {
                2 => schedule.repeat_pattern.clone(),
                _ => (0..7).collect(),
            },
            start: part(&schedule.start_date, 11..16),
            end: part(&schedule.end_date, 11..16),
            from: part(&schedule.start_date, 0..10),
            until: schedule
                .expiration_date
                .as_deref()
                .map(|d| part(d, 0..10))
                .unwrap_or_default(),
        }
    }

    pub fn read(fields: &Fields) -> Editor {
        Editor {
            weekly: fields.get("access") == "weekly",
            days: fields
                .all("day")
                .iter()
                .filter_map(|d| d.parse().ok())
                .filter(|d| (0..7).contains(d))
                .collect(),
            start: fields.get("start").to_owned(),
            end: fields.get("end").to_owned(),
            from: fields.get("from").to_owned(),
            until: fields.get("until").to_owned(),
        }
    }

    /// The schedules to send: none for "always", else one weekly schedule. An error names
    /// what to fix, in plain words.
    pub fn schedules(&self) -> Result<Vec<ScheduleInput>, String> {
        if !self.weekly {
            return Ok(Vec::new());
        }
        if self.days.is_empty() {
            return Err("Choose at least one day.".into());
        }
        let start: Time = self
            .start
            .parse()
            .map_err(|_| "Give the start time as hours and minutes, like 09:00.")?;
        let end: Time = self
            .end
            .parse()
            .map_err(|_| "Give the end time as hours and minutes, like 17:00.")?;
        if start == end {
            return Err("The end time must differ from the start time.".into());
        }
        let from: Date = self
            .from
            .parse()
            .map_err(|_| "Give the first day as a date, like 2027-01-04.")?;
        let until = match self.until.as_str() {
            "" => None,
            text => {
                let until: Date = text
                    .parse()
                    .map_err(|_| "Give the last day as a date, or leave it empty.")?;
                if until < from {
                    return Err("The last day comes before the first day.".into());
                }
                Some(until)
            }
        };
        // An end at or before the start is the next morning (a night shift).
        let end_date = if end < start {
            from.checked_add(1.day()).map_err(|e| e.to_string())?
        } else {
            from
        };
        let mut input: ScheduleInput = serde_json::from_value(json!({
            "startDate": from.to_datetime(start).to_string(),
            "endDate": end_date.to_datetime(end).to_string(),
            "repeatType": 2,
            "repeatInterval": 1,
            "repeatPattern": self.days,
        }))
        .map_err(|e| e.to_string())?;
        input.expiration_date = until.map(|d| format!("{d}T23:59:59"));
        Ok(vec![input])
    }

    /// The editor's fields. `error` is shown under it.
    pub fn markup(&self, lock_id: &str, error: Option<&str>) -> Markup {
        let weekly = self.weekly;
        html! {
            fieldset.schedule #schedule data-preview=(format!("/portal/locks/{lock_id}/windows")) {
                legend { "When the key opens" }
                div.choices {
                    label { input type="radio" name="access" value="always" checked[!weekly]; " At any time" }
                    label { input type="radio" name="access" value="weekly" checked[weekly]; " On a weekly schedule" }
                }
                div.weekly {
                    fieldset.days {
                        legend { "Days" }
                        @for (n, name) in DAYS {
                            label.day {
                                input type="checkbox" name="day" value=(n) checked[self.days.contains(&n)];
                                " " (name)
                            }
                        }
                    }
                    div.row {
                        (field("start", "From", &html! { input #start name="start" type="time" value=(self.start); }, None, None))
                        (field("end", "To", &html! { input #end name="end" type="time" value=(self.end); },
                            Some("Before the start time means the next morning."), None))
                    }
                    div.row {
                        (field("from", "First day", &html! { input #from name="from" type="date" value=(self.from); }, None, None))
                        (field("until", "Last day", &html! { input #until name="until" type="date" value=(self.until); },
                            Some("Empty: no end."), None))
                    }
                }
                @if let Some(error) = error { p.error #schedule-error role="alert" { (error) } }
            }
        }
    }
}

/// The windows of the next two weeks, in the lock's zone, for the preview.
pub fn preview(editor: &Editor, zone: &str, now: Timestamp) -> Markup {
    let Ok(tz) = TimeZone::get(zone) else {
        return html! {};
    };
    if !editor.weekly {
        return html! { p.preview-note { "The key opens at any time (within its dates)." } };
    }
    let named = editor
        .schedules()
        .map_err(|e| e.clone())
        .and_then(|inputs| schedules::parse(&inputs).map_err(|e| e.message().to_owned()));
    let schedule = match named {
        Ok(named) => named,
        Err(e) => return html! { p.preview-note { (e) } },
    };
    let horizon = now + SignedDuration::from_hours(24 * PREVIEW_DAYS);
    let windows: Vec<_> = schedule
        .iter()
        .flat_map(|n| n.schedule.windows(&tz).take_while(|w| w.start < horizon))
        .filter(|w| w.end > now)
        .collect();
    html! {
        p.preview-note { "Next two weeks, in " (zone) ":" }
        @if windows.is_empty() {
            p.preview-note { "No window opens in the next two weeks." }
        } @else {
            ol.windows {
                @for w in &windows {
                    @let start = w.start.to_zoned(tz.clone());
                    @let end = w.end.to_zoned(tz.clone());
                    li {
                        time datetime=(w.start.to_string()) { (start.strftime("%a %d %b %H:%M")) }
                        " – "
                        time datetime=(w.end.to_string()) {
                            @if end.date() == start.date() { (end.strftime("%H:%M")) }
                            @else { (end.strftime("%a %H:%M")) }
                        }
                    }
                }
            }
        }
    }
}

/// A schedule as the key list shows it, in words.
pub fn describe(schedule: &latchkey_api_types::Schedule) -> String {
    let time = |s: &str| s.get(11..16).unwrap_or(s).to_owned();
    let days = match schedule.repeat_type {
        1 => "Every day".to_owned(),
        2 => DAYS
            .iter()
            .filter(|(n, _)| schedule.repeat_pattern.contains(n))
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(" "),
        3 => "Monthly".to_owned(),
        _ => schedule.start_date.get(..10).unwrap_or_default().to_owned(),
    };
    let text = format!(
        "{days} {}–{}",
        time(&schedule.start_date),
        time(&schedule.end_date)
    );
    match schedule
        .expiration_date
        .as_deref()
        .and_then(|d| d.get(..10))
    {
        Some(until) => format!("{text}, until {until}"),
        None => text,
    }
}
