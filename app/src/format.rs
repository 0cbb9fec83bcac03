//! Numbers and sizes as people read them.

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes with a binary unit: `1.5 GB`, `340 KB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let unit_name = UNITS.get(unit).copied().unwrap_or("B");
    if unit == 0 {
        format!("{n} B")
    } else if value < 10.0 {
        format!("{value:.1} {unit_name}")
    } else {
        format!("{value:.0} {unit_name}")
    }
}

/// A time span from two RFC 3339 UTC times, short enough for one line: `2024-02-29 00:00:00 –
/// 00:00:37` within a day, `2024-02-29 00:00:00 – 2024-03-02 21:23:48` across days (the
/// caller says UTC); one time when both are the same.
pub fn time_span(first: &str, last: &str) -> String {
    let plain = |t: &str| t.trim_end_matches('Z').replacen('T', " ", 1);
    let (first, last) = (plain(first), plain(last));
    if first == last {
        return first;
    }
    match (first.split_once(' '), last.split_once(' ')) {
        (Some((day_a, _)), Some((day_b, time_b))) if day_a == day_b => {
            format!("{first} – {time_b}")
        }
        _ => format!("{first} – {last}"),
    }
}

/// `1 event`, `2 events`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Milliseconds as `850 ms` or `12.3 s`.
pub fn millis(ms: f64) -> String {
    if ms < 1.0 {
        // "0 ms" reads as "not measured" or "nothing done".
        "under 1 ms".to_string()
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// Milliseconds since the epoch as `2024-02-29 13:45:00` (UTC; seconds kept, `Z` dropped).
pub fn time_millis(ms: i64) -> String {
    trailscope_model::Timestamp::from_unix_millis(ms)
        .to_rfc3339()
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string()
}

/// `ms` in the browser's time zone, `YYYY-MM-DD HH:MM:SS` and the zone's offset (`UTC+01:00`).
/// Only the page has a time zone; the core reads and writes UTC.
pub fn local_time_millis(ms: i64) -> String {
    let offset_minutes = -js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64))
        .get_timezone_offset() as i64;
    let shifted = time_millis(ms + offset_minutes * 60_000);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.abs();
    format!("{shifted} UTC{sign}{:02}:{:02}", off / 60, off % 60)
}

/// Times for a time axis from `first` to `last` (unix ms): at most `most` of them, on round
/// steps (a minute, five, an hour, six, a day, ...) from the first round time at or after
/// `first`. Pure arithmetic in UTC; the labels may then be shown in local time.
pub fn time_ticks(first: i64, last: i64, most: usize) -> Vec<i64> {
    const S: i64 = 1000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;
    const D: i64 = 24 * H;
    const STEPS: [i64; 22] = [
        S,
        2 * S,
        5 * S,
        10 * S,
        15 * S,
        30 * S,
        M,
        2 * M,
        5 * M,
        10 * M,
        15 * M,
        30 * M,
        H,
        2 * H,
        3 * H,
        6 * H,
        12 * H,
        D,
        2 * D,
        7 * D,
        14 * D,
        30 * D,
    ];
    if last <= first || most == 0 {
        return vec![first];
    }
    let span = last - first;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s < most as i64)
        .unwrap_or_else(|| (span / most as i64 / D + 1) * D);
    let start = first.div_euclid(step) * step + if first.rem_euclid(step) == 0 { 0 } else { step };
    (0..)
        .map(|i| start + i * step)
        .take_while(|t| *t <= last)
        .take(most)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    // The app builds for wasm32 only, so its unit tests run in the browser (the wasm tests of
    // scripts/test.sh), where a plain #[test] would not run.
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_time_span_names_the_day_once_when_it_is_one() {
        assert_eq!(
            time_span("2024-02-29T00:00:00Z", "2024-02-29T00:00:37.250Z"),
            "2024-02-29 00:00:00 – 00:00:37.250"
        );
        assert_eq!(
            time_span("2024-02-29T23:59:59Z", "2024-03-01T00:00:01Z"),
            "2024-02-29 23:59:59 – 2024-03-01 00:00:01"
        );
        assert_eq!(
            time_span("2024-02-29T10:00:00Z", "2024-02-29T10:00:00Z"),
            "2024-02-29 10:00:00"
        );
    }

    #[wasm_bindgen_test]
    fn time_ticks_are_round_and_few() {
        // An hour: every 10 minutes.
        let h = 3_600_000;
        let t = time_ticks(1_700_000_000_000, 1_700_000_000_000 + h, 8);
        assert!(t.len() <= 8 && t.len() >= 5, "{t:?}");
        assert!(t.windows(2).all(|w| w[1] - w[0] == 600_000), "{t:?}");
        assert!(t.iter().all(|x| x % 600_000 == 0));
        // A month: whole days.
        let t = time_ticks(1_700_000_000_000, 1_700_000_000_000 + 30 * 24 * h, 8);
        assert!(t.len() <= 8 && t.len() >= 4, "{t:?}");
        assert!(t.iter().all(|x| x % (24 * h) == 0), "{t:?}");
        // One second of events: still ticks, never a division by zero.
        assert_eq!(time_ticks(5_000, 5_000, 6), vec![5_000]);
        let t = time_ticks(5_000, 6_000, 6);
        assert_eq!(t, vec![5_000, 6_000]);
    }

    #[wasm_bindgen_test]
    fn formats() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(1_610_612_736), "1.5 GB");
        assert_eq!(bytes(50 << 20), "50 MB");
        assert_eq!(plural(1, "file", "files"), "1 file");
        assert_eq!(plural(2500, "file", "files"), "2,500 files");
        assert_eq!(millis(12.0), "12 ms");
        assert_eq!(millis(12345.0), "12.3 s");
    }
}
