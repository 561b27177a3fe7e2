use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn weekdays_9_to_5() -> Schedule {
    Schedule::new(
        date(2027, 3, 1).at(9, 0, 0, 0),
        date(2027, 3, 1).at(17, 0, 0, 0),
        Repeat::Weekly,
        1,
        &[1, 2, 3, 4, 5],
        Until::Forever,
    )
    .unwrap()
}

#[test]
fn weekday_office_hours_in_new_york_across_the_dst_change() {
    let ny = tz("America/New_York");
    let s = weekdays_9_to_5();
    assert!(
        s.contains(&ny, ts("2027-03-15T13:30:00Z")),
        "Monday 09:30 EDT"
    );
    assert!(!s.contains(&ny, ts("2027-03-13T15:00:00Z")), "Saturday");
    assert!(
        s.contains(&ny, ts("2027-03-12T14:30:00Z")),
        "Friday 09:30 EST"
    );
    assert!(
        !s.contains(&ny, ts("2027-03-15T12:30:00Z")),
        "Monday 08:30 EDT"
    );
    assert!(
        !s.contains(&ny, ts("2027-03-15T21:00:00Z")),
        "Monday 17:00 EDT: the end is excluded"
    );
    assert!(
        s.contains(&ny, ts("2027-03-15T20:59:59Z")),
        "Monday 16:59:59 EDT"
    );
}

#[test]
fn next_valid_at_is_the_next_window_start_or_now() {
    let ny = tz("America/New_York");
    let s = weekdays_9_to_5();
    let saturday = ts("2027-03-13T15:00:00Z");
    assert_eq!(
        s.next_valid_at(&ny, saturday),
        Some(ts("2027-03-15T13:00:00Z"))
    );
    let inside = ts("2027-03-15T13:30:00Z");
    assert_eq!(s.next_valid_at(&ny, inside), Some(inside));
    let before_start = ts("2027-01-01T00:00:00Z");
    assert_eq!(
        s.next_valid_at(&ny, before_start),
        Some(ts("2027-03-01T14:00:00Z"))
    );
}

#[test]
fn a_start_in_the_spring_gap_moves_to_the_end_of_the_gap() {
    let ny = tz("America/New_York");
    let s = Schedule::new(
        date(2027, 3, 13).at(2, 30, 0, 0),
        date(2027, 3, 13).at(3, 30, 0, 0),
        Repeat::Daily,
        1,
        &[],
        Until::Count(3),
    )
    .unwrap();
    let windows: Vec<Window> = s.windows(&ny).collect();
    assert_eq!(windows.len(), 3);
    // 2027-03-14: 02:30 does not exist; the window opens at 03:00 EDT (07:00Z).
    assert_eq!(windows[1].start, ts("2027-03-14T07:00:00Z"));
    assert_eq!(windows[1].end, ts("2027-03-14T07:30:00Z"));
    assert!(!s.contains(&ny, ts("2027-03-14T06:59:59Z")));
    assert!(s.contains(&ny, ts("2027-03-14T07:10:00Z")));
}

#[test]
fn an_ambiguous_time_in_the_fall_means_its_first_occurrence() {
    let ny = tz("America/New_York");
    let s = Schedule::new(
        date(2027, 11, 7).at(1, 30, 0, 0),
        date(2027, 11, 7).at(2, 0, 0, 0),
        Repeat::Once,
        1,
        &[],
        Until::Forever,
    )
    .unwrap();
    let w: Vec<Window> = s.windows(&ny).collect();
    // 01:30 EDT is 05:30Z; 02:00 (after the fold, EST) is 07:00Z.
    assert_eq!(
        w,
        vec![Window {
            start: ts("2027-11-07T05:30:00Z"),
            end: ts("2027-11-07T07:00:00Z")
        }]
    );
}

#[test]
fn monthly_windows_skip_months_without_that_day() {
    let utc = TimeZone::UTC;
    let s = Schedule::new(
        date(2027, 1, 31).at(8, 0, 0, 0),
        date(2027, 1, 31).at(9, 0, 0, 0),
        Repeat::Monthly,
        1,
        &[],
        Until::Count(4),
    )
    .unwrap();
    let starts: Vec<String> = s.windows(&utc).map(|w| w.start.to_string()).collect();
    assert_eq!(
        starts,
        [
            "2027-01-31T08:00:00Z",
            "2027-03-31T08:00:00Z",
            "2027-05-31T08:00:00Z",
            "2027-07-31T08:00:00Z"
        ]
    );
}

