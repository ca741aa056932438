//! Versions as clients see them, what may be submitted to create or change one, and the rules
//! their fields obey: the version and its states here; how it was made (framework, environment,
//! git, metrics) with each field's rule, what is submitted, and the small bodies of the version
//! routes each in a file of its own.

use super::dataset::DatasetRef;
use super::error::ApiError;
use super::model::preview;
use super::requirements::{Dependency, UnparsedLine};
use super::signature::Signature;
use crate::domain::error::codes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod changes;
mod fields;
mod requests;

pub use changes::*;
pub use fields::*;
pub use requests::*;

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
                codes::INVALID_STATE,
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
    #[serde(serialize_with = "crate::domain::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::timestamp::serialize_optional")]
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

/// `model:1.4.0`, the name that identifies one version everywhere.
pub fn fqn(model: &str, version: &str) -> String {
    format!("{model}:{version}")
}

/// curl and Python that download exactly this version. Joined from pieces rather than
/// formatted: a page of versions writes fifty of these.
pub fn usage_snippet(public_url: &str, model: &str, version: &str) -> UsageSnippet {
    let url = [
        public_url,
        "/api/v1/models/",
        model,
        "/versions/",
        version,
        "/download",
    ]
    .concat();
    UsageSnippet {
        curl: [
            "curl -fL -H \"Authorization: Bearer $MODELYARD_TOKEN\" \\\n  -o ",
            model,
            "-",
            version,
            ".zip \\\n  ",
            &url,
        ]
        .concat(),
        python: [
            "import io, os, zipfile, urllib.request\n\n\
             request = urllib.request.Request(\n    \"",
            &url,
            "\",\n    headers={\"Authorization\": \"Bearer \" + os.environ[\"MODELYARD_TOKEN\"]},\n)\n\
             with urllib.request.urlopen(request) as response:\n    zipfile.ZipFile(io.BytesIO(response.read())).extractall(\"",
            model,
            "-",
            version,
            "\")\n",
        ]
        .concat(),
    }
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
        // Exactly as people copy them.
        assert_eq!(
            s.curl,
            "curl -fL -H \"Authorization: Bearer $MODELYARD_TOKEN\" \\\n  -o m-1.2.0.zip \\\n  \
             http://h/api/v1/models/m/versions/1.2.0/download"
        );
        assert_eq!(
            s.python,
            "import io, os, zipfile, urllib.request\n\n\
             request = urllib.request.Request(\n    \"http://h/api/v1/models/m/versions/1.2.0/download\",\n    \
             headers={\"Authorization\": \"Bearer \" + os.environ[\"MODELYARD_TOKEN\"]},\n)\n\
             with urllib.request.urlopen(request) as response:\n    \
             zipfile.ZipFile(io.BytesIO(response.read())).extractall(\"m-1.2.0\")\n"
        );
    }
}
