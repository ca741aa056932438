//! Models as clients see them, and the rules their fields obey.

use super::error::ApiError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
pub const MAX_README_CHARS: usize = 65_536;
pub const MAX_TARGET_NAME_CHARS: usize = 256;
pub const MAX_CLASS_LABELS: usize = 1000;
pub const MAX_CLASS_LABEL_CHARS: usize = 256;
pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_CHARS: usize = 64;
/// Metadata (of a model or a version) is a JSON object of at most this many keys…
pub const MAX_METADATA_KEYS: usize = 256;
pub const MAX_METADATA_KEY_CHARS: usize = 128;
/// …taking at most this many bytes as JSON…
pub const MAX_METADATA_BYTES: usize = 65_536;
/// …nested at most this deep (an object of objects of values is 2).
pub const MAX_METADATA_DEPTH: usize = 16;

/// What a model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    Binary,
    Multiclass,
    Regression,
    Anomaly,
    TextGeneration,
    Other,
}

impl TargetType {
    pub const ALL: [TargetType; 6] = [
        TargetType::Binary,
        TargetType::Multiclass,
        TargetType::Regression,
        TargetType::Anomaly,
        TargetType::TextGeneration,
        TargetType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Binary => "binary",
            TargetType::Multiclass => "multiclass",
            TargetType::Regression => "regression",
            TargetType::Anomaly => "anomaly",
            TargetType::TextGeneration => "text_generation",
            TargetType::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TargetType::Binary => "Binary classification",
            TargetType::Multiclass => "Multiclass classification",
            TargetType::Regression => "Regression",
            TargetType::Anomaly => "Anomaly detection",
            TargetType::TextGeneration => "Text generation",
            TargetType::Other => "Other",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| {
                ApiError::invalid(
                    "target_type",
                    "INVALID_TARGET_TYPE",
                    format!("'{value}' is not a target type."),
                    "Use one of binary, multiclass, regression, anomaly, text_generation, other.",
                )
            })
    }
}

/// Who can see a model besides those with a grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only users and teams with a grant (and admins).
    #[default]
    Private,
    /// Every signed-in user can view.
    Internal,
    /// Anyone, even without signing in, can view.
    Public,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [
        Visibility::Private,
        Visibility::Internal,
        Visibility::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Internal => "internal",
            Visibility::Public => "public",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Private => "Private: only people given access",
            Visibility::Internal => "Internal: everyone signed in",
            Visibility::Public => "Public: anyone",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| {
                ApiError::invalid(
                    "visibility",
                    "INVALID_VISIBILITY",
                    format!("'{value}' is not a visibility."),
                    "Use private, internal or public.",
                )
            })
    }
}

/// A caller's role on a model, strongest last so roles compare with `>=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Viewer,
    Editor,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "VIEWER",
            Role::Editor => "EDITOR",
            Role::Owner => "OWNER",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "VIEWER" => Some(Role::Viewer),
            "EDITOR" => Some(Role::Editor),
            "OWNER" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// An alias as listed on a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AliasRef {
    pub alias: String,
    pub version: String,
    pub protected: bool,
    /// Whether the version it points at is active; an alias on an inactive version serves a
    /// version nobody should use any more.
    #[serde(default = "crate::domain::model::yes")]
    pub version_active: bool,
}

pub(crate) fn yes() -> bool {
    true
}

/// What a model card's YAML front matter says about the model, the fields registries show
/// (the Hugging Face convention): everything else in the front matter is left to the card.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CardMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<String>,
}

impl CardMetadata {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A card's front matter (the YAML between a first line `---` and the next `---` line) and the
/// Markdown after it. A card without front matter is all Markdown.
pub fn split_front_matter(card: &str) -> (Option<&str>, &str) {
    let card_start = card.strip_prefix('\u{feff}').unwrap_or(card);
    let Some(after_open) = card_start
        .strip_prefix("---\n")
        .or_else(|| card_start.strip_prefix("---\r\n"))
    else {
        return (None, card);
    };
    let mut offset = 0;
    for line in after_open.split_inclusive('\n') {
        if line.trim_end() == "---" {
            let yaml = &after_open[..offset];
            let body = &after_open[offset + line.len()..];
            return (Some(yaml), body);
        }
        offset += line.len();
    }
    (None, card)
}

/// The most items a card's list field may hold, and the longest item.
pub const MAX_CARD_ITEMS: usize = 50;
pub const MAX_CARD_ITEM_CHARS: usize = 128;

/// A license identifier as cards write it (`mit`, `apache-2.0`, `cc-by-4.0`, `other`):
/// lowercase letters, digits, `.`, `-` and `+`, 1 to 64 characters.
pub fn validate_license(value: &str) -> Result<String, ApiError> {
    let license = value.trim().to_ascii_lowercase();
    let ok = !license.is_empty()
        && license.len() <= 64
        && license
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    if ok {
        Ok(license)
    } else {
        Err(ApiError::invalid(
            "readme",
            "INVALID_MODEL_CARD",
            format!(
                "The model card's license '{}' is not a license identifier.",
                preview(value)
            ),
            "Write an SPDX-style identifier such as mit, apache-2.0 or cc-by-4.0, or 'other'.",
        ))
    }
}

/// A model as clients see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Model {
    pub id: String,
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
    pub primary_version: Option<String>,
    pub latest_version: Option<String>,
    pub version_count: i64,
    /// Every download of its versions' files and zips, ever.
    #[serde(default)]
    pub download_count: i64,
    pub aliases: Vec<AliasRef>,
    pub role: Option<Role>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set on a copy: the model and versions it was made from.
    #[serde(default)]
    pub copied_from: Option<CopySource>,
    /// The license its card's front matter names, if any.
    #[serde(default)]
    pub license: Option<String>,
    /// What its card's front matter says (license, datasets, language, tags, metrics).
    #[serde(default)]
    pub card_metadata: CardMetadata,
}

