//! What may be submitted to create or change a model, and the validated fields both become:
//! a new model takes defaults for what it leaves out, a patch tells absent, `null` and a value
//! apart.

use super::{
    TargetType, Visibility, name_error, validate_class_labels, validate_description,
    validate_metadata, validate_model_name, validate_readme, validate_tags, validate_target_name,
};
use crate::domain::error::ApiError;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A new model, as submitted. Fields not given take their defaults.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub readme: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<TargetType>))]
    pub target_type: Option<String>,
    #[serde(default)]
    pub target_name: Option<String>,
    #[serde(default)]
    pub class_labels: Option<Vec<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Visibility>))]
    pub visibility: Option<String>,
}

/// A change to a field: absent (leave it), `null` (clear it) or a new value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only called when the field is present; absent fields take the default, `Keep`.
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Patch::Set(value),
            None => Patch::Clear,
        })
    }
}

/// Model-level fields to change; never touches a version.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ModelPatch {
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub name: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub description: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub readme: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<TargetType>))]
    pub target_type: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub target_name: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<String>>))]
    pub class_labels: Patch<Vec<String>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<String>>))]
    pub tags: Patch<Vec<String>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Map<String, Value>>))]
    pub metadata: Patch<Map<String, Value>>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Visibility>))]
    pub visibility: Patch<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<bool>))]
    pub archived: Patch<bool>,
}

/// Validated model fields, ready to store; a [`super::Model`] carries them as they are stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelFields {
    pub name: String,
    pub description: String,
    pub readme: String,
    pub target_type: Option<TargetType>,
    pub target_name: String,
    pub class_labels: Vec<String>,
    pub tags: Vec<String>,
    pub metadata: Map<String, Value>,
    pub visibility: Visibility,
    pub archived: bool,
}

impl ModelFields {
    /// The names of the fields that differ between `self` and `other`, for the audit log.
    pub fn changed_fields(&self, other: &Self) -> Vec<&'static str> {
        [
            ("name", self.name != other.name),
            ("description", self.description != other.description),
            ("readme", self.readme != other.readme),
            ("target_type", self.target_type != other.target_type),
            ("target_name", self.target_name != other.target_name),
            ("class_labels", self.class_labels != other.class_labels),
            ("tags", self.tags != other.tags),
            ("metadata", self.metadata != other.metadata),
            ("visibility", self.visibility != other.visibility),
            ("archived", self.archived != other.archived),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
    }

    /// Validates a new model's fields, applying defaults.
    pub fn from_new(new: NewModel) -> Result<Self, ApiError> {
        Ok(Self {
            name: validate_model_name(&new.name)?,
            description: validate_description(new.description.as_deref().unwrap_or(""))?,
            readme: validate_readme(new.readme.as_deref().unwrap_or(""))?,
            target_type: new
                .target_type
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(TargetType::parse)
                .transpose()?,
            target_name: validate_target_name(new.target_name.as_deref().unwrap_or(""))?,
            class_labels: validate_class_labels(new.class_labels.unwrap_or_default())?,
            tags: validate_tags(new.tags.unwrap_or_default())?,
            metadata: validate_metadata(new.metadata.unwrap_or_default())?,
            visibility: new
                .visibility
                .as_deref()
                .map(Visibility::parse)
                .transpose()?
                .unwrap_or_default(),
            archived: false,
        })
    }

    /// Applies a patch on top of the current fields, validating what changes.
    pub fn apply(mut self, patch: ModelPatch) -> Result<Self, ApiError> {
        match patch.name {
            Patch::Keep => {}
            Patch::Clear => return Err(name_error("A model needs a name.")),
            Patch::Set(name) => self.name = validate_model_name(&name)?,
        }
        if let Some(d) = text_patch(patch.description) {
            self.description = validate_description(&d)?;
        }
        if let Some(r) = text_patch(patch.readme) {
            self.readme = validate_readme(&r)?;
        }
        match patch.target_type {
            Patch::Keep => {}
            Patch::Clear => self.target_type = None,
            Patch::Set(t) if t.is_empty() => self.target_type = None,
            Patch::Set(t) => self.target_type = Some(TargetType::parse(&t)?),
        }
        if let Some(t) = text_patch(patch.target_name) {
            self.target_name = validate_target_name(&t)?;
        }
        if let Some(labels) = list_patch(patch.class_labels) {
            self.class_labels = validate_class_labels(labels)?;
        }
        if let Some(tags) = list_patch(patch.tags) {
            self.tags = validate_tags(tags)?;
        }
        match patch.metadata {
            Patch::Keep => {}
            Patch::Clear => self.metadata.clear(),
            Patch::Set(m) => self.metadata = validate_metadata(m)?,
        }
        match patch.visibility {
            Patch::Keep => {}
            Patch::Clear => self.visibility = Visibility::default(),
            Patch::Set(v) => self.visibility = Visibility::parse(&v)?,
        }
        match patch.archived {
            Patch::Keep => {}
            Patch::Clear => self.archived = false,
            Patch::Set(a) => self.archived = a,
        }
        Ok(self)
    }
}

pub(crate) fn text_patch(patch: Patch<String>) -> Option<String> {
    match patch {
        Patch::Keep => None,
        Patch::Clear => Some(String::new()),
        Patch::Set(s) => Some(s),
    }
}

pub(crate) fn list_patch(patch: Patch<Vec<String>>) -> Option<Vec<String>> {
    match patch {
        Patch::Keep => None,
        Patch::Clear => Some(Vec::new()),
        Patch::Set(v) => Some(v),
    }
}
