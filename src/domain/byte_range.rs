//! The HTTP `Range` header (RFC 9110) for single-file downloads: one byte range at a time.

/// What part of a file to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    Full,
    /// `end` is inclusive.
    Partial {
        start: u64,
        end: u64,
    },
    Unsatisfiable,
}

/// Parses a `Range` header value against a file of `size` bytes. Invalid headers and other
/// units are ignored (the whole file is sent), as the RFC asks; several ranges are answered
/// with the whole file too.
pub fn parse_range(header: &str, size: u64) -> ByteRange {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return ByteRange::Full;
    };
    if spec.contains(',') {
        return ByteRange::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.is_empty(), last.is_empty()) {
        // "-n": the last n bytes.
        (true, false) => match number(last) {
            None => ByteRange::Full,
            Some(0) => ByteRange::Unsatisfiable,
            Some(_) if size == 0 => ByteRange::Unsatisfiable,
            Some(n) => ByteRange::Partial {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        },
        // "a-": from a to the end.
        (false, true) => match number(first) {
            None => ByteRange::Full,
            Some(start) if start >= size => ByteRange::Unsatisfiable,
            Some(start) => ByteRange::Partial {
                start,
                end: size - 1,
            },
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= size {
                    ByteRange::Unsatisfiable
                } else {
                    ByteRange::Partial {
                        start,
                        end: end.min(size - 1),
                    }
                }
            }
            _ => ByteRange::Full,
        },
        (true, true) => ByteRange::Full,
    }
}

impl ByteRange {
    /// The `Content-Range` value: `bytes 0-99/1000`, or `bytes */1000` when unsatisfiable.
    pub fn content_range(&self, size: u64) -> Option<String> {
        match self {
            ByteRange::Full => None,
            ByteRange::Partial { start, end } => Some(format!("bytes {start}-{end}/{size}")),
            ByteRange::Unsatisfiable => Some(format!("bytes */{size}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(
            parse_range("bytes=0-99", 1000),
            ByteRange::Partial { start: 0, end: 99 }
        );
        assert_eq!(
            parse_range("bytes=900-", 1000),
            ByteRange::Partial {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            parse_range("bytes=-100", 1000),
            ByteRange::Partial {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            parse_range("bytes=-5000", 1000),
            ByteRange::Partial { start: 0, end: 999 }
        );
        assert_eq!(
            parse_range("bytes=990-2000", 1000),
            ByteRange::Partial {
                start: 990,
                end: 999
            }
        );
        assert_eq!(
            ByteRange::Partial { start: 0, end: 99 }
                .content_range(1000)
                .as_deref(),
            Some("bytes 0-99/1000")
        );
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(parse_range("bytes=1000-", 1000), ByteRange::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), ByteRange::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), ByteRange::Unsatisfiable);
        assert_eq!(
            ByteRange::Unsatisfiable.content_range(7).as_deref(),
            Some("bytes */7")
        );
        for ignored in [
            "items=0-1",
            "bytes=5-2",
            "bytes=a-b",
            "bytes=0-1,4-5",
            "bytes=-",
            "0-1",
            "bytes=+1-2",
        ] {
            assert_eq!(parse_range(ignored, 1000), ByteRange::Full, "{ignored}");
        }
    }
}