/// Where a copied model came from, as it was when the copy was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CopySource {
    pub model_id: String,
    /// The source's name at the time (it may have been renamed or deleted since).
    pub model_name: String,
    /// The versions copied, oldest first.
    pub versions: Vec<String>,
}

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

/// Validated model fields, ready to store.
#[derive(Clone, Debug, PartialEq)]
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

fn name_error(msg: impl Into<String>) -> ApiError {
    ApiError::invalid(
        "name",
        "INVALID_MODEL_NAME",
        msg,
        "Use 1 to 64 characters: letters, digits, '-', '_' and '.', for example 'churn-model'.",
    )
}

/// A model name: 1–64 characters of letters, digits, `-`, `_`, `.`. Uniqueness ignoring case is
/// checked by the store.
pub fn validate_model_name(name: &str) -> Result<String, ApiError> {
    if name.is_empty() {
        return Err(name_error("A model needs a name."));
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(name_error(format!(
            "Model names are at most {MAX_NAME_CHARS} characters; this one has {chars}."
        )));
    }
    if !name.chars().all(is_name_char) {
        return Err(name_error(
            "Model names may contain only letters, digits, '-', '_' and '.'.",
        ));
    }
    Ok(name.to_owned())
}

pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

pub(crate) fn bounded_text(
    value: &str,
    max: usize,
    field: &str,
    code: &str,
    what: &str,
) -> Result<String, ApiError> {
    let chars = value.chars().count();
    if chars > max {
        return Err(ApiError::invalid(
            field,
            code,
            format!("The {what} is at most {max} characters; this one has {chars}."),
            format!("Shorten the {what} to {max} characters or fewer."),
        ));
    }
    Ok(value.to_owned())
}

pub fn validate_description(value: &str) -> Result<String, ApiError> {
    bounded_text(
        value,
        MAX_DESCRIPTION_CHARS,
        "description",
        "INVALID_DESCRIPTION",
        "description",
    )
}

pub fn validate_readme(value: &str) -> Result<String, ApiError> {
    bounded_text(
        value,
        MAX_README_CHARS,
        "readme",
        "INVALID_README",
        "model card",
    )
}

pub fn validate_target_name(value: &str) -> Result<String, ApiError> {
    bounded_text(
        value.trim(),
        MAX_TARGET_NAME_CHARS,
        "target_name",
        "INVALID_TARGET_NAME",
        "target name",
    )
}

