//! How a version was made (framework, environment, git, metrics) and the rules every
//! version-level field obeys, including what a published version still lets people change.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::model::{bounded_text, preview};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MAX_VERSION_DESCRIPTION_CHARS: usize = 4096;
pub const MAX_VERSION_METADATA_BYTES: usize = crate::domain::model::MAX_METADATA_BYTES;
pub const MAX_METRICS: usize = 1000;
pub const MAX_METRIC_KEY_CHARS: usize = 128;
pub const MAX_FIELD_CHARS: usize = 256;
pub const MAX_URI_CHARS: usize = 2048;
pub const MAX_PIP_PACKAGES: usize = 1000;
pub const MAX_PIP_PACKAGE_CHARS: usize = 1024;
pub const MAX_DELETE_PATHS: usize = 10_000;

/// The library a version was built with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Framework {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model: Option<String>,
}

/// What a version needs to run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_version: Option<String>,
    #[serde(default)]
    pub pip_packages: Vec<String>,
}

/// Where a version's code came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GitInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_branch_commit_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request_commit_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_name: Option<String>,
}

/// One measured value, optionally at a training step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub key: String,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
}

/// The fields a published version still lets people change: what describes it, not what it is.
/// Its files, metrics, framework, environment and lineage (git, source, run) are frozen, so a
/// chart or a comparison never rewrites history.
pub const EDITABLE_WHEN_PUBLISHED: [&str; 3] = ["description", "tags", "metadata"];

/// Refuses a change to a published version's frozen fields (409 `VERSION_PUBLISHED`).
pub fn check_published_change(number: &str, changed: &[&str]) -> Result<(), ApiError> {
    let frozen: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|f| !EDITABLE_WHEN_PUBLISHED.contains(f))
        .collect();
    if frozen.is_empty() {
        return Ok(());
    }
    let mut error = ApiError::new(
        409,
        codes::VERSION_PUBLISHED,
        format!(
            "Version {number} is published; its {} can no longer change.",
            frozen.join(", ")
        ),
        "Only description, tags and metadata of a published version can change. Create a new version from it (base_version) with the new values.",
    );
    error.field = frozen.first().map(|f| (*f).to_owned());
    Err(error)
}

pub fn validate_version_description(value: &str) -> Result<String, ApiError> {
    bounded_text(
        value,
        MAX_VERSION_DESCRIPTION_CHARS,
        "description",
        codes::INVALID_DESCRIPTION,
        "description",
    )
}

/// Version metadata is any JSON object, bounded by its serialized size.
fn is_metric_key_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ' ' | ':' | '@')
}

/// Metrics: at most [`MAX_METRICS`], keys of letters, digits and `- _ . / : @` or spaces, finite
/// values. The same key may repeat at different steps.
pub fn validate_metrics(metrics: Vec<Metric>) -> Result<Vec<Metric>, ApiError> {
    let invalid = |msg: String| {
        ApiError::invalid(
            "metrics",
            codes::INVALID_METRIC,
            msg,
            format!(
                "Give at most {MAX_METRICS} metrics as {{\"key\": \"accuracy\", \"value\": 0.93, \"step\": 1}}, with keys of 1 to {MAX_METRIC_KEY_CHARS} letters, digits, spaces or '-_./:@' and finite numbers."
            ),
        )
    };
    if metrics.len() > MAX_METRICS {
        return Err(invalid(format!(
            "{} metrics given; at most {MAX_METRICS} are allowed.",
            metrics.len()
        )));
    }
    let mut out = Vec::with_capacity(metrics.len());
    for mut m in metrics {
        m.key = m.key.trim().to_owned();
        let chars = m.key.chars().count();
        if chars == 0 || chars > MAX_METRIC_KEY_CHARS || !m.key.chars().all(is_metric_key_char) {
            return Err(invalid(format!(
                "Metric key '{}' is not allowed.",
                preview(&m.key)
            )));
        }
        if !m.value.is_finite() {
            return Err(invalid(format!(
                "Metric '{}' has a value that is not a finite number.",
                m.key
            )));
        }
        if m.step.is_some_and(|s| s < 0) {
            return Err(invalid(format!("Metric '{}' has a negative step.", m.key)));
        }
        out.push(m);
    }
    Ok(out)
}

fn optional_text(
    value: Option<String>,
    max: usize,
    field: &str,
    what: &str,
) -> Result<Option<String>, ApiError> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => bounded_text(&v, max, field, codes::INVALID_FIELD, what).map(Some),
    }
}

