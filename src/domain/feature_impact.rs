//! Feature impact as clients see it, and its pure rules: the row-count bounds, how unnormalized
//! impacts become normalized ones, and what an import must look like.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Fewest rows feature impact is computed on.
pub const MIN_ROW_COUNT: u64 = 10;
/// Most rows feature impact is computed on.
pub const MAX_ROW_COUNT: u64 = 100_000;
/// Rows sampled when the request names none (or fewer when the dataset is smaller).
pub const DEFAULT_ROW_COUNT: u64 = 2500;
/// Most features an import may name.
pub const MAX_IMPORTED_FEATURES: usize = 10_000;
/// Longest feature name accepted in an import.
pub const MAX_FEATURE_NAME_CHARS: usize = 256;
/// Bars the chart shows before "show all".
pub const CHART_TOP: usize = 25;

/// How the numbers were obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ImpactMethod {
    /// Computed here by permutation importance.
    Permutation,
    /// Computed elsewhere and imported (SHAP or otherwise; see `shap_based`).
    Imported,
}

impl ImpactMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ImpactMethod::Permutation => "permutation",
            ImpactMethod::Imported => "imported",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "permutation" => Some(ImpactMethod::Permutation),
            "imported" => Some(ImpactMethod::Imported),
            _ => None,
        }
    }
}

/// One feature's impact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeatureImpactItem {
    pub feature_name: String,
    /// Relative to the most important feature, which has 1. Negative when shuffling the feature
    /// made the model better (the feature only adds noise).
    pub impact_normalized: f64,
    /// How much worse the score got when the feature was shuffled (or the imported value).
    pub impact_unnormalized: f64,
    /// The feature this one correlates with most, when that correlation is strong enough to call
    /// this one redundant.
    pub redundant_with: Option<String>,
    /// For derived features, the column they came from; `null` for dataset columns.
    pub parent_feature_name: Option<String>,
}

/// A version's feature impact, most important feature first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeatureImpact {
    pub count: usize,
    pub feature_impacts: Vec<FeatureImpactItem>,
    pub ran_redundancy_detection: bool,
    /// Rows scored; `null` for imports that did not say.
    pub row_count: Option<u64>,
    pub shap_based: bool,
    pub method: ImpactMethod,
    pub computed_at: DateTime<Utc>,
    /// `rmse` or `log_loss` for computed impacts.
    pub metric: Option<String>,
    /// The score on the sample before any shuffling.
    pub base_score: Option<f64>,
    pub dataset_id: Option<String>,
    pub job_id: Option<String>,
}

/// `POST …/feature-impact`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeatureImpactRequest {
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_number::optional_u64"
    )]
    pub row_count: Option<u64>,
    /// A prediction server's base URL (custom-model protocol); without it the version's ONNX file
    /// is run in-process.
    #[serde(default)]
    pub prediction_url: Option<String>,
    /// Seeds sampling and shuffling; the same seed on the same data gives the same numbers.
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_number::optional_u64"
    )]
    pub seed: Option<u64>,
}

/// One entry of an import.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportedImpact {
    pub feature_name: String,
    pub impact_unnormalized: f64,
    #[serde(default)]
    pub parent_feature_name: Option<String>,
}

/// `PUT …/feature-impact`: results computed elsewhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeatureImpactImport {
    pub feature_impacts: Vec<ImportedImpact>,
    #[serde(default)]
    pub shap_based: Option<bool>,
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_number::optional_u64"
    )]
    pub row_count: Option<u64>,
}

/// The rows to sample: the requested count (checked against the bounds) or the default, never
/// more than the dataset has.
pub fn resolve_row_count(requested: Option<u64>, dataset_rows: u64) -> Result<u64, ApiError> {
    if let Some(n) = requested
        && !(MIN_ROW_COUNT..=MAX_ROW_COUNT).contains(&n)
    {
        return Err(ApiError::invalid(
            "row_count",
            codes::INVALID_ROW_COUNT,
            format!("row_count must be between {MIN_ROW_COUNT} and {MAX_ROW_COUNT}; it was {n}."),
            "Leave row_count out to use the default, or pick a value in range.",
        ));
    }
    if dataset_rows < MIN_ROW_COUNT {
        return Err(ApiError::invalid(
            "dataset_id",
            codes::DATASET_TOO_SMALL,
            format!(
                "The training data has {dataset_rows} rows; feature impact needs at least \
                 {MIN_ROW_COUNT}."
            ),
            "Assign a larger training dataset to the version.",
        ));
    }
    Ok(requested
        .unwrap_or(DEFAULT_ROW_COUNT)
        .min(dataset_rows)
        .max(MIN_ROW_COUNT))
}

