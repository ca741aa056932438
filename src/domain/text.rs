//! Words for people: counts with the right plural, times in UTC, and a one-line plain reading of
//! Markdown for places (headers, tables) where a rendered block does not fit.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// `"1 file"`, `"2 files"`, `"0 files"`: a count with its noun, singular only for exactly one.
pub fn counted(n: impl Into<i128>, singular: &str, plural: &str) -> String {
    let n: i128 = n.into();
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// Markdown read as plain text: emphasis, code and heading marks dropped, links and images
/// replaced by their text, lines joined with spaces. For a short description shown in one line;
/// the model card itself is rendered (and sanitized) on the server.
pub fn markdown_to_plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let line = line.trim_start();
        let line = line.trim_start_matches('#').trim_start();
        let line = line
            .strip_prefix("> ")
            .or_else(|| line.strip_prefix("- "))
            .or_else(|| line.strip_prefix("* "))
            .unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        push_inline(&mut out, line);
    }
    out
}

/// Appends one line's text without its inline markup.
fn push_inline(out: &mut String, line: &str) {
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        match c {
            '*' | '_' => {
                // Inside a word (snake_case, 2*3) it is a character, not emphasis.
                let inside_word = out.chars().last().is_some_and(char::is_alphanumeric)
                    && rest[1..].chars().next().is_some_and(char::is_alphanumeric);
                if inside_word {
                    out.push(c);
                }
                rest = &rest[1..];
            }
            '`' | '~' => rest = &rest[1..],
            '!' if rest.starts_with("![") => rest = &rest[1..],
            '[' => match link_parts(rest) {
                Some((text, after)) => {
                    push_inline(out, text);
                    rest = after;
                }
                None => {
                    out.push('[');
                    rest = &rest[1..];
                }
            },
            '\\' => {
                rest = &rest[1..];
                if let Some(escaped) = rest.chars().next() {
                    out.push(escaped);
                    rest = &rest[escaped.len_utf8()..];
                }
            }
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
}

/// `[text](target)…` as `(text, …)`; `None` when the brackets do not make a link.
fn link_parts(s: &str) -> Option<(&str, &str)> {
    let close = s.find("](")?;
    let text = &s[1..close];
    let after_open = &s[close + 2..];
    let end = after_open.find(')')?;
    Some((text, &after_open[end + 1..]))
}

/// `"2026-03-04 05:06 UTC"`: a moment to the minute. Written out by hand rather than with
/// chrono's `format`, whose format-string interpreter the browser bundle would otherwise carry.
pub fn utc_minute(at: &DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// `"05:06:07"`: the time of day of a moment, in UTC, to the second.
pub fn utc_clock(at: &DateTime<Utc>) -> String {
    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc_with_leading_zeros() {
        let Ok(at) = DateTime::parse_from_rfc3339("2026-03-04T05:06:07.89+02:00") else {
            panic!("a valid RFC 3339 time");
        };
        let at = at.with_timezone(&Utc);
        assert_eq!(utc_minute(&at), "2026-03-04 03:06 UTC");
        assert_eq!(utc_clock(&at), "03:06:07");
        // The same as chrono's own formatting, which the server pages use.
        assert_eq!(utc_minute(&at), at.format("%Y-%m-%d %H:%M UTC").to_string());
        assert_eq!(utc_clock(&at), at.format("%H:%M:%S").to_string());
    }

    #[test]
    fn counts_take_the_plural_except_for_one() {
        assert_eq!(counted(1_i64, "file", "files"), "1 file");
        assert_eq!(counted(0_u64, "file", "files"), "0 files");
        assert_eq!(counted(12_i64, "version", "versions"), "12 versions");
    }

    #[test]
    fn markdown_reads_as_one_plain_line() {
        assert_eq!(
            markdown_to_plain(
                "# Churn\n\nPredicts **churn** from `usage` data. See [the docs](https://x.org/a_b)."
            ),
            "Churn Predicts churn from usage data. See the docs."
        );
        assert_eq!(markdown_to_plain("- one\n- two"), "one two");
        assert_eq!(
            markdown_to_plain("![logo](l.png) 2 \\* 3 [not a link"),
            "logo 2 * 3 [not a link"
        );
        assert_eq!(markdown_to_plain("plain words"), "plain words");
        assert_eq!(
            markdown_to_plain("naïve — feature_x *is* 2*3"),
            "naïve — feature_x is 2*3"
        );
    }
}
