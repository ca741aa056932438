//! How a models list is asked for: the filters of its URL and the orders it can take.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use serde::{Deserialize, Serialize};

/// How a list of models is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ModelOrder {
    #[default]
    UpdatedDesc,
    UpdatedAsc,
    NameAsc,
    NameDesc,
    CreatedDesc,
    CreatedAsc,
}

impl ModelOrder {
    pub const ALL: [ModelOrder; 6] = [
        ModelOrder::UpdatedDesc,
        ModelOrder::UpdatedAsc,
        ModelOrder::NameAsc,
        ModelOrder::NameDesc,
        ModelOrder::CreatedDesc,
        ModelOrder::CreatedAsc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ModelOrder::UpdatedDesc => "-updated",
            ModelOrder::UpdatedAsc => "updated",
            ModelOrder::NameAsc => "name",
            ModelOrder::NameDesc => "-name",
            ModelOrder::CreatedDesc => "-created",
            ModelOrder::CreatedAsc => "created",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ModelOrder::UpdatedDesc => "Recently updated",
            ModelOrder::UpdatedAsc => "Least recently updated",
            ModelOrder::NameAsc => "Name A–Z",
            ModelOrder::NameDesc => "Name Z–A",
            ModelOrder::CreatedDesc => "Newest",
            ModelOrder::CreatedAsc => "Oldest",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == value)
            .ok_or_else(|| {
                ApiError::invalid(
                    "order_by",
                    codes::INVALID_ORDER_BY,
                    format!("Models cannot be ordered by '{value}'."),
                    "Use name, created or updated, with a leading '-' for descending order.",
                )
            })
    }
}

/// A models list query, as given in a URL.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ModelQuery {
    /// Matches name, description and tags, ignoring case.
    #[serde(default)]
    pub search: Option<String>,
    /// Sort order: name, created or updated, '-' first for descending (default -updated); empty is the same as leaving it out.
    #[serde(default)]
    pub order_by: Option<String>,
    /// Only models with this tag (ignoring case).
    #[serde(default)]
    pub tag: Option<String>,
    /// Only models of this target type; empty is the same as leaving it out.
    #[serde(default)]
    pub target_type: Option<String>,
    /// Only models whose card names this license (e.g. mit, apache-2.0).
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}
