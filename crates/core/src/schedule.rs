//! Schedules: windows of local wall-clock time, read in the lock's IANA time zone.
//!
//! A schedule's first window is `start`–`end` (civil times, no offset). It repeats
//! daily, weekly (on the weekdays of a pattern, 0 = Sunday, in weeks counted from the
//! week of `start`) or monthly (on the day of month of `start`; months without that day
//! are skipped), every `interval` days, weeks or months, until a date (no window starts
//! after it) or for a number of windows. Every window has the wall-clock length of the
//! first: 09:00–17:00 stays 09:00–17:00 on the days the clocks change.
//!
//! Local times become instants in the lock's zone: a local time that does not exist
//! (spring forward) is the first valid instant after it, the end of the gap; an
//! ambiguous one (fall back) is its first occurrence.

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Span, Timestamp, ToSpan};
use thiserror::Error;

/// How a schedule repeats (Nexkey's `repeatType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Once,
    Daily,
    Weekly,
    Monthly,
}

impl Repeat {
    /// Nexkey's numeric `repeatType`.
    pub fn code(self) -> i64 {
        match self {
            Repeat::Once => 0,
            Repeat::Daily => 1,
            Repeat::Weekly => 2,
            Repeat::Monthly => 3,
        }
    }

    pub fn from_code(code: i64) -> Option<Repeat> {
        [Repeat::Once, Repeat::Daily, Repeat::Weekly, Repeat::Monthly]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// Accepts `NONE`/`ONCE`, `DAILY`, `WEEKLY`, `MONTHLY`, in any case.
    pub fn from_name(name: &str) -> Option<Repeat> {
        match name.to_ascii_uppercase().as_str() {
            "NONE" | "ONCE" | "NEVER" => Some(Repeat::Once),
            "DAILY" => Some(Repeat::Daily),
            "WEEKLY" => Some(Repeat::Weekly),
            "MONTHLY" => Some(Repeat::Monthly),
            _ => None,
        }
    }
}

/// When the series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Forever,
    /// No window starts after this local time.
    Date(DateTime),
    /// After this many windows.
    Count(u32),
}

/// Why a schedule was refused; `field` names the wire field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field} {rule}")]
pub struct ScheduleError {
    pub field: &'static str,
    pub rule: &'static str,
}

fn refuse(field: &'static str, rule: &'static str) -> ScheduleError {
    ScheduleError { field, rule }
}

/// A validated schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    start: DateTime,
    end: DateTime,
    repeat: Repeat,
    interval: u32,
    /// Bit `d` set: the window repeats on weekday `d` (0 = Sunday). Weekly only.
    weekdays: u8,
    until: Until,
}

/// How far ahead two endless schedules are compared for overlaps.
const OVERLAP_HORIZON_DAYS: i64 = 3 * 366;

impl Schedule {
    /// Checks and builds a schedule. A weekly schedule with no pattern repeats on the
    /// weekday of `start`; its first window is on the first pattern day on or after
    /// `start`'s date.
    pub fn new(
        start: DateTime,
        end: DateTime,
        repeat: Repeat,
        interval: u32,
        pattern: &[u8],
        until: Until,
    ) -> Result<Schedule, ScheduleError> {
        if end <= start {
            return Err(refuse("endDate", "must be after startDate"));
        }
        if interval == 0 {
            return Err(refuse("repeatInterval", "must be at least 1"));
        }
        let mut weekdays = 0u8;
        for &d in pattern {
            if d > 6 {
                return Err(refuse(
                    "repeatPattern",
                    "must hold weekdays 0 (Sunday) to 6",
                ));
            }
            weekdays |= 1 << d;
        }
        if repeat == Repeat::Weekly && weekdays == 0 {
            weekdays = 1 << start.date().weekday().to_sunday_zero_offset();
        }
        if repeat != Repeat::Weekly {
            weekdays = 0;
        }
        let period_days = match repeat {
            Repeat::Once => None,
            Repeat::Daily => Some(i64::from(interval)),
            Repeat::Weekly => Some(7 * i64::from(interval)),
            Repeat::Monthly => Some(28 * i64::from(interval)),
        };
        if let Some(days) = period_days {
            let fits = start
                .checked_add(days.days())
                .is_ok_and(|limit| end <= limit);
            if !fits {
                return Err(refuse(
                    "endDate",
                    "makes the window longer than its repeat period",
                ));
            }
        }
        match until {
            Until::Count(0) => return Err(refuse("numOccurrences", "must be at least 1")),
            Until::Date(d) if d < start => {
                return Err(refuse("expirationDate", "must not be before startDate"));
            }
            _ => {}
        }
        Ok(Schedule {
            start,
            end,
            repeat,
            interval,
            weekdays,
            until,
        })
    }

    pub fn start(&self) -> DateTime {
        self.start
    }

    pub fn end(&self) -> DateTime {
        self.end
    }

    pub fn repeat(&self) -> Repeat {
        self.repeat
    }

    pub fn interval(&self) -> u32 {
        self.interval
    }

    /// The weekdays of a weekly schedule, 0 = Sunday, ascending.
    pub fn pattern(&self) -> Vec<u8> {
        (0..7).filter(|d| self.weekdays & (1 << d) != 0).collect()
    }

    pub fn until(&self) -> Until {
        self.until
    }

