//! Times as the API writes them: RFC 3339 in UTC with `Z` and as many fraction digits as the
//! time needs (none, 3, 6 or 9), exactly as chrono's own `Serialize` writes a `DateTime<Utc>`,
//! but without going through a formatter: a page of a list writes two or three per row, and
//! chrono's formatting machinery cost a tenth of such a page.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// For `#[serde(serialize_with = "timestamp::serialize")]`.
pub fn serialize<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0_u8; 30];
    match write(at, &mut buffer) {
        Some(text) => s.serialize_str(text),
        // What chrono writes differently (years beyond 4 digits, leap seconds), it writes.
        None => serde::Serialize::serialize(at, s),
    }
}

/// For `#[serde(serialize_with = "timestamp::serialize_optional")]`.
pub fn serialize_optional<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, s),
        None => s.serialize_none(),
    }
}

/// `at` as text in `buffer`; none for a year outside 0–9999 or a leap second.
fn write<'b>(at: &DateTime<Utc>, buffer: &'b mut [u8; 30]) -> Option<&'b str> {
    let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let (digits, fraction) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (3, nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        (6, nanos / 1_000)
    } else {
        (9, nanos)
    };
    let fields = [
        (4, year, Some(b'-')),
        (2, at.month(), Some(b'-')),
        (2, at.day(), Some(b'T')),
        (2, at.hour(), Some(b':')),
        (2, at.minute(), Some(b':')),
        (2, at.second(), (digits > 0).then_some(b'.')),
        (digits, fraction, None),
    ];
    let mut len = 0;
    for (digits, mut value, after) in fields {
        for i in (0..digits).rev() {
            buffer[len + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        len += digits;
        if let Some(c) = after {
            buffer[len] = c;
            len += 1;
        }
    }
    buffer[len] = b'Z';
    len += 1;
    std::str::from_utf8(&buffer[..len]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[derive(serde::Serialize)]
    struct Ours {
        #[serde(serialize_with = "serialize")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "serialize_optional")]
        maybe: Option<DateTime<Utc>>,
    }

    #[derive(serde::Serialize)]
    struct Chronos {
        at: DateTime<Utc>,
        maybe: Option<DateTime<Utc>>,
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let Some(base) = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single() else {
            panic!("a valid time");
        };
        let mut times = vec![
            base,
            Utc.timestamp_opt(0, 0).single().unwrap_or(base),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
                .single()
                .unwrap_or(base),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or(base),
            Utc.with_ymd_and_hms(12, 3, 4, 5, 6, 7)
                .single()
                .unwrap_or(base),
        ];
        for nanos in [
            1,
            10,
            999,
            1_000,
            120_000,
            125_988_000,
            500_000_000,
            999_999_999,
        ] {
            times.push(base + chrono::Duration::nanoseconds(nanos));
        }
        // A leap second, which chrono writes as second 60.
        if let Some(leap) = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
        {
            times.push(leap.and_utc());
        }
        for at in times {
            for maybe in [None, Some(at)] {
                let ours = serde_json::to_string(&Ours { at, maybe }).ok();
                let theirs = serde_json::to_string(&Chronos { at, maybe }).ok();
                assert!(ours.is_some());
                assert_eq!(ours, theirs, "{at:?}");
            }
        }
    }
}
