//! The access decision: may this key open this lock now? One pure function of the key,
//! its group, the lock and the time, shared by `performUnlock` and `explainAccess`.
//!
//! Admins (`ADMIN`, `OWNER`) are always allowed. A `USER` key is checked in this order,
//! and the first failed rule gives the refusal: the key exists and is active (614), the
//! lock is not in lockdown (611), remote unlock is allowed for the key or its group (612),
//! a one-time key is unused (613), now is inside the key's dates (610) and inside one of
//! its schedules (the key's own, else its group's) (610, with `nextValidAt` when known).
//! Every rule is reported, passed or not, for `explainAccess`.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::role::Role;
use crate::schedule::Schedule;

/// What the decision needs to know of a key.
#[derive(Debug, Clone, Copy)]
pub struct KeyFacts<'a> {
    pub role: Role,
    pub active: bool,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub usage: Usage,
    pub can_remote_unlock: bool,
    pub schedules: &'a [Schedule],
}

/// How often a key opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Unlimited,
    OneTimeUnused,
    OneTimeUsed,
}

/// What it needs of the key's group, when the key came from one.
#[derive(Debug, Clone, Copy)]
pub struct GroupFacts<'a> {
    pub can_remote_unlock: bool,
    pub schedules: &'a [Schedule],
}

/// What it needs of the lock.
#[derive(Debug, Clone, Copy)]
pub struct LockFacts<'a> {
    pub time_zone: &'a TimeZone,
    pub lockdown: bool,
}

/// Why access was refused, with the API's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 610: outside the key's dates or schedules.
    NotNow { next_valid_at: Option<Timestamp> },
    /// 611: blackout or lockdown.
    Lockdown,
    /// 612: remote unlock not allowed for this key.
    NoRemoteUnlock,
    /// 613: a one-time key already used.
    Used,
    /// 614: no (active) key to this lock.
    NoKey,
}

impl Refusal {
    pub fn code(self) -> i64 {
        match self {
            Refusal::NotNow { .. } => 610,
            Refusal::Lockdown => 611,
            Refusal::NoRemoteUnlock => 612,
            Refusal::Used => 613,
            Refusal::NoKey => 614,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Refusal::NotNow { .. } => "The key is not valid at this time.",
            Refusal::Lockdown => "The lock is in lockdown.",
            Refusal::NoRemoteUnlock => "Remote unlock is not allowed for this key.",
            Refusal::Used => "This one-time key has already been used.",
            Refusal::NoKey => "No active key to this lock.",
        }
    }
}

/// One rule checked on the way to the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    pub rule: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// The decision and the rules behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub refusal: Option<Refusal>,
    pub rules: Vec<RuleCheck>,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        self.refusal.is_none()
    }
}

