//! Versions as clients see them, what may be submitted to create or change one, and the rules
//! their fields obey.

use super::dataset::DatasetRef;
use super::error::ApiError;
use super::model::{Patch, bounded_text, list_patch, preview, text_patch, validate_tags};
use super::requirements::{Dependency, UnparsedLine};
use super::signature::Signature;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const MAX_VERSION_DESCRIPTION_CHARS: usize = 4096;
pub const MAX_VERSION_METADATA_BYTES: usize = crate::domain::model::MAX_METADATA_BYTES;
pub const MAX_METRICS: usize = 1000;
pub const MAX_METRIC_KEY_CHARS: usize = 128;
pub const MAX_FIELD_CHARS: usize = 256;
pub const MAX_URI_CHARS: usize = 2048;
pub const MAX_PIP_PACKAGES: usize = 1000;
pub const MAX_PIP_PACKAGE_CHARS: usize = 1024;
pub const MAX_DELETE_PATHS: usize = 10_000;

/// Whether a version's files may still change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum VersionState {
    #[default]
    Draft,
    Published,
}

impl VersionState {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Draft => "draft",
            VersionState::Published => "published",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ApiError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "draft" => Ok(VersionState::Draft),
            "published" => Ok(VersionState::Published),
            _ => Err(ApiError::invalid(
                "state",
                "INVALID_STATE",
                format!("'{}' is not a version state.", preview(value)),
                "Use 'draft' or 'published'.",
            )),
        }
    }
}

/// Whether the uploads that make up a version have finished.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Pending,
    #[default]
    Ready,
    Failed,
}

impl Registration {
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Pending => "pending",
            Registration::Ready => "ready",
            Registration::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "pending" => Registration::Pending,
            "failed" => Registration::Failed,
            _ => Registration::Ready,
        }
    }
}

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

/// One file of a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionFile {
    pub path: String,
    pub size: i64,
    pub sha256: String,
    pub content_type: String,
    /// For model files (ONNX): whether the model loads here, and why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_check: Option<crate::domain::model_check::ModelCheck>,
}

/// How to fetch exactly this version from a script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageSnippet {
    pub curl: String,
    pub python: String,
}

/// A version as clients see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Version {
    pub id: String,
    pub model_id: String,
    pub model_name: String,
    pub version: String,
    pub fqn: String,
    pub state: VersionState,
    pub registration: Registration,
    pub active: bool,
    pub is_primary: bool,
    pub aliases: Vec<String>,
    pub description: String,
    pub metadata: Map<String, Value>,
    pub tags: Vec<String>,
    pub metrics: Vec<Metric>,
    pub framework: Framework,
    pub environment: Environment,
    pub git: GitInfo,
    pub source_uri: String,
    pub run_id: String,
    pub base_version: Option<String>,
    /// The data the version was trained on; feature impact samples it.
    #[serde(default)]
    pub training_dataset: Option<DatasetRef>,
    /// Data kept out of training, for evaluation.
    #[serde(default)]
    pub holdout_dataset: Option<DatasetRef>,
    pub files: Vec<VersionFile>,
    pub file_count: i64,
    pub total_size: i64,
    pub dependencies: Vec<Dependency>,
    pub unparsed_dependencies: Vec<UnparsedLine>,
    pub usage_snippet: UsageSnippet,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    /// The model's inputs and outputs, read from its `MLmodel` file or ONNX graph; `None` when
    /// no file declares them (or none could be read: see `signature_note`).
    #[serde(default)]
    pub signature: Option<Signature>,
    /// Why a file that should declare the signature could not be read, for people.
    #[serde(default)]
    pub signature_note: Option<String>,
    /// Every download of one of its files or of its zip, ever.
    #[serde(default)]
    pub download_count: i64,
    /// The last UTC day it was downloaded; `None` if never.
    #[serde(default)]
    pub last_download_at: Option<chrono::NaiveDate>,
}

