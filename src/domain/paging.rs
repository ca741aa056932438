//! List paging: `offset` / `limit` with bounds, and the envelope every list answers in.

use super::error::ApiError;
use crate::domain::error::codes;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 1000;
/// Far beyond any list's end, and small enough that `offset + limit` never overflows.
pub const MAX_OFFSET: i64 = 1_000_000_000;

/// A validated window into a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub offset: i64,
    pub limit: i64,
}

impl Paging {
    pub fn new(offset: Option<i64>, limit: Option<i64>) -> Result<Self, ApiError> {
        let offset = offset.unwrap_or(0);
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(0..=MAX_OFFSET).contains(&offset) {
            return Err(ApiError::invalid(
                "offset",
                codes::INVALID_PAGING,
                format!("offset must be between 0 and {MAX_OFFSET}, not {offset}."),
                "Start at offset=0 and follow the 'next' links.",
            ));
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(
                "limit",
                codes::INVALID_PAGING,
                format!("limit must be between 1 and {MAX_LIMIT}, not {limit}."),
                format!("Ask for at most {MAX_LIMIT} items at a time and follow the 'next' links."),
            ));
        }
        Ok(Self { offset, limit })
    }

    pub fn has_next(&self, total: i64) -> bool {
        self.offset.saturating_add(self.limit) < total
    }

    pub fn previous_offset(&self) -> Option<i64> {
        (self.offset > 0).then(|| (self.offset - self.limit).max(0))
    }

    /// The envelope for `data`, one window of `total` items; `url(offset, limit)` says where
    /// a neighbouring window lives.
    pub fn page<T>(&self, data: Vec<T>, total: i64, url: impl Fn(i64, i64) -> String) -> Page<T> {
        Page {
            count: data.len() as i64,
            total_count: total,
            offset: self.offset,
            limit: self.limit,
            next: self
                .has_next(total)
                .then(|| url(self.offset + self.limit, self.limit)),
            previous: self.previous_offset().map(|o| url(o, self.limit)),
            data,
        }
    }
}

/// A list that always fits one answer (a version's files, a model's aliases): the count is also
/// the total.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Whole<T> {
    pub count: usize,
    pub total_count: usize,
    pub data: Vec<T>,
}

impl<T> Whole<T> {
    pub fn of(data: Vec<T>) -> Self {
        Self {
            count: data.len(),
            total_count: data.len(),
            data,
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub count: i64,
    pub total_count: i64,
    pub offset: i64,
    pub limit: i64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub data: Vec<T>,
}

impl<T> Page<T> {
    /// A whole (short) list in one envelope.
    pub fn whole(data: Vec<T>) -> Self {
        let n = data.len() as i64;
        Page {
            count: n,
            total_count: n,
            offset: 0,
            limit: n.max(1),
            next: None,
            previous: None,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            Paging::new(None, None),
            Ok(Paging {
                offset: 0,
                limit: 50
            })
        );
        assert!(Paging::new(Some(0), Some(1000)).is_ok());
        assert!(Paging::new(Some(MAX_OFFSET), Some(MAX_LIMIT)).is_ok());
        for (o, l) in [
            (-1, 10),
            (0, 0),
            (0, 1001),
            (MAX_OFFSET + 1, 10),
            (i64::MAX, 1),
        ] {
            assert_eq!(
                Paging::new(Some(o), Some(l))
                    .expect_err("bounds")
                    .error_code,
                "INVALID_PAGING"
            );
        }
    }

    #[test]
    fn next_and_previous() {
        let p = Paging {
            offset: 2,
            limit: 2,
        };
        assert!(p.has_next(5));
        assert!(!p.has_next(4));
        assert_eq!(p.previous_offset(), Some(0));
        assert_eq!(
            Paging {
                offset: 0,
                limit: 2
            }
            .previous_offset(),
            None
        );
        assert_eq!(
            Paging {
                offset: 1,
                limit: 5
            }
            .previous_offset(),
            Some(0)
        );
    }
}
