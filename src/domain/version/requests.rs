//! The small bodies of the version routes: list filters, aliases and their moves, promotion,
//! copies, the answer to a deletion, and metric series for charts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Filters for listing a model's versions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// Only versions in this state: draft or published.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// An alias with who moved it last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Alias {
    pub alias: String,
    pub version: String,
    pub protected: bool,
    /// Whether the version it points at is active.
    #[serde(default = "crate::domain::model::yes")]
    pub version_active: bool,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// `PUT /models/{model}/aliases/{alias}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SetAlias {
    pub version: String,
    #[serde(default)]
    pub protected: Option<bool>,
}

/// One move of an alias; `None` means the alias did not exist before or was removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AliasMove {
    pub alias: String,
    pub from_version: Option<String>,
    pub to_version: Option<String>,
    pub protected: bool,
    pub actor: Option<String>,
    pub moved_at: DateTime<Utc>,
    /// Why the alias moved when nobody moved it by hand (its version was deleted); empty
    /// otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// `PUT /models/{model}/primary`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Promote {
    pub version: String,
}

/// `POST /models/{model}/copy`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CopyModel {
    pub name: String,
}

/// The answer to deleting a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionDeleted {
    pub version: String,
    pub model_deleted: bool,
}

/// One metric's values across a model's versions, oldest version first, for charts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricSeries {
    pub key: String,
    pub points: Vec<MetricPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    pub version: String,
    pub value: f64,
}
