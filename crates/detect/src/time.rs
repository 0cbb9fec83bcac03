//! Clock arithmetic for time conditions: local hour and weekday at a fixed UTC offset.
//!
//! A fixed offset (not a named zone) keeps the crate free of a time-zone database and the
//! results reproducible; daylight saving time is the user's choice of offset.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

const MINUTE_MILLIS: i64 = 60_000;
const DAY_MILLIS: i64 = 86_400_000;

/// A fixed offset from UTC, in minutes (`+02:00` is 120).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockOffset {
    minutes: i32,
}

impl ClockOffset {
    /// UTC.
    pub const UTC: ClockOffset = ClockOffset { minutes: 0 };

    /// The offset of `minutes` east of UTC (at most 18 hours either way).
    pub fn from_minutes(minutes: i32) -> Option<ClockOffset> {
        (minutes.abs() <= 18 * 60).then_some(ClockOffset { minutes })
    }

    /// Minutes east of UTC.
    pub const fn minutes(self) -> i32 {
        self.minutes
    }

    /// `millis` (UTC) shifted to local wall-clock millis.
    pub(crate) fn local(self, millis: i64) -> i64 {
        millis + i64::from(self.minutes) * MINUTE_MILLIS
    }
}

impl FromStr for ClockOffset {
    type Err = String;

    /// `+02:00`, `-05:30`, `+0200`, `+2`, `Z`, `UTC`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("bad UTC offset {s:?} (expected e.g. +02:00, -05:30 or Z)");
        let t = s.trim();
        if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
            return Ok(ClockOffset::UTC);
        }
        let (sign, rest) = match t.as_bytes().first() {
            Some(b'+') => (1, t.get(1..).unwrap_or("")),
            Some(b'-') => (-1, t.get(1..).unwrap_or("")),
            _ => return Err(bad()),
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h, m),
            None if rest.len() == 4 => (rest.get(..2).unwrap_or(""), rest.get(2..).unwrap_or("")),
            None => (rest, "0"),
        };
        let h: i32 = h.parse().map_err(|_| bad())?;
        let m: i32 = m.parse().map_err(|_| bad())?;
        if h > 18 || m > 59 {
            return Err(bad());
        }
        ClockOffset::from_minutes(sign * (h * 60 + m)).ok_or_else(bad)
    }
}

impl TryFrom<String> for ClockOffset {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ClockOffset> for String {
    fn from(o: ClockOffset) -> String {
        o.to_string()
    }
}

impl fmt::Display for ClockOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minutes < 0 { '-' } else { '+' };
        let m = self.minutes.abs();
        write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
    }
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum DayOfWeek {
    #[serde(alias = "monday")]
    Mon,
    #[serde(alias = "tuesday")]
    Tue,
    #[serde(alias = "wednesday")]
    Wed,
    #[serde(alias = "thursday")]
    Thu,
    #[serde(alias = "friday")]
    Fri,
    #[serde(alias = "saturday")]
    Sat,
    #[serde(alias = "sunday")]
    Sun,
}

impl DayOfWeek {
    pub(crate) const ALL: [DayOfWeek; 7] = [
        DayOfWeek::Mon,
        DayOfWeek::Tue,
        DayOfWeek::Wed,
        DayOfWeek::Thu,
        DayOfWeek::Fri,
        DayOfWeek::Sat,
        DayOfWeek::Sun,
    ];

    /// Monday to Friday.
    pub fn workdays() -> Vec<DayOfWeek> {
        DayOfWeek::ALL.get(..5).unwrap_or_default().to_vec()
    }
}

/// The local hour (0-23) at `millis` (UTC) in `offset`.
pub(crate) fn local_hour(millis: i64, offset: ClockOffset) -> u8 {
    let in_day = offset.local(millis).rem_euclid(DAY_MILLIS);
    u8::try_from(in_day / 3_600_000).unwrap_or(0)
}