/// Whether a prediction server may be called, by the configured patterns: `*` (any), a host
/// (`models.internal`), a host and port (`127.0.0.1:6789`), or a domain suffix
/// (`*.internal.example.com`).
/// `host` is lower-case, IPv6 addresses in brackets (`[::1]`), as URLs write them.
pub fn prediction_host_allowed(host: &str, port: u16, patterns: &[String]) -> bool {
    let port_of_url = port;
    patterns.iter().any(|pattern| {
        let pattern = pattern.trim().to_ascii_lowercase();
        if pattern == "*" {
            return true;
        }
        let (host_pattern, port) = match pattern.rsplit_once(':') {
            Some((h, _)) if !h.ends_with(']') && h.contains(':') => (pattern.as_str(), None),
            Some((h, p)) => (h, p.parse::<u16>().ok()),
            None => (pattern.as_str(), None),
        };
        if port.is_some_and(|p| p != port_of_url) {
            return false;
        }
        match host_pattern.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => host == host_pattern,
        }
    })
}

/// Sorts by unnormalized impact (largest first, ties by name) and divides by the largest, so the
/// top feature has 1. When no feature has a positive impact the normalized values are 0.
pub fn normalize(items: &mut [FeatureImpactItem]) {
    items.sort_by(|a, b| {
        b.impact_unnormalized
            .total_cmp(&a.impact_unnormalized)
            .then_with(|| a.feature_name.cmp(&b.feature_name))
    });
    let top = items
        .first()
        .map_or(0.0, |i| i.impact_unnormalized)
        .max(0.0);
    for item in items.iter_mut() {
        item.impact_normalized = if top > 0.0 {
            item.impact_unnormalized / top
        } else {
            0.0
        };
    }
}

