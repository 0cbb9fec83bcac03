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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
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