/// The local weekday at `millis` (UTC) in `offset`.
pub(crate) fn local_weekday(millis: i64, offset: ClockOffset) -> DayOfWeek {
    // 1970-01-01 was a Thursday (index 3 from Monday).
    let days = offset.local(millis).div_euclid(DAY_MILLIS);
    let index = usize::try_from((days + 3).rem_euclid(7)).unwrap_or(0);
    DayOfWeek::ALL.get(index).copied().unwrap_or(DayOfWeek::Mon)
}

/// Whether the local hour at `millis` is in `[from, to)`; `from > to` wraps past midnight
/// (`22-6` is the night), `from == to` is the whole day.
pub(crate) fn hour_in(millis: i64, offset: ClockOffset, from: u8, to: u8) -> bool {
    let h = local_hour(millis, offset);
    match from.cmp(&to) {
        std::cmp::Ordering::Less => (from..to).contains(&h),
        std::cmp::Ordering::Greater => h >= from || h < to,
        std::cmp::Ordering::Equal => true,
    }
}

/// Working hours: `start_hour` to `end_hour` (local, end exclusive) on `days`, at `utc_offset`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusinessHours {
    /// First working hour (0-23).
    pub start_hour: u8,
    /// Hour work ends (1-24, exclusive).
    pub end_hour: u8,
    /// Working days.
    pub days: Vec<DayOfWeek>,
    /// The time zone the hours are in.
    pub utc_offset: ClockOffset,
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours {
            start_hour: 8,
            end_hour: 18,
            days: DayOfWeek::workdays(),
            utc_offset: ClockOffset::UTC,
        }
    }
}

impl BusinessHours {
    /// Whether `millis` (UTC) falls within these hours.
    pub fn contains(&self, millis: i64) -> bool {
        self.days.contains(&local_weekday(millis, self.utc_offset))
            && hour_in(
                millis,
                self.utc_offset,
                self.start_hour,
                self.end_hour.min(24) % 24,
            )
    }

    /// Reads `08-18` (hours, end exclusive).
    pub fn parse_hours(text: &str) -> Result<(u8, u8), String> {
        let bad = || format!("bad business hours {text:?} (expected e.g. 08-18)");
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let a: u8 = a
            .trim()
            .trim_end_matches(":00")
            .parse()
            .map_err(|_| bad())?;
        let b: u8 = b
            .trim()
            .trim_end_matches(":00")
            .parse()
            .map_err(|_| bad())?;
        if a > 23 || b > 24 || a == b {
            return Err(bad());
        }
        Ok((a, b))
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.start_hour > 23 || self.end_hour > 24 {
            return Err("business hours must be within 0-24".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_and_print() {
        let p = |s: &str| s.parse::<ClockOffset>().map(|o| o.minutes());
        assert_eq!(p("+02:00"), Ok(120));
        assert_eq!(p("-05:30"), Ok(-330));
        assert_eq!(p("+0530"), Ok(330));
        assert_eq!(p("Z"), Ok(0));
        assert!(p("02:00").is_err() && p("+25:00").is_err());
        assert_eq!(
            ClockOffset::from_minutes(-330).map(|o| o.to_string()),
            Some("-05:30".into())
        );
    }

    #[test]
    fn local_clock() {
        // 2024-02-29T23:30:00Z is a Thursday; at +02:00 it is Friday 01:30.
        let t = 1_709_249_400_000;
        assert_eq!(local_weekday(t, ClockOffset::UTC), DayOfWeek::Thu);
        assert_eq!(local_hour(t, ClockOffset::UTC), 23);
        let plus2 = ClockOffset::from_minutes(120).unwrap_or_default();
        assert_eq!(local_weekday(t, plus2), DayOfWeek::Fri);
        assert_eq!(local_hour(t, plus2), 1);
        assert!(hour_in(t, ClockOffset::UTC, 22, 6));
        assert!(!hour_in(t, plus2, 8, 18));
        let hours = BusinessHours::default();
        assert!(!hours.contains(t));
        assert!(hours.contains(t - 12 * 3_600_000)); // Thursday 11:30
        assert!(!hours.contains(t + 2 * DAY_MILLIS - 12 * 3_600_000)); // Saturday 11:30
        assert_eq!(BusinessHours::parse_hours("08-18"), Ok((8, 18)));
        assert!(BusinessHours::parse_hours("18").is_err());
    }
}