    /// The dates on which windows start, in order.
    fn dates(&self) -> Box<dyn Iterator<Item = Date> + '_> {
        let first = self.start.date();
        let step = i64::from(self.interval);
        let dates: Box<dyn Iterator<Item = Date>> = match self.repeat {
            Repeat::Once => Box::new(std::iter::once(first)),
            Repeat::Daily => Box::new(
                (0..)
                    .map(move |k: i64| first.checked_add((k * step).days()))
                    .map_while(Result::ok),
            ),
            Repeat::Weekly => {
                let week_start = first
                    .checked_sub(i64::from(first.weekday().to_sunday_zero_offset()).days())
                    .unwrap_or(first);
                let weekdays = self.weekdays;
                Box::new(
                    (0..)
                        .flat_map(move |w: i64| {
                            (0..7)
                                .filter(move |d| weekdays & (1 << d) != 0)
                                .map(move |d| week_start.checked_add((w * step * 7 + d).days()))
                        })
                        .map_while(Result::ok)
                        .filter(move |d| *d >= first),
                )
            }
            Repeat::Monthly => {
                let day = first.day();
                Box::new(
                    (0..)
                        .map(move |k: i64| first.first_of_month().checked_add((k * step).months()))
                        .map_while(Result::ok)
                        .filter(move |month| day <= month.days_in_month())
                        .map(move |month| month.with().day(day).build())
                        .map_while(Result::ok),
                )
            }
        };
        let time = self.start.time();
        match self.until {
            Until::Forever => dates,
            Until::Count(n) => Box::new(dates.take(n as usize)),
            Until::Date(last) => Box::new(dates.take_while(move |d| d.to_datetime(time) <= last)),
        }
    }

    /// The civil length of every window.
    fn length(&self) -> Span {
        self.start.until(self.end).unwrap_or_default()
    }

    /// Every window, as instants in `tz`, in order of start.
    pub fn windows<'a>(&'a self, tz: &'a TimeZone) -> impl Iterator<Item = Window> + 'a {
        let time = self.start.time();
        let length = self.length();
        self.dates().filter_map(move |date| {
            let local_start = date.to_datetime(time);
            let local_end = local_start.checked_add(length).ok()?;
            Some(Window {
                start: instant(tz, local_start)?,
                end: instant(tz, local_end)?,
            })
        })
    }

    /// Windows that might contain an instant whose local date is `day`, cheaply
    /// filtered on civil dates before any time zone work.
    fn windows_near<'a>(
        &'a self,
        tz: &'a TimeZone,
        day: Date,
    ) -> impl Iterator<Item = Window> + 'a {
        let time = self.start.time();
        let length = self.length();
        let earliest = day.checked_sub(2.days()).unwrap_or(day);
        let latest = day.checked_add(2.days()).unwrap_or(day);
        self.dates()
            .take_while(move |d| *d <= latest)
            .filter_map(move |date| {
                let local_start = date.to_datetime(time);
                let local_end = local_start.checked_add(length).ok()?;
                if local_end.date() < earliest {
                    return None;
                }
                Some(Window {
                    start: instant(tz, local_start)?,
                    end: instant(tz, local_end)?,
                })
            })
    }

    /// Whether `t` falls inside one of the windows.
    pub fn contains(&self, tz: &TimeZone, t: Timestamp) -> bool {
        let day = tz.to_datetime(t).date();
        self.windows_near(tz, day).any(|w| w.contains(t))
    }

    /// The first instant at or after `t` inside a window, if any.
    pub fn next_valid_at(&self, tz: &TimeZone, t: Timestamp) -> Option<Timestamp> {
        let day = tz.to_datetime(t).date().checked_sub(2.days()).ok()?;
        let time = self.start.time();
        let length = self.length();
        self.dates()
            .filter(|date| {
                date.to_datetime(time)
                    .checked_add(length)
                    .is_ok_and(|end| end.date() >= day)
            })
            .filter_map(|date| {
                let local_start = date.to_datetime(time);
                Some(Window {
                    start: instant(tz, local_start)?,
                    end: instant(tz, local_start.checked_add(length).ok()?)?,
                })
            })
            .find(|w| w.end > t)
            .map(|w| w.start.max(t))
    }

    /// The first instant at which a window of `self` and a window of `other` overlap,
    /// looking up to three years past the later first window (or to the end of both).
    pub fn first_overlap(&self, other: &Schedule, tz: &TimeZone) -> Option<Timestamp> {
        let latest_first = instant(tz, self.start.max(other.start))?;
        let horizon = latest_first
            .checked_add(jiff::SignedDuration::from_hours(24 * OVERLAP_HORIZON_DAYS))
            .ok()?;
        let mut a = self
            .windows(tz)
            .take_while(|w| w.start < horizon)
            .peekable();
        let mut b = other
            .windows(tz)
            .take_while(|w| w.start < horizon)
            .peekable();
        while let (Some(x), Some(y)) = (a.peek().copied(), b.peek().copied()) {
            let start = x.start.max(y.start);
            if start < x.end.min(y.end) {
                return Some(start);
            }
            if x.end <= y.end {
                a.next();
            } else {
                b.next();
            }
        }
        None
    }
}

/// One window: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Window {
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }
}

/// A local time in `tz` as an instant: the end of the gap for a time that does not
/// exist, the first occurrence for an ambiguous one.
pub fn instant(tz: &TimeZone, local: DateTime) -> Option<Timestamp> {
    match tz.to_ambiguous_timestamp(local).offset() {
        AmbiguousOffset::Unambiguous { offset } | AmbiguousOffset::Fold { before: offset, .. } => {
            offset.to_timestamp(local).ok()
        }
        AmbiguousOffset::Gap { after, .. } => {
            let inside = after.to_timestamp(local).ok()?;
            tz.following(inside).next().map(|t| t.timestamp())
        }
    }
}

#[cfg(test)]
mod tests;
