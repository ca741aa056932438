//! What may be submitted to create or change a version, and the validated version-level
//! fields both become; never files, never the model.

use super::{
    Environment, Framework, GitInfo, Metric, validate_environment, validate_framework,
    validate_git, validate_metrics, validate_run_id, validate_source_uri,
    validate_version_description,
};
use crate::domain::error::ApiError;
use crate::domain::model::{Patch, list_patch, text_patch, validate_tags};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