/// Decides whether `key` (with its `group`) may open `lock` at `now`.
pub fn decide(
    key: Option<&KeyFacts<'_>>,
    group: Option<&GroupFacts<'_>>,
    lock: &LockFacts<'_>,
    now: Timestamp,
) -> Decision {
    let mut rules = Vec::new();
    let mut refusal = None;
    let mut check = |rule: &'static str, passed: bool, detail: String, if_failed: Refusal| {
        rules.push(RuleCheck {
            rule,
            passed,
            detail,
        });
        if !passed && refusal.is_none() {
            refusal = Some(if_failed);
        }
    };
    let Some(key) = key.filter(|k| k.active) else {
        let detail = if key.is_some() {
            "the key is pending"
        } else {
            "no key"
        };
        check("key", false, detail.into(), Refusal::NoKey);
        return Decision { refusal, rules };
    };
    if key.role.is_admin() {
        check(
            "role",
            true,
            format!("{} keys are never restricted", key.role.as_str()),
            Refusal::NoKey,
        );
        return Decision { refusal, rules };
    }
    check("key", true, "an active USER key".into(), Refusal::NoKey);
    check(
        "lockdown",
        !lock.lockdown,
        if lock.lockdown {
            "the lock is in lockdown"
        } else {
            "no lockdown"
        }
        .into(),
        Refusal::Lockdown,
    );
    let remote = key.can_remote_unlock || group.is_some_and(|g| g.can_remote_unlock);
    check(
        "canRemoteUnlock",
        remote,
        if remote {
            "remote unlock allowed"
        } else {
            "remote unlock not allowed"
        }
        .into(),
        Refusal::NoRemoteUnlock,
    );
    if key.usage != Usage::Unlimited {
        let used = key.usage == Usage::OneTimeUsed;
        let detail = if used { "already used" } else { "not used yet" };
        check("oneTime", !used, detail.into(), Refusal::Used);
    }
    let schedules = if key.schedules.is_empty() {
        group.map_or(&[][..], |g| g.schedules)
    } else {
        key.schedules
    };
    let before_start = key.start.is_some_and(|s| now < s);
    let after_end = key.end.is_some_and(|e| now >= e);
    let inside = schedules.is_empty() || schedules.iter().any(|s| s.contains(lock.time_zone, now));
    let next_valid_at = if after_end || (!before_start && inside) {
        None
    } else {
        first_valid_after(key, schedules, lock.time_zone, now)
    };
    let not_now = Refusal::NotNow { next_valid_at };
    check(
        "dates",
        !before_start && !after_end,
        match (before_start, after_end) {
            (true, _) => "before the key's startDate",
            (_, true) => "after the key's endDate",
            _ => "within the key's dates",
        }
        .into(),
        not_now,
    );
    if !schedules.is_empty() {
        check(
            "schedules",
            inside,
            if inside {
                "inside a schedule window"
            } else {
                "outside every schedule window"
            }
            .into(),
            not_now,
        );
    }
    Decision { refusal, rules }
}