impl Version {
    /// May this version become the model's primary version?
    pub fn can_be_primary(&self) -> bool {
        self.state == VersionState::Published
            && self.registration == Registration::Ready
            && self.active
    }
}

/// A new version, as submitted (JSON, or the text fields of a multipart form). Serialize is for
/// the upload page, which sends it as JSON.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    #[serde(default)]
    pub bump: Option<String>,
    #[serde(default)]
    pub base_version: Option<String>,
    #[serde(default)]
    pub delete_paths: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default)]
    pub framework: Option<Framework>,
    #[serde(default)]
    pub environment: Option<Environment>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub metrics: Option<Vec<Metric>>,
    #[serde(default)]
    pub source_uri: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub git: Option<GitInfo>,
    #[serde(default)]
    pub publish: Option<bool>,
}

/// Version-level fields to change; never files, never the model.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VersionPatch {
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub description: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Map<String, Value>>))]
    pub metadata: Patch<Map<String, Value>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<String>>))]
    pub tags: Patch<Vec<String>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<Metric>>))]
    pub metrics: Patch<Vec<Metric>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Framework>))]
    pub framework: Patch<Framework>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Environment>))]
    pub environment: Patch<Environment>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<GitInfo>))]
    pub git: Patch<GitInfo>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub source_uri: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub run_id: Patch<String>,
}

/// Validated version-level fields, ready to store.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionFields {
    pub description: String,
    pub metadata: Map<String, Value>,
    pub tags: Vec<String>,
    pub metrics: Vec<Metric>,
    pub framework: Framework,
    pub environment: Environment,
    pub git: GitInfo,
    pub source_uri: String,
    pub run_id: String,
}

impl VersionFields {
    /// Validates the fields of a new version, applying defaults.
    pub fn from_new(new: &NewVersion) -> Result<Self, ApiError> {
        Ok(Self {
            description: validate_version_description(new.description.as_deref().unwrap_or(""))?,
            metadata: crate::domain::model::validate_metadata(
                new.metadata.clone().unwrap_or_default(),
            )?,
            tags: validate_tags(new.tags.clone().unwrap_or_default())?,
            metrics: validate_metrics(new.metrics.clone().unwrap_or_default())?,
            framework: validate_framework(new.framework.clone().unwrap_or_default())?,
            environment: validate_environment(new.environment.clone().unwrap_or_default())?,
            git: validate_git(new.git.clone().unwrap_or_default())?,
            source_uri: validate_source_uri(new.source_uri.as_deref().unwrap_or(""))?,
            run_id: validate_run_id(new.run_id.as_deref().unwrap_or(""))?,
        })
    }

    /// Applies a patch on top of the current fields, validating what changes.
    pub fn apply(mut self, patch: VersionPatch) -> Result<Self, ApiError> {
        if let Some(d) = text_patch(patch.description) {
            self.description = validate_version_description(&d)?;
        }
        match patch.metadata {
            Patch::Keep => {}
            Patch::Clear => self.metadata.clear(),
            Patch::Set(m) => self.metadata = crate::domain::model::validate_metadata(m)?,
        }
        if let Some(tags) = list_patch(patch.tags) {
            self.tags = validate_tags(tags)?;
        }
        match patch.metrics {
            Patch::Keep => {}
            Patch::Clear => self.metrics.clear(),
            Patch::Set(m) => self.metrics = validate_metrics(m)?,
        }
        match patch.framework {
            Patch::Keep => {}
            Patch::Clear => self.framework = Framework::default(),
            Patch::Set(f) => self.framework = validate_framework(f)?,
        }
        match patch.environment {
            Patch::Keep => {}
            Patch::Clear => self.environment = Environment::default(),
            Patch::Set(e) => self.environment = validate_environment(e)?,
        }
        match patch.git {
            Patch::Keep => {}
            Patch::Clear => self.git = GitInfo::default(),
            Patch::Set(g) => self.git = validate_git(g)?,
        }
        if let Some(s) = text_patch(patch.source_uri) {
            self.source_uri = validate_source_uri(&s)?;
        }
        if let Some(r) = text_patch(patch.run_id) {
            self.run_id = validate_run_id(&r)?;
        }
        Ok(self)
    }
}