#[test]
fn series_end_at_a_date_or_a_count() {
    let utc = TimeZone::UTC;
    let by_date = Schedule::new(
        date(2027, 1, 1).at(9, 0, 0, 0),
        date(2027, 1, 1).at(10, 0, 0, 0),
        Repeat::Daily,
        1,
        &[],
        Until::Date(date(2027, 1, 5).at(8, 0, 0, 0)),
    )
    .unwrap();
    assert_eq!(
        by_date.windows(&utc).count(),
        4,
        "no window starts after the expiration"
    );
    let every_other_week = Schedule::new(
        date(2027, 1, 4).at(9, 0, 0, 0),
        date(2027, 1, 4).at(10, 0, 0, 0),
        Repeat::Weekly,
        2,
        &[1, 3],
        Until::Count(5),
    )
    .unwrap();
    let days: Vec<String> = every_other_week
        .windows(&utc)
        .map(|w| w.start.to_string()[..10].to_owned())
        .collect();
    assert_eq!(
        days,
        [
            "2027-01-04",
            "2027-01-06",
            "2027-01-18",
            "2027-01-20",
            "2027-02-01"
        ]
    );
}

#[test]
fn weekly_starts_on_the_first_pattern_day_on_or_after_the_start() {
    let utc = TimeZone::UTC;
    // 2027-03-06 is a Saturday; the pattern is Monday and Tuesday.
    let s = Schedule::new(
        date(2027, 3, 6).at(9, 0, 0, 0),
        date(2027, 3, 6).at(10, 0, 0, 0),
        Repeat::Weekly,
        1,
        &[1, 2],
        Until::Count(2),
    )
    .unwrap();
    let first: Vec<String> = s.windows(&utc).map(|w| w.start.to_string()).collect();
    assert_eq!(first, ["2027-03-08T09:00:00Z", "2027-03-09T09:00:00Z"]);
}

#[test]
fn invalid_schedules_name_their_field() {
    let d = date(2027, 1, 1);
    let make = |end: DateTime, repeat, interval, pattern: &[u8], until| {
        Schedule::new(d.at(9, 0, 0, 0), end, repeat, interval, pattern, until).map_err(|e| e.field)
    };
    assert_eq!(
        make(d.at(9, 0, 0, 0), Repeat::Once, 1, &[], Until::Forever),
        Err("endDate")
    );
    assert_eq!(
        make(d.at(8, 0, 0, 0), Repeat::Once, 1, &[], Until::Forever),
        Err("endDate")
    );
    assert_eq!(
        make(d.at(10, 0, 0, 0), Repeat::Daily, 0, &[], Until::Forever),
        Err("repeatInterval")
    );
    let long = date(2027, 1, 2).at(10, 0, 0, 0);
    assert_eq!(
        make(long, Repeat::Daily, 1, &[], Until::Forever),
        Err("endDate")
    );
    assert!(
        make(long, Repeat::Daily, 2, &[], Until::Forever).is_ok(),
        "fits in two days"
    );
    assert_eq!(
        make(d.at(10, 0, 0, 0), Repeat::Weekly, 1, &[7], Until::Forever),
        Err("repeatPattern")
    );
    assert_eq!(
        make(d.at(10, 0, 0, 0), Repeat::Daily, 1, &[], Until::Count(0)),
        Err("numOccurrences")
    );
    let before = Until::Date(date(2026, 12, 31).at(0, 0, 0, 0));
    assert_eq!(
        make(d.at(10, 0, 0, 0), Repeat::Daily, 1, &[], before),
        Err("expirationDate")
    );
}

#[test]
fn overlaps_are_found_at_their_first_instant() {
    let ny = tz("America/New_York");
    let mornings = Schedule::new(
        date(2027, 3, 1).at(9, 0, 0, 0),
        date(2027, 3, 1).at(12, 0, 0, 0),
        Repeat::Weekly,
        1,
        &[3],
        Until::Forever,
    )
    .unwrap();
    let lunch = Schedule::new(
        date(2027, 3, 1).at(11, 0, 0, 0),
        date(2027, 3, 1).at(13, 0, 0, 0),
        Repeat::Daily,
        1,
        &[],
        Until::Forever,
    )
    .unwrap();
    // The first Wednesday is 2027-03-03; 11:00 EST is 16:00Z.
    assert_eq!(
        mornings.first_overlap(&lunch, &ny),
        Some(ts("2027-03-03T16:00:00Z"))
    );
    let afternoons = Schedule::new(
        date(2027, 3, 1).at(12, 0, 0, 0),
        date(2027, 3, 1).at(17, 0, 0, 0),
        Repeat::Weekly,
        1,
        &[3],
        Until::Forever,
    )
    .unwrap();
    assert_eq!(
        mornings.first_overlap(&afternoons, &ny),
        None,
        "touching windows do not overlap"
    );
}

