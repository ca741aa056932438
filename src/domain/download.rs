//! Usage figures: how often a version's files and zips were downloaded, by UTC day, and the
//! rules for what counts as a download and which windows may be asked for.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The window a model's downloads are shown over when none is asked for.
pub const DEFAULT_DAYS: u32 = 30;
/// The longest window that may be asked for.
pub const MAX_DAYS: u32 = 365;

/// What was downloaded: one file of a version, or the whole version as a zip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DownloadKind {
    File,
    Zip,
}

impl DownloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Zip => "zip",
        }
    }
}

/// Whether a response serving bytes from `start` counts as a download. A client that fetches a
/// file in ranges, or resumes one, is counted once: for the request that starts at byte 0.
/// HEAD requests send no bytes and never count.
pub fn counts_as_download(is_head: bool, start: u64) -> bool {
    !is_head && start == 0
}

/// Downloads of a model on one UTC day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DownloadDay {
    pub day: NaiveDate,
    pub file: i64,
    pub zip: i64,
}

/// One version's downloads: within the window, and the last day it was downloaded at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionDownloads {
    pub version: String,
    pub total: i64,
    pub last_download_at: Option<NaiveDate>,
}

/// A model's downloads over the last `days` UTC days (today included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelDownloads {
    pub model: String,
    pub days: u32,
    /// Every download of the window.
    pub total: i64,
    /// Every day of the window, oldest first, days without downloads included.
    pub by_day: Vec<DownloadDay>,
    /// Every version, newest first (empty in a model page's overview, which shows the days).
    pub by_version: Vec<VersionDownloads>,
}

/// The query of `GET /models/{model}/downloads`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DownloadsQuery {
    /// The window: this many UTC days, today included.
    #[serde(default)]
    pub days: Option<i64>,
}

/// The window asked for: 1 to [`MAX_DAYS`] days, [`DEFAULT_DAYS`] when not given.
pub fn window_days(days: Option<i64>) -> Result<u32, ApiError> {
    let Some(days) = days else {
        return Ok(DEFAULT_DAYS);
    };
    u32::try_from(days)
        .ok()
        .filter(|d| (1..=MAX_DAYS).contains(d))
        .ok_or_else(|| {
            ApiError::invalid(
                "days",
                codes::INVALID_FIELD,
                format!("days must be between 1 and {MAX_DAYS}, not {days}."),
                format!("Ask for a window of 1 to {MAX_DAYS} days, or leave days out for {DEFAULT_DAYS}."),
            )
        })
}

/// The days of a window of `days` ending `today`, oldest first.
pub fn window(today: NaiveDate, days: u32) -> Vec<NaiveDate> {
    let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
    first.iter_days().take(days as usize).collect()
}

/// What a page says about a version's last download, for whoever decides whether it is still
/// in use.
pub fn last_download_text(last: Option<NaiveDate>) -> String {
    match last {
        Some(day) => format!("Last downloaded {}", day.format("%Y-%m-%d")),
        None => "Never downloaded".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn only_requests_from_the_first_byte_count() {
        assert!(counts_as_download(false, 0));
        assert!(!counts_as_download(false, 100));
        assert!(!counts_as_download(true, 0));
    }

    #[test]
    fn windows_are_one_to_a_year_of_days() {
        assert_eq!(window_days(None), Ok(30));
        assert_eq!(window_days(Some(1)), Ok(1));
        assert_eq!(window_days(Some(365)), Ok(365));
        for bad in [0, -1, 366, i64::MAX] {
            let e = window_days(Some(bad)).expect_err("refused");
            assert_eq!((e.status, e.error_code.as_str()), (422, "INVALID_FIELD"));
            assert_eq!(e.field.as_deref(), Some("days"));
        }
    }

    #[test]
    fn a_window_ends_today_and_crosses_months() {
        let days = window(day("2026-12-02"), 3);
        assert_eq!(
            days,
            vec![day("2026-11-30"), day("2026-12-01"), day("2026-12-02")]
        );
        assert_eq!(window(day("2026-12-02"), 1), vec![day("2026-12-02")]);
        assert_eq!(window(day("2026-12-31"), 365).len(), 365);
    }

    #[test]
    fn the_last_download_reads_as_a_sentence() {
        assert_eq!(
            last_download_text(Some(day("2026-11-30"))),
            "Last downloaded 2026-11-30"
        );
        assert_eq!(last_download_text(None), "Never downloaded");
    }

    #[test]
    fn days_travel_as_plain_dates() {
        let d = DownloadDay {
            day: day("2026-12-01"),
            file: 2,
            zip: 1,
        };
        assert_eq!(
            serde_json::to_value(&d).expect("json"),
            serde_json::json!({"day": "2026-12-01", "file": 2, "zip": 1})
        );
    }
}
