//! The rules each field of a model obeys (names, bounded text, class labels, tags, metadata),
//! the ones versions share with it, and splitting what is typed in a form.

use crate::domain::error::{ApiError, Code, codes};
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

pub(super) fn name_error(msg: impl Into<String>) -> ApiError {
    ApiError::invalid(
        "name",
        codes::INVALID_MODEL_NAME,
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
    code: Code,
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
        codes::INVALID_DESCRIPTION,
        "description",
    )
}

pub fn validate_readme(value: &str) -> Result<String, ApiError> {
    bounded_text(
        value,
        MAX_README_CHARS,
        "readme",
        codes::INVALID_README,
        "model card",
    )
}

pub fn validate_target_name(value: &str) -> Result<String, ApiError> {
    bounded_text(
        value.trim(),
        MAX_TARGET_NAME_CHARS,
        "target_name",
        codes::INVALID_TARGET_NAME,
        "target name",
    )
}

pub fn validate_class_labels(labels: Vec<String>) -> Result<Vec<String>, ApiError> {
    let invalid = |msg: String| {
        ApiError::invalid(
            "class_labels",
            codes::INVALID_CLASS_LABELS,
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
            codes::INVALID_TAGS,
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
            codes::INVALID_METADATA,
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