/// Checks an import and turns it into normalized items, most important first.
pub fn imported_items(import: &FeatureImpactImport) -> Result<Vec<FeatureImpactItem>, ApiError> {
    if import.feature_impacts.is_empty() {
        return Err(ApiError::invalid(
            "feature_impacts",
            codes::NO_FEATURE_IMPACTS,
            "The import names no features.".to_owned(),
            "Send at least one {feature_name, impact_unnormalized} entry.",
        ));
    }
    if import.feature_impacts.len() > MAX_IMPORTED_FEATURES {
        return Err(ApiError::invalid(
            "feature_impacts",
            codes::TOO_MANY_FEATURES,
            format!(
                "The import names {} features; at most {MAX_IMPORTED_FEATURES} are accepted.",
                import.feature_impacts.len()
            ),
            "Import the most important features only.",
        ));
    }
    if let Some(n) = import.row_count
        && n == 0
    {
        return Err(ApiError::invalid(
            "row_count",
            codes::INVALID_ROW_COUNT,
            "row_count must be positive when given.".to_owned(),
            "Leave row_count out, or send the number of rows the impacts were computed on.",
        ));
    }
    let mut seen = HashSet::new();
    let mut items = Vec::with_capacity(import.feature_impacts.len());
    for (i, entry) in import.feature_impacts.iter().enumerate() {
        let field = format!("feature_impacts[{i}].feature_name");
        let name = entry.feature_name.trim();
        if name.is_empty() || name.chars().count() > MAX_FEATURE_NAME_CHARS {
            return Err(ApiError::invalid(
                &field,
                codes::INVALID_FEATURE_NAME,
                format!("Feature names must have 1 to {MAX_FEATURE_NAME_CHARS} characters."),
                "Use the dataset's column names.",
            ));
        }
        if !seen.insert(name.to_owned()) {
            return Err(ApiError::invalid(
                &field,
                codes::DUPLICATE_FEATURE,
                format!("'{name}' appears more than once."),
                "Send each feature once.",
            ));
        }
        if !entry.impact_unnormalized.is_finite() {
            return Err(ApiError::invalid(
                &format!("feature_impacts[{i}].impact_unnormalized"),
                codes::INVALID_IMPACT,
                format!("The impact of '{name}' is not a finite number."),
                "Send numbers such as 0.25.",
            ));
        }
        items.push(FeatureImpactItem {
            feature_name: name.to_owned(),
            impact_normalized: 0.0,
            impact_unnormalized: entry.impact_unnormalized,
            redundant_with: None,
            parent_feature_name: entry
                .parent_feature_name
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        });
    }
    normalize(&mut items);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, value: f64) -> FeatureImpactItem {
        FeatureImpactItem {
            feature_name: name.to_owned(),
            impact_normalized: 0.0,
            impact_unnormalized: value,
            redundant_with: None,
            parent_feature_name: None,
        }
    }

    #[test]
    fn row_count_defaults_and_bounds() {
        assert_eq!(resolve_row_count(None, 442).ok(), Some(442));
        assert_eq!(resolve_row_count(None, 10_000).ok(), Some(2500));
        assert_eq!(resolve_row_count(Some(100), 442).ok(), Some(100));
        assert_eq!(resolve_row_count(Some(5000), 442).ok(), Some(442));
        let low = resolve_row_count(Some(9), 442).unwrap_err();
        assert_eq!(low.error_code, "INVALID_ROW_COUNT");
        assert_eq!(low.status, 422);
        assert!(resolve_row_count(Some(100_001), 442).is_err());
        assert!(resolve_row_count(Some(100_000), 200_000).is_ok());
        assert_eq!(
            resolve_row_count(None, 9).unwrap_err().error_code,
            "DATASET_TOO_SMALL"
        );
    }

    #[test]
    fn normalizing_puts_the_top_feature_at_one() {
        let mut items = vec![item("b", 0.5), item("a", 2.0), item("c", -0.1)];
        normalize(&mut items);
        let names: Vec<_> = items.iter().map(|i| i.feature_name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(items[0].impact_normalized, 1.0);
        assert_eq!(items[1].impact_normalized, 0.25);
        assert!((items[2].impact_normalized + 0.05).abs() < 1e-12);
    }

    #[test]
    fn nothing_positive_normalizes_to_zero() {
        let mut items = vec![item("a", 0.0), item("b", -1.0)];
        normalize(&mut items);
        assert!(items.iter().all(|i| i.impact_normalized == 0.0));
    }

    #[test]
    fn prediction_hosts_follow_the_patterns() {
        let patterns = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let local = patterns(&["localhost", "127.0.0.1", "[::1]"]);
        assert!(prediction_host_allowed("127.0.0.1", 6789, &local));
        assert!(prediction_host_allowed("[::1]", 80, &local));
        assert!(!prediction_host_allowed("10.0.0.1", 6789, &local));
        let suffix = patterns(&["*.internal.example.com", "10.0.0.5:8080"]);
        assert!(prediction_host_allowed(
            "a.internal.example.com",
            80,
            &suffix
        ));
        assert!(!prediction_host_allowed(
            "internal.example.com.evil.io",
            80,
            &suffix
        ));
        assert!(prediction_host_allowed("10.0.0.5", 8080, &suffix));
        assert!(!prediction_host_allowed("10.0.0.5", 9090, &suffix));
        assert!(prediction_host_allowed("anything", 1, &patterns(&["*"])));
        assert!(!prediction_host_allowed("anything", 1, &[]));
    }

    #[test]
    fn imports_are_checked() {
        let import = |entries: Vec<(&str, f64)>| FeatureImpactImport {
            feature_impacts: entries
                .into_iter()
                .map(|(n, v)| ImportedImpact {
                    feature_name: n.to_owned(),
                    impact_unnormalized: v,
                    parent_feature_name: None,
                })
                .collect(),
            shap_based: Some(true),
            row_count: None,
        };
        let items = imported_items(&import(vec![("x", 1.0), ("y", 3.0)])).unwrap();
        assert_eq!(items[0].feature_name, "y");
        assert!((items[1].impact_normalized - 1.0 / 3.0).abs() < 1e-12);
        let dup = imported_items(&import(vec![("x", 1.0), (" x ", 3.0)])).unwrap_err();
        assert_eq!(dup.error_code, "DUPLICATE_FEATURE");
        assert_eq!(
            dup.field.as_deref(),
            Some("feature_impacts[1].feature_name")
        );
        assert_eq!(
            imported_items(&import(vec![])).unwrap_err().error_code,
            "NO_FEATURE_IMPACTS"
        );
        assert_eq!(
            imported_items(&import(vec![("x", f64::NAN)]))
                .unwrap_err()
                .error_code,
            "INVALID_IMPACT"
        );
        assert_eq!(
            imported_items(&import(vec![("", 1.0)]))
                .unwrap_err()
                .error_code,
            "INVALID_FEATURE_NAME"
        );
    }
}