pub fn validate_framework(f: Framework) -> Result<Framework, ApiError> {
    Ok(Framework {
        library_name: optional_text(
            f.library_name,
            MAX_FIELD_CHARS,
            "framework.library_name",
            "library name",
        )?,
        pipeline_tag: optional_text(
            f.pipeline_tag,
            MAX_FIELD_CHARS,
            "framework.pipeline_tag",
            "pipeline tag",
        )?,
        base_model: optional_text(
            f.base_model,
            MAX_FIELD_CHARS,
            "framework.base_model",
            "base model",
        )?,
    })
}

/// `3`, `3.11` or `3.11.4`.
fn is_python_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() <= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
}

pub fn validate_environment(e: Environment) -> Result<Environment, ApiError> {
    let python_version = e
        .python_version
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    if let Some(v) = &python_version
        && !is_python_version(v)
    {
        return Err(ApiError::invalid(
            "environment.python_version",
            codes::INVALID_PYTHON_VERSION,
            format!("'{}' is not a Python version.", preview(v)),
            "Write it as digits and dots, for example '3.11' or '3.11.4'.",
        ));
    }
    if e.pip_packages.len() > MAX_PIP_PACKAGES {
        return Err(ApiError::invalid(
            "environment.pip_packages",
            codes::INVALID_PIP_PACKAGES,
            format!(
                "{} pip packages given; at most {MAX_PIP_PACKAGES} are allowed.",
                e.pip_packages.len()
            ),
            "List only the packages the model needs, or upload a requirements.txt file.",
        ));
    }
    let mut pip_packages = Vec::with_capacity(e.pip_packages.len());
    for p in e.pip_packages {
        let p = p.trim().to_owned();
        if p.is_empty() {
            continue;
        }
        if p.chars().count() > MAX_PIP_PACKAGE_CHARS || p.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "environment.pip_packages",
                codes::INVALID_PIP_PACKAGES,
                format!("The pip package entry '{}' is not allowed.", preview(&p)),
                format!(
                    "Give one requirement per entry, such as 'numpy>=1.26', of at most {MAX_PIP_PACKAGE_CHARS} characters."
                ),
            ));
        }
        pip_packages.push(p);
    }
    Ok(Environment {
        python_version,
        pip_packages,
    })
}

fn is_sha(v: &str) -> bool {
    (7..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_hexdigit())
}

/// An `http(s)` URL without spaces or control characters; it is shown as a link.
pub fn is_web_url(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && v.len() > "http://".len()
        && !v
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

pub fn validate_git(g: GitInfo) -> Result<GitInfo, ApiError> {
    let commit_url = optional_text(g.commit_url, MAX_URI_CHARS, "git.commit_url", "commit URL")?;
    if let Some(url) = &commit_url
        && !is_web_url(url)
    {
        return Err(ApiError::invalid(
            "git.commit_url",
            codes::INVALID_URL,
            format!("'{}' is not an http(s) URL.", preview(url)),
            "Give the web address of the commit, for example https://github.com/org/repo/commit/1a2b3c4.",
        ));
    }
    let sha = |value: Option<String>, field: &str| -> Result<Option<String>, ApiError> {
        let value = value
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty());
        match value {
            Some(v) if !is_sha(&v) => Err(ApiError::invalid(
                field,
                codes::INVALID_COMMIT_SHA,
                format!("'{}' is not a commit SHA.", preview(&v)),
                "Give 7 to 64 hexadecimal characters, as printed by 'git rev-parse HEAD'.",
            )),
            other => Ok(other),
        }
    };
    Ok(GitInfo {
        commit_url,
        main_branch_commit_sha: sha(g.main_branch_commit_sha, "git.main_branch_commit_sha")?,
        pull_request_commit_sha: sha(g.pull_request_commit_sha, "git.pull_request_commit_sha")?,
        ref_name: optional_text(g.ref_name, MAX_FIELD_CHARS, "git.ref_name", "git ref name")?,
    })
}

pub fn validate_source_uri(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "source_uri",
            codes::INVALID_FIELD,
            "The source URI contains control characters.",
            "Give a URI such as s3://bucket/run-42/model or https://….",
        ));
    }
    bounded_text(
        value,
        MAX_URI_CHARS,
        "source_uri",
        codes::INVALID_FIELD,
        "source URI",
    )
}

pub fn validate_run_id(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "run_id",
            codes::INVALID_FIELD,
            "The run id contains control characters.",
            "Give the experiment tracker's run id as plain text.",
        ));
    }
    bounded_text(
        value,
        MAX_FIELD_CHARS,
        "run_id",
        codes::INVALID_FIELD,
        "run id",
    )
}
