//! Durations as people write them in messages: "8 days", "1 hour 30 minutes", "300
//! milliseconds" (humantime writes "8days", "1h 30m", and 400 days as "1year 1month 4days …").

use std::time::Duration;

/// Whole units from days down to seconds, plural where more than one; below a second, in
/// milliseconds.
pub fn human(duration: Duration) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let mut secs = duration.as_secs();
    let millis = duration.subsec_millis();
    if duration.is_zero() {
        return "0 seconds".to_owned();
    }
    if secs == 0 {
        return count(u64::from(millis), "millisecond");
    }
    let mut parts = Vec::new();
    for (size, unit) in UNITS {
        if secs >= size {
            parts.push(count(secs / size, unit));
            secs %= size;
        }
    }
    if millis != 0 {
        parts.push(count(u64::from(millis), "millisecond"));
    }
    parts.join(" ")
}

fn count(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let secs = Duration::from_secs;
        assert_eq!(human(secs(8 * 86_400)), "8 days");
        assert_eq!(human(secs(86_400)), "1 day");
        assert_eq!(human(secs(400 * 86_400)), "400 days");
        assert_eq!(human(secs(30 * 60)), "30 minutes");
        assert_eq!(human(secs(3_600)), "1 hour");
        assert_eq!(human(secs(5_400)), "1 hour 30 minutes");
        assert_eq!(human(secs(90_061)), "1 day 1 hour 1 minute 1 second");
        assert_eq!(human(secs(5)), "5 seconds");
        assert_eq!(human(Duration::from_millis(300)), "300 milliseconds");
        assert_eq!(
            human(Duration::from_millis(1_500)),
            "1 second 500 milliseconds"
        );
        assert_eq!(human(Duration::ZERO), "0 seconds");
    }
}