pub fn validate_class_labels(labels: Vec<String>) -> Result<Vec<String>, ApiError> {
    let invalid = |msg: String| {
        ApiError::invalid(
            "class_labels",
            "INVALID_CLASS_LABELS",
            msg,
            format!(
                "Give at most {MAX_CLASS_LABELS} distinct labels of 1 to {MAX_CLASS_LABEL_CHARS} characters."
            ),
        )
    };
    if labels.len() > MAX_CLASS_LABELS {
        return Err(invalid(format!(
            "{} class labels given; at most {MAX_CLASS_LABELS} are allowed.",
            labels.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for label in &labels {
        let chars = label.chars().count();
        if chars == 0 || chars > MAX_CLASS_LABEL_CHARS {
            return Err(invalid(format!(
                "Class label '{}' must be 1 to {MAX_CLASS_LABEL_CHARS} characters.",
                preview(label)
            )));
        }
        if !seen.insert(label.as_str()) {
            return Err(invalid(format!(
                "Class label '{}' is given twice.",
                preview(label)
            )));
        }
    }
    Ok(labels)
}

/// Tags are trimmed and de-duplicated (ignoring case, first spelling kept).
pub fn validate_tags(tags: Vec<String>) -> Result<Vec<String>, ApiError> {
    let invalid = |msg: String| {
        ApiError::invalid(
            "tags",
            "INVALID_TAGS",
            msg,
            format!(
                "Give at most {MAX_TAGS} tags of 1 to {MAX_TAG_CHARS} printable characters each."
            ),
        )
    };
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        let chars = tag.chars().count();
        if chars == 0 {
            return Err(invalid("Tags cannot be empty.".to_owned()));
        }
        if chars > MAX_TAG_CHARS {
            return Err(invalid(format!(
                "Tag '{}' is longer than {MAX_TAG_CHARS} characters.",
                preview(tag)
            )));
        }
        if tag.chars().any(char::is_control) {
            return Err(invalid(
                "Tags cannot contain control characters.".to_owned(),
            ));
        }
        if !out.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(invalid(format!(
            "{} tags given; at most {MAX_TAGS} are allowed.",
            out.len()
        )));
    }
    Ok(out)
}

/// One rule for the metadata of models and versions: any JSON values under at most
/// [`MAX_METADATA_KEYS`] keys of 1 to [`MAX_METADATA_KEY_CHARS`] characters (no control
/// characters), at most [`MAX_METADATA_BYTES`] as JSON and [`MAX_METADATA_DEPTH`] levels deep.
pub fn validate_metadata(metadata: Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let invalid = |msg: String| {
        ApiError::invalid(
            "metadata",
            "INVALID_METADATA",
            msg,
            format!(
                "Send a JSON object of at most {MAX_METADATA_KEYS} keys of 1 to {MAX_METADATA_KEY_CHARS} characters, at most {} KiB in all; put large documents in files of a version.",
                MAX_METADATA_BYTES / 1024
            ),
        )
    };
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(invalid(format!(
            "{} metadata keys given; at most {MAX_METADATA_KEYS} are allowed.",
            metadata.len()
        )));
    }
    for key in metadata.keys() {
        let chars = key.chars().count();
        if chars == 0 || chars > MAX_METADATA_KEY_CHARS || key.chars().any(char::is_control) {
            return Err(invalid(format!(
                "Metadata key '{}' is not allowed.",
                preview(key)
            )));
        }
    }
    let bytes = serde_json::to_string(&metadata)
        .map(|s| s.len())
        .unwrap_or(usize::MAX);
    if bytes > MAX_METADATA_BYTES {
        return Err(invalid(format!(
            "The metadata takes {bytes} bytes as JSON; at most {MAX_METADATA_BYTES} are allowed."
        )));
    }
    if metadata.values().any(|v| depth(v) >= MAX_METADATA_DEPTH) {
        return Err(invalid(format!(
            "The metadata is nested more than {MAX_METADATA_DEPTH} levels deep."
        )));
    }
    Ok(metadata)
}

/// How many arrays or objects deep a value goes (a scalar is 0).
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Splits a comma-separated tag list as typed in a form.
pub fn split_tags(input: &str) -> Vec<String> {
    input
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Splits a one-item-per-line list as typed in a text area (class labels), dropping blank lines.
pub fn split_lines(input: &str) -> Vec<String> {
    input
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first characters of user input, for messages that quote it.
pub(crate) fn preview(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut s: String = value.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

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
                    "INVALID_ORDER_BY",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_accept_letters_digits_and_separators() {
        for name in ["a", "churn-model", "Churn_Model.v2", &"x".repeat(64), "0"] {
            assert_eq!(validate_model_name(name).as_deref(), Ok(name));
        }
    }

    #[test]
    fn model_names_reject_empty_long_and_odd_characters() {
        for name in [
            "",
            &"x".repeat(65),
            "bad name",
            "a/b",
            "ü",
            "a\0b",
            "../x",
            "name!",
        ] {
            let err = validate_model_name(name).expect_err(name);
            assert_eq!(err.error_code, "INVALID_MODEL_NAME");
            assert_eq!(err.status, 422);
            assert!(err.is_for("name"));
        }
    }

    #[test]
    fn description_is_bounded_in_characters_not_bytes() {
        assert!(validate_description(&"é".repeat(1024)).is_ok());
        let err = validate_description(&"a".repeat(1025)).expect_err("too long");
        assert_eq!(err.error_code, "INVALID_DESCRIPTION");
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        let tags = validate_tags(vec![" churn ".into(), "Churn".into(), "tabular".into()]);
        assert_eq!(tags, Ok(vec!["churn".to_owned(), "tabular".to_owned()]));
        for bad in [
            vec!["  ".to_owned()],
            vec!["x".repeat(65)],
            vec!["a\nb".to_owned()],
        ] {
            assert_eq!(
                validate_tags(bad).expect_err("bad tag").error_code,
                "INVALID_TAGS"
            );
        }
        let many: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
        assert!(validate_tags(many).is_err());
        let enough: Vec<String> = (0..32).map(|i| format!("t{i}")).collect();
        assert_eq!(validate_tags(enough).map(|t| t.len()), Ok(32));
    }

    #[test]
    fn metadata_takes_any_json_within_bounds() {
        let ok = serde_json::json!({"threshold": 0.5, "team": "risk", "params": {"depth": 6}, "tags": ["a"], "on": true});
        let Value::Object(ok) = ok else {
            unreachable!()
        };
        assert_eq!(validate_metadata(ok.clone()), Ok(ok));
        let bad = |v: Value| match v {
            Value::Object(m) => validate_metadata(m).expect_err("invalid").error_code,
            _ => unreachable!(),
        };
        assert_eq!(bad(serde_json::json!({"": 1})), "INVALID_METADATA");
        assert_eq!(bad(serde_json::json!({"bell\u{7}": 1})), "INVALID_METADATA");
        assert_eq!(
            bad(serde_json::json!({"k".repeat(129): 1})),
            "INVALID_METADATA"
        );
        assert_eq!(
            bad(serde_json::json!({"k": "v".repeat(MAX_METADATA_BYTES)})),
            "INVALID_METADATA"
        );
        let many: Map<String, Value> = (0..=MAX_METADATA_KEYS)
            .map(|i| (format!("k{i}"), Value::Null))
            .collect();
        assert_eq!(bad(Value::Object(many)), "INVALID_METADATA");
        let mut deep = Value::Null;
        for _ in 0..MAX_METADATA_DEPTH {
            deep = serde_json::json!([deep]);
        }
        assert_eq!(bad(serde_json::json!({"deep": deep})), "INVALID_METADATA");
    }

    #[test]
    fn front_matter_is_the_yaml_between_the_first_two_rules() {
        assert_eq!(
            split_front_matter("---\nlicense: mit\n---\n# Card\n"),
            (Some("license: mit\n"), "# Card\n")
        );
        assert_eq!(split_front_matter("# Card\n---\n"), (None, "# Card\n---\n"));
        assert_eq!(
            split_front_matter("---\nnever closed\n"),
            (None, "---\nnever closed\n")
        );
        assert_eq!(
            validate_license(" Apache-2.0 "),
            Ok("apache-2.0".to_owned())
        );
        assert!(validate_license("MIT License").is_err());
    }

    #[test]
    fn class_labels_must_be_distinct_and_non_empty() {
        assert!(validate_class_labels(vec!["yes".into(), "no".into()]).is_ok());
        assert!(validate_class_labels(vec!["yes".into(), "yes".into()]).is_err());
        assert!(validate_class_labels(vec![String::new()]).is_err());
    }

    #[test]
    fn enums_parse_their_wire_names_only() {
        assert_eq!(
            TargetType::parse("text_generation"),
            Ok(TargetType::TextGeneration)
        );
        assert_eq!(
            TargetType::parse("Binary")
                .expect_err("case matters")
                .error_code,
            "INVALID_TARGET_TYPE"
        );
        assert_eq!(Visibility::parse("internal"), Ok(Visibility::Internal));
        assert!(Visibility::parse("secret").is_err());
        assert_eq!(ModelOrder::parse("-name"), Ok(ModelOrder::NameDesc));
        assert!(ModelOrder::parse("size").is_err());
    }

    #[test]
    fn patch_distinguishes_absent_null_and_value() {
        let patch: ModelPatch =
            serde_json::from_str(r#"{"target_type": null, "description": "new"}"#)
                .expect("valid patch");
        assert_eq!(patch.target_type, Patch::Clear);
        assert_eq!(patch.description, Patch::Set("new".to_owned()));
        assert_eq!(patch.name, Patch::Keep);
        assert!(serde_json::from_str::<ModelPatch>(r#"{"colour": "red"}"#).is_err());
    }

    #[test]
    fn applying_a_patch_validates_and_keeps_untouched_fields() {
        let fields = ModelFields::from_new(NewModel {
            name: "m".into(),
            target_type: Some("binary".into()),
            tags: Some(vec!["a".into()]),
            ..NewModel::default()
        })
        .expect("valid");
        let patched = fields
            .clone()
            .apply(ModelPatch {
                target_type: Patch::Clear,
                ..ModelPatch::default()
            })
            .expect("valid patch");
        assert_eq!(patched.target_type, None);
        assert_eq!(patched.tags, vec!["a".to_owned()]);
        let bad = fields.apply(ModelPatch {
            name: Patch::Set("no spaces".into()),
            ..ModelPatch::default()
        });
        assert_eq!(bad.expect_err("bad name").error_code, "INVALID_MODEL_NAME");
    }

    #[test]
    fn split_tags_ignores_blanks() {
        assert_eq!(split_tags(" a, ,b ,"), vec!["a".to_owned(), "b".to_owned()]);
    }
}