/// The rule, checked date by date, independently of the schedule's date iterator.
fn naive_contains(s: &Schedule, tz: &TimeZone, t: Timestamp) -> bool {
    let first = s.start().date();
    let last = tz.to_datetime(t).date().checked_add(2.days()).unwrap();
    let length = s.start().until(s.end()).unwrap();
    let mut count = 0u32;
    let mut day = first;
    while day <= last {
        let since = i64::from(first.until(day).unwrap().get_days());
        let is_occurrence = match s.repeat() {
            Repeat::Once => since == 0,
            Repeat::Daily => since % i64::from(s.interval()) == 0,
            Repeat::Weekly => {
                let week0 = first
                    .checked_sub(i64::from(first.weekday().to_sunday_zero_offset()).days())
                    .unwrap();
                let week = i64::from(week0.until(day).unwrap().get_days()) / 7;
                week % i64::from(s.interval()) == 0
                    && s.pattern()
                        .contains(&u8::try_from(day.weekday().to_sunday_zero_offset()).unwrap())
            }
            Repeat::Monthly => {
                let months = (i64::from(day.year()) - i64::from(first.year())) * 12
                    + i64::from(day.month())
                    - i64::from(first.month());
                day.day() == first.day() && months % i64::from(s.interval()) == 0
            }
        };
        if is_occurrence {
            let local_start = day.to_datetime(s.start().time());
            let ended = match s.until() {
                Until::Forever => false,
                Until::Count(n) => count >= n,
                Until::Date(last) => local_start > last,
            };
            if ended {
                return false;
            }
            count += 1;
            let w = Window {
                start: instant(tz, local_start).unwrap(),
                end: instant(tz, local_start.checked_add(length).unwrap()).unwrap(),
            };
            if w.contains(t) {
                return true;
            }
        }
        day = day.checked_add(1.days()).unwrap();
    }
    false
}

const ZONES: [&str; 6] = [
    "America/New_York",
    "Europe/Brussels",
    "Australia/Lord_Howe",
    "UTC",
    "Asia/Kolkata",
    "America/Santiago",
];

fn schedule_strategy() -> impl Strategy<Value = Schedule> {
    (
        0i64..365,
        0i64..96,
        0usize..4,
        1u32..4,
        1u8..128,
        1i64..96,
        prop_oneof![Just(0u8), Just(1u8), Just(2u8)],
        1u32..40,
        0i64..500,
    )
        .prop_filter_map(
            "valid schedule",
            |(day, quarter, repeat, interval, mask, len_q, until_kind, count, until_days)| {
                let repeat = [Repeat::Once, Repeat::Daily, Repeat::Weekly, Repeat::Monthly][repeat];
                let start = date(2027, 1, 1)
                    .at(0, 0, 0, 0)
                    .checked_add(day.days())
                    .ok()?
                    .checked_add((quarter * 15).minutes())
                    .ok()?;
                let end = start.checked_add((len_q * 15).minutes()).ok()?;
                let pattern: Vec<u8> = (0..7).filter(|d| mask & (1 << d) != 0).collect();
                let until = match until_kind {
                    0 => Until::Forever,
                    1 => Until::Count(count),
                    _ => Until::Date(start.checked_add(until_days.days()).ok()?),
                };
                Schedule::new(start, end, repeat, interval, &pattern, until).ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn contains_agrees_with_the_rule_checked_day_by_day(
        s in schedule_strategy(),
        zone in 0usize..ZONES.len(),
        offset_minutes in -2880i64..(2 * 366 * 1440),
    ) {
        let tz = tz(ZONES[zone]);
        let t = instant(&tz, s.start()).unwrap().checked_add(jiff::SignedDuration::from_mins(offset_minutes)).unwrap();
        prop_assert_eq!(s.contains(&tz, t), naive_contains(&s, &tz, t), "t = {}", t);
    }

    #[test]
    fn next_valid_at_is_inside_a_window_and_nothing_earlier_is(
        s in schedule_strategy(),
        zone in 0usize..ZONES.len(),
        offset_minutes in -2880i64..(366 * 1440),
    ) {
        let tz = tz(ZONES[zone]);
        let t = instant(&tz, s.start()).unwrap().checked_add(jiff::SignedDuration::from_mins(offset_minutes)).unwrap();
        if let Some(next) = s.next_valid_at(&tz, t) {
            prop_assert!(next >= t);
            prop_assert!(s.contains(&tz, next), "{} is not inside a window", next);
            let just_before = next.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap();
            prop_assert!(next == t || !s.contains(&tz, just_before), "{} was already valid", just_before);
        } else {
            prop_assert!(s.windows(&tz).all(|w| w.end <= t));
        }
    }

    #[test]
    fn first_overlap_agrees_with_every_pair_over_two_years(
        a in schedule_strategy(),
        b in schedule_strategy(),
        zone in 0usize..ZONES.len(),
    ) {
        let tz = tz(ZONES[zone]);
        let horizon = instant(&tz, a.start().max(b.start())).unwrap()
            .checked_add(jiff::SignedDuration::from_hours(24 * 730)).unwrap();
        let wa: Vec<Window> = a.windows(&tz).take_while(|w| w.start < horizon).collect();
        let wb: Vec<Window> = b.windows(&tz).take_while(|w| w.start < horizon).collect();
        let brute = wa.iter()
            .flat_map(|x| wb.iter().map(move |y| (x, y)))
            .filter(|(x, y)| x.start.max(y.start) < x.end.min(y.end))
            .map(|(x, y)| x.start.max(y.start))
            .min();
        let found = a.first_overlap(&b, &tz);
        match brute {
            Some(first) => prop_assert_eq!(found, Some(first)),
            None => prop_assert!(found.is_none_or(|f| f >= horizon), "found {:?} within two years", found),
        }
    }
}
