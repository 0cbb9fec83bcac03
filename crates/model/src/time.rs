//! Event times: one UTC type, and the lenient reading of the many ways exports write a time.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A point in time, UTC, with millisecond precision (what CloudTrail records carry at most).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The timestamp `millis` milliseconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (rounded towards negative infinity).
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// Parses the strict RFC 3339 / ISO 8601 form used in CloudTrail records and on the CLI
    /// (`2024-02-28T21:47:12Z`, fractions and offsets allowed). Offsets are converted to UTC.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        parse_event_time(text).and_then(|(ts, quality)| match quality {
            TimeQuality::Exact | TimeQuality::ConvertedFromOffset => Some(ts),
            _ => None,
        })
    }

    /// `2024-02-28T21:47:12Z`, with `.mmm` only when the milliseconds are not zero.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }

    fn to_datetime(self) -> Option<OffsetDateTime> {
        let nanos = i128::from(self.0).checked_mul(1_000_000)?;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(dt) = self.to_datetime() else {
            return write!(f, "@{}ms", self.0);
        };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        )?;
        let millis = dt.millisecond();
        if millis != 0 {
            write!(f, ".{millis:03}")?;
        }
        f.write_str("Z")
    }
}

/// How trustworthy an event's time is, so the page can say which times were guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimeQuality {
    /// An ISO 8601 time in UTC, as CloudTrail writes `eventTime`.
    Exact,
    /// An ISO 8601 time with an offset (e.g. `+11:00`, as lookup-events prints local time),
    /// converted to UTC. No information is lost.
    ConvertedFromOffset,
    /// A time without any zone (`2025-01-21 17:49:47.000000000`), read as UTC because
    /// CloudTrail times are UTC. It may be off by the exporter's zone offset.
    AssumedUtc,
    /// A number read as seconds (or milliseconds, when it is too large to be seconds) since the epoch.
    FromEpochNumber,
}

/// Reads a time in any of the forms CloudTrail exports use. Returns `None` for text that is not
/// a time at all (`"..."`, `"redacted"`, empty).
pub fn parse_event_time(text: &str) -> Option<(Timestamp, TimeQuality)> {
    let text = text.trim();
    if let Some(ts) = parse_canonical(text) {
        return Some((ts, TimeQuality::Exact));
    }
    if let Ok(dt) = OffsetDateTime::parse(text, &Rfc3339) {
        let quality = if dt.offset() == UtcOffset::UTC {
            TimeQuality::Exact
        } else {
            TimeQuality::ConvertedFromOffset
        };
        return from_datetime(dt).map(|ts| (ts, quality));
    }
    parse_space_separated(text)
}

/// Reads a JSON number as an epoch time: seconds unless it is too large to be a plausible
/// number of seconds, then milliseconds.
pub fn epoch_number_to_timestamp(value: f64) -> Option<Timestamp> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    // 1e11 seconds is the year 5138; anything larger is milliseconds.
    let millis = if value < 1e11 { value * 1000.0 } else { value };
    if millis > 253_402_300_799_000.0 {
        return None; // after 9999-12-31
    }
    // The range check above keeps the conversion exact enough and in range.
    #[allow(clippy::cast_possible_truncation)]
    Some(Timestamp(millis.round() as i64))
}

fn from_datetime(dt: OffsetDateTime) -> Option<Timestamp> {
    let millis = dt.unix_timestamp_nanos().div_euclid(1_000_000);
    i64::try_from(millis).ok().map(Timestamp)
}

/// Fast path for the exact form CloudTrail writes, `YYYY-MM-DDTHH:MM:SSZ` with optional
/// `.fff`: it is what almost every event carries, and the general parser is much slower.
fn parse_canonical(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if b.get(10) != Some(&b'T') || b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (millis, rest) = match b.get(19)? {
        b'Z' => (0, b.get(20..)?),
        b'.' => {
            let digits = b
                .get(20..)?
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            let frac = b.get(20..20 + digits)?;
            let mut millis = 0u32;
            for i in 0..3 {
                millis = millis * 10 + frac.get(i).map_or(0, |d| u32::from(d - b'0'));
            }
            if b.get(20 + digits) != Some(&b'Z') {
                return None;
            }
            (millis, b.get(21 + digits..)?)
        }
        _ => return None,
    };
    if !rest.is_empty() {
        return None;
    }
    let year = digits_value(b.get(0..4)?)?;
    let month = digits_value(b.get(5..7)?)?;
    let day = digits_value(b.get(8..10)?)?;
    let hour = digits_value(b.get(11..13)?)?;
    let minute = digits_value(b.get(14..16)?)?;
    let second = digits_value(b.get(17..19)?)?;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = i64::from(date.to_julian_day()) - 2_440_588; // Julian day of 1970-01-01
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(Timestamp(seconds * 1000 + i64::from(millis)))
}