/// The first instant at or after `now` that satisfies both the key's dates and one of
/// `schedules`, before the key's end.
fn first_valid_after(
    key: &KeyFacts<'_>,
    schedules: &[Schedule],
    tz: &TimeZone,
    now: Timestamp,
) -> Option<Timestamp> {
    let from = key.start.map_or(now, |s| s.max(now));
    let next = if schedules.is_empty() {
        Some(from)
    } else {
        schedules
            .iter()
            .filter_map(|s| s.next_valid_at(tz, from))
            .min()
    };
    next.filter(|t| key.end.is_none_or(|e| *t < e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Repeat, Until};
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn user_key(schedules: &[Schedule]) -> KeyFacts<'_> {
        KeyFacts {
            role: Role::User,
            active: true,
            start: None,
            end: None,
            usage: Usage::Unlimited,
            can_remote_unlock: true,
            schedules,
        }
    }

    fn office_hours() -> Vec<Schedule> {
        vec![
            Schedule::new(
                date(2027, 3, 1).at(9, 0, 0, 0),
                date(2027, 3, 1).at(17, 0, 0, 0),
                Repeat::Weekly,
                1,
                &[1, 2, 3, 4, 5],
                Until::Forever,
            )
            .unwrap(),
        ]
    }

    fn lock(tz: &TimeZone) -> LockFacts<'_> {
        LockFacts {
            time_zone: tz,
            lockdown: false,
        }
    }

    #[test]
    fn a_user_key_inside_its_schedule_is_allowed_and_outside_gets_610_with_next() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let schedules = office_hours();
        let key = user_key(&schedules);
        let monday = decide(Some(&key), None, &lock(&ny), ts("2027-03-15T13:30:00Z"));
        assert!(monday.allowed(), "{monday:?}");
        let saturday = decide(Some(&key), None, &lock(&ny), ts("2027-03-13T15:00:00Z"));
        assert_eq!(
            saturday.refusal,
            Some(Refusal::NotNow {
                next_valid_at: Some(ts("2027-03-15T13:00:00Z"))
            })
        );
        assert_eq!(saturday.refusal.unwrap().code(), 610);
    }

    #[test]
    fn admins_and_owners_are_never_restricted() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let schedules = office_hours();
        for role in [Role::Admin, Role::Owner] {
            let key = KeyFacts {
                role,
                can_remote_unlock: false,
                end: Some(ts("2000-01-01T00:00:00Z")),
                ..user_key(&schedules)
            };
            let locked_down = LockFacts {
                time_zone: &ny,
                lockdown: true,
            };
            assert!(decide(Some(&key), None, &locked_down, ts("2027-03-13T15:00:00Z")).allowed());
        }
    }

    #[test]
    fn each_refusal_has_its_code_in_order() {
        let utc = TimeZone::UTC;
        let now = ts("2027-03-15T13:30:00Z");
        assert_eq!(
            decide(None, None, &lock(&utc), now).refusal,
            Some(Refusal::NoKey)
        );
        let pending = KeyFacts {
            active: false,
            ..user_key(&[])
        };
        assert_eq!(
            decide(Some(&pending), None, &lock(&utc), now).refusal,
            Some(Refusal::NoKey)
        );
        let down = LockFacts {
            time_zone: &utc,
            lockdown: true,
        };
        assert_eq!(
            decide(Some(&user_key(&[])), None, &down, now).refusal,
            Some(Refusal::Lockdown)
        );
        let local_only = KeyFacts {
            can_remote_unlock: false,
            ..user_key(&[])
        };
        assert_eq!(
            decide(Some(&local_only), None, &lock(&utc), now).refusal,
            Some(Refusal::NoRemoteUnlock)
        );
        let group = GroupFacts {
            can_remote_unlock: true,
            schedules: &[],
        };
        assert!(
            decide(Some(&local_only), Some(&group), &lock(&utc), now).allowed(),
            "the group allows it"
        );
        let used = KeyFacts {
            usage: Usage::OneTimeUsed,
            ..user_key(&[])
        };
        assert_eq!(
            decide(Some(&used), None, &lock(&utc), now).refusal,
            Some(Refusal::Used)
        );
        let later = KeyFacts {
            start: Some(ts("2027-04-01T00:00:00Z")),
            ..user_key(&[])
        };
        assert_eq!(
            decide(Some(&later), None, &lock(&utc), now).refusal,
            Some(Refusal::NotNow {
                next_valid_at: Some(ts("2027-04-01T00:00:00Z"))
            })
        );
        let expired = KeyFacts {
            end: Some(now),
            ..user_key(&[])
        };
        assert_eq!(
            decide(Some(&expired), None, &lock(&utc), now).refusal,
            Some(Refusal::NotNow {
                next_valid_at: None
            })
        );
    }

    #[test]
    fn a_group_schedule_applies_when_the_key_has_none() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let schedules = office_hours();
        let group = GroupFacts {
            can_remote_unlock: false,
            schedules: &schedules,
        };
        let key = user_key(&[]);
        let saturday = decide(
            Some(&key),
            Some(&group),
            &lock(&ny),
            ts("2027-03-13T15:00:00Z"),
        );
        assert_eq!(saturday.refusal.map(Refusal::code), Some(610));
        let rules: Vec<&str> = saturday.rules.iter().map(|r| r.rule).collect();
        assert_eq!(
            rules,
            ["key", "lockdown", "canRemoteUnlock", "dates", "schedules"]
        );
    }

    #[test]
    fn next_valid_at_respects_the_key_dates() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let schedules = office_hours();
        let key = KeyFacts {
            start: Some(ts("2027-03-17T00:00:00Z")),
            ..user_key(&schedules)
        };
        let d = decide(Some(&key), None, &lock(&ny), ts("2027-03-13T15:00:00Z"));
        assert_eq!(
            d.refusal,
            Some(Refusal::NotNow {
                next_valid_at: Some(ts("2027-03-17T13:00:00Z"))
            }),
            "the first window on or after the key's start: Wednesday 09:00 EDT"
        );
        let ending = KeyFacts {
            end: Some(ts("2027-03-14T00:00:00Z")),
            ..user_key(&schedules)
        };
        let d = decide(Some(&ending), None, &lock(&ny), ts("2027-03-13T15:00:00Z"));
        assert_eq!(
            d.refusal,
            Some(Refusal::NotNow {
                next_valid_at: None
            }),
            "no window before the end"
        );
    }
}