impl VersionFields {
    /// The fields that differ between `self` and `after`, by their API names.
    pub fn changed_fields(&self, after: &Self) -> Vec<&'static str> {
        let changes = [
            ("description", self.description != after.description),
            ("metadata", self.metadata != after.metadata),
            ("tags", self.tags != after.tags),
            ("metrics", self.metrics != after.metrics),
            ("framework", self.framework != after.framework),
            ("environment", self.environment != after.environment),
            ("git", self.git != after.git),
            ("source_uri", self.source_uri != after.source_uri),
            ("run_id", self.run_id != after.run_id),
        ];
        changes
            .into_iter()
            .filter_map(|(name, changed)| changed.then_some(name))
            .collect()
    }
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
        "VERSION_PUBLISHED",
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
        "INVALID_DESCRIPTION",
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
            "INVALID_METRIC",
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
        Some(v) => bounded_text(&v, max, field, "INVALID_FIELD", what).map(Some),
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
            "INVALID_PYTHON_VERSION",
            format!("'{}' is not a Python version.", preview(v)),
            "Write it as digits and dots, for example '3.11' or '3.11.4'.",
        ));
    }
    if e.pip_packages.len() > MAX_PIP_PACKAGES {
        return Err(ApiError::invalid(
            "environment.pip_packages",
            "INVALID_PIP_PACKAGES",
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
                "INVALID_PIP_PACKAGES",
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
            "INVALID_URL",
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
                "INVALID_COMMIT_SHA",
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
            "INVALID_FIELD",
            "The source URI contains control characters.",
            "Give a URI such as s3://bucket/run-42/model or https://….",
        ));
    }
    bounded_text(
        value,
        MAX_URI_CHARS,
        "source_uri",
        "INVALID_FIELD",
        "source URI",
    )
}

pub fn validate_run_id(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "run_id",
            "INVALID_FIELD",
            "The run id contains control characters.",
            "Give the experiment tracker's run id as plain text.",
        ));
    }
    bounded_text(value, MAX_FIELD_CHARS, "run_id", "INVALID_FIELD", "run id")
}

/// `model:1.4.0`, the name that identifies one version everywhere.
pub fn fqn(model: &str, version: &str) -> String {
    format!("{model}:{version}")
}