fn digits_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

/// `2022-02-08 09:23:37+11:00`, `2025-01-21 17:49:47.000000000`, `2025-01-21 17:49:47Z`:
/// the forms lookup-events, Panther and spreadsheets leave behind.
fn parse_space_separated(text: &str) -> Option<(Timestamp, TimeQuality)> {
    if let Some(found) = parse_console_12_hour(text) {
        return Some(found);
    }
    let (date, clock) = text.split_once(' ')?;
    let joined = format!("{date}T{clock}");
    if let Some(ts) = parse_canonical(&joined) {
        return Some((ts, TimeQuality::Exact));
    }
    if let Ok(dt) = OffsetDateTime::parse(&joined, &Rfc3339) {
        let quality = if dt.offset() == UtcOffset::UTC {
            TimeQuality::Exact
        } else {
            TimeQuality::ConvertedFromOffset
        };
        return from_datetime(dt).map(|ts| (ts, quality));
    }
    let naive = format_description!(
        version = 2,
        "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    let dt = PrimitiveDateTime::parse(text, &naive).ok()?;
    from_datetime(dt.assume_utc()).map(|ts| (ts, TimeQuality::AssumedUtc))
}

/// `2020-05-13, 04:52:01 PM`: the older console CSV download wrote the viewer's local time
/// without a zone; it is read as UTC and flagged.
fn parse_console_12_hour(text: &str) -> Option<(Timestamp, TimeQuality)> {
    let format = format_description!(
        version = 2,
        "[year]-[month]-[day], [hour repr:12]:[minute]:[second] [period]"
    );
    let dt = PrimitiveDateTime::parse(text, &format).ok()?;
    from_datetime(dt.assume_utc()).map(|ts| (ts, TimeQuality::AssumedUtc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<(&str, TimeQuality)>) {
        let got = parse_event_time(text).map(|(ts, q)| (ts.to_string(), q));
        let expected = expected.map(|(s, q)| (s.to_string(), q));
        assert_eq!(got, expected, "parsing {text:?}");
    }

    #[test]
    fn reads_every_form_exports_use() {
        use TimeQuality::*;
        check(
            "2024-02-28T21:47:12Z",
            Some(("2024-02-28T21:47:12Z", Exact)),
        );
        check(
            "2020-09-14T00:44:23.000Z",
            Some(("2020-09-14T00:44:23Z", Exact)),
        );
        check(
            "2020-09-14T00:44:23.5Z",
            Some(("2020-09-14T00:44:23.500Z", Exact)),
        );
        check(
            "2022-02-08 09:23:37+11:00",
            Some(("2022-02-07T22:23:37Z", ConvertedFromOffset)),
        );
        check(
            "2022-02-08T09:23:37+11:00",
            Some(("2022-02-07T22:23:37Z", ConvertedFromOffset)),
        );
        check(
            "2025-01-21 17:49:47.000000000",
            Some(("2025-01-21T17:49:47Z", AssumedUtc)),
        );
        check(
            "2025-01-21 17:49:47",
            Some(("2025-01-21T17:49:47Z", AssumedUtc)),
        );
        check(
            "2025-01-21 17:49:47Z",
            Some(("2025-01-21T17:49:47Z", Exact)),
        );
        check(
            "2024-02-29T23:59:59Z",
            Some(("2024-02-29T23:59:59Z", Exact)),
        );
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for text in [
            "...",
            "redacted",
            "",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T25:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00Zjunk",
        ] {
            check(text, None);
        }
    }

    #[test]
    fn epoch_numbers_are_seconds_or_millis() {
        assert_eq!(
            epoch_number_to_timestamp(1709167272.0)
                .map(|t| t.to_string())
                .as_deref(),
            Some("2024-02-29T00:41:12Z")
        );
        assert_eq!(
            epoch_number_to_timestamp(1709167272123.0)
                .map(|t| t.to_string())
                .as_deref(),
            Some("2024-02-29T00:41:12.123Z")
        );
        assert_eq!(epoch_number_to_timestamp(-1.0), None);
        assert_eq!(epoch_number_to_timestamp(f64::NAN), None);
        assert_eq!(epoch_number_to_timestamp(1e300), None);
    }

    proptest::proptest! {
        #[test]
        fn canonical_round_trips(secs in 0i64..253_402_300_799, millis in 0i64..1000) {
            let ts = Timestamp::from_unix_millis(secs * 1000 + millis);
            let text = ts.to_string();
            proptest::prop_assert_eq!(parse_event_time(&text), Some((ts, TimeQuality::Exact)));
        }

        #[test]
        fn never_panics(text in ".{0,40}") {
            let _ = parse_event_time(&text);
        }
    }
}
