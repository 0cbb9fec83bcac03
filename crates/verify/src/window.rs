//! The time range a verification covers (`--start-time`/`--end-time`, the page's two fields):
//! one reading of it for the CLI and the page.

use trailscope_model::Timestamp;

/// The range verification covers; an open end is unbounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWindow {
    /// Digests delivered before this are left out.
    pub start: Option<Timestamp>,
    /// Digests delivered after this are left out.
    pub end: Option<Timestamp>,
}

impl TimeWindow {
    /// Reads the two bounds. Blank text is an open end. Each bound is a UTC time like
    /// `2024-02-28T20:00:00Z` (fractions and offsets allowed), `2024-02-28T20:00` (seconds
    /// left out) or a date `2024-02-28` (its midnight, UTC). A start after the end is refused
    /// with aws-cli's own message.
    pub fn parse(start: Option<&str>, end: Option<&str>) -> Result<TimeWindow, String> {
        let bound = |text: Option<&str>, what: &str| {
            text.map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| parse_bound(t, what))
                .transpose()
        };
        let window = TimeWindow {
            start: bound(start, "start")?,
            end: bound(end, "end")?,
        };
        if let (Some(s), Some(e)) = (window.start, window.end) {
            if s > e {
                return Err(
                    "Invalid time range specified: start-time must occur before end-time".into(),
                );
            }
        }
        Ok(window)
    }
}

fn parse_bound(text: &str, what: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(text)
        .or_else(|| Timestamp::parse_rfc3339(&format!("{text}:00Z")))
        .or_else(|| Timestamp::parse_rfc3339(&format!("{text}T00:00:00Z")))
        .ok_or_else(|| {
            format!(
                "the {what} time {text:?} is not a time like 2024-02-28T20:00:00Z, \
                 2024-02-28T20:00 or 2024-02-28"
            )
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(text)
    }

    #[test]
    fn every_form_reads_as_utc() {
        for (text, want) in [
            ("2024-02-28T20:00:00Z", "2024-02-28T20:00:00Z"),
            ("2024-02-28T22:00:00+02:00", "2024-02-28T20:00:00Z"),
            ("2024-02-28T20:00", "2024-02-28T20:00:00Z"),
            ("2024-02-28", "2024-02-28T00:00:00Z"),
            ("  2024-02-28  ", "2024-02-28T00:00:00Z"),
        ] {
            let window = TimeWindow::parse(Some(text), None).unwrap();
            assert_eq!(window.start, at(want), "{text}");
        }
    }

    #[test]
    fn blank_is_open_and_nonsense_is_named() {
        assert_eq!(
            TimeWindow::parse(Some(" "), None).unwrap(),
            TimeWindow::default()
        );
        let e = TimeWindow::parse(None, Some("yesterday")).unwrap_err();
        assert!(e.contains("end time \"yesterday\""), "{e}");
    }

    #[test]
    fn a_start_after_the_end_is_refused_as_aws_cli_does() {
        let e = TimeWindow::parse(Some("2024-03-01"), Some("2024-02-01")).unwrap_err();
        assert!(e.starts_with("Invalid time range specified"), "{e}");
        assert!(TimeWindow::parse(Some("2024-02-01"), Some("2024-02-01")).is_ok());
    }
}