/// curl and Python that download exactly this version.
pub fn usage_snippet(public_url: &str, model: &str, version: &str) -> UsageSnippet {
    let url = format!("{public_url}/api/v1/models/{model}/versions/{version}/download");
    UsageSnippet {
        curl: format!(
            "curl -fL -H \"Authorization: Bearer $MODELYARD_TOKEN\" \\\n  -o {model}-{version}.zip \\\n  {url}"
        ),
        python: format!(
            "import io, os, zipfile, urllib.request\n\n\
             request = urllib.request.Request(\n    \"{url}\",\n    headers={{\"Authorization\": \"Bearer \" + os.environ[\"MODELYARD_TOKEN\"]}},\n)\n\
             with urllib.request.urlopen(request) as response:\n    zipfile.ZipFile(io.BytesIO(response.read())).extractall(\"{model}-{version}\")\n"
        ),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_versions_change_only_what_describes_them() {
        let before = VersionFields::default();
        let mut after = before.clone();
        after.description = "better words".into();
        after.tags = vec!["nightly".into()];
        let changed = before.changed_fields(&after);
        assert_eq!(changed, ["description", "tags"]);
        assert!(check_published_change("1.0.0", &changed).is_ok());

        after.metrics = vec![Metric {
            key: "rmse".into(),
            value: 1.5,
            step: None,
            timestamp: None,
        }];
        after.run_id = "run-2".into();
        let changed = before.changed_fields(&after);
        let e = check_published_change("1.0.0", &changed).expect_err("frozen");
        assert_eq!(e.status, 409);
        assert_eq!(e.error_code, "VERSION_PUBLISHED");
        assert_eq!(e.field.as_deref(), Some("metrics"));
        assert!(e.error_msg.contains("metrics, run_id"), "{}", e.error_msg);
    }

    #[test]
    fn new_version_fields_take_defaults() {
        let f = VersionFields::from_new(&NewVersion::default()).expect("defaults are valid");
        assert_eq!(f, VersionFields::default());
    }

    #[test]
    fn metrics_must_be_finite_with_sane_keys() {
        let ok = vec![Metric {
            key: " val/loss ".into(),
            value: 0.5,
            step: Some(3),
            timestamp: None,
        }];
        assert_eq!(validate_metrics(ok).expect("valid")[0].key, "val/loss");
        for (key, value) in [
            ("", 1.0),
            ("a\nb", 1.0),
            ("ok", f64::NAN),
            ("ok", f64::INFINITY),
        ] {
            let bad = vec![Metric {
                key: key.into(),
                value,
                step: None,
                timestamp: None,
            }];
            let e = validate_metrics(bad).expect_err("invalid metric");
            assert_eq!(e.error_code, "INVALID_METRIC");
        }
    }

    #[test]
    fn commit_urls_must_be_web_links() {
        for bad in ["javascript:alert(1)", "ftp://x", "http://", "https://a b"] {
            let g = GitInfo {
                commit_url: Some(bad.into()),
                ..GitInfo::default()
            };
            assert!(validate_git(g).is_err(), "{bad} accepted");
        }
        let g = GitInfo {
            commit_url: Some("https://git.example/c/1a2b3c4".into()),
            main_branch_commit_sha: Some("1A2B3C4D".into()),
            ..GitInfo::default()
        };
        let g = validate_git(g).expect("valid");
        assert_eq!(g.main_branch_commit_sha.as_deref(), Some("1a2b3c4d"));
        let g = GitInfo {
            pull_request_commit_sha: Some("xyz".into()),
            ..GitInfo::default()
        };
        assert_eq!(
            validate_git(g).expect_err("bad sha").field.as_deref(),
            Some("git.pull_request_commit_sha")
        );
    }

    #[test]
    fn python_versions_are_digits_and_dots() {
        for good in ["3", "3.11", "3.11.4"] {
            let e = Environment {
                python_version: Some(good.into()),
                pip_packages: vec![],
            };
            assert!(validate_environment(e).is_ok(), "{good}");
        }
        for bad in ["3.x", "python3", "3..1", "3.11.4.1"] {
            let e = Environment {
                python_version: Some(bad.into()),
                pip_packages: vec![],
            };
            assert!(validate_environment(e).is_err(), "{bad}");
        }
    }

    #[test]
    fn patch_changes_only_what_is_given() {
        let before = VersionFields {
            description: "d".into(),
            run_id: "r".into(),
            ..VersionFields::default()
        };
        let patch: VersionPatch =
            serde_json::from_str(r#"{"description": null, "tags": ["a"]}"#).expect("json");
        let after = before.clone().apply(patch).expect("valid");
        assert_eq!(after.description, "");
        assert_eq!(after.tags, vec!["a".to_owned()]);
        assert_eq!(after.run_id, "r");
    }

    #[test]
    fn snippet_names_the_exact_version() {
        let s = usage_snippet("http://h", "m", "1.2.0");
        assert!(
            s.curl
                .contains("http://h/api/v1/models/m/versions/1.2.0/download")
        );
        assert!(
            s.python
                .contains("http://h/api/v1/models/m/versions/1.2.0/download")
        );
    }
}
