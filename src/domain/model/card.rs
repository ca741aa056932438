//! A model card's YAML front matter: where it is in the card, what of it registries show, and
//! the license identifier it may name.

use super::preview;
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use serde::{Deserialize, Serialize};

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
            codes::INVALID_MODEL_CARD,
            format!(
                "The model card's license '{}' is not a license identifier.",
                preview(value)
            ),
            "Write an SPDX-style identifier such as mit, apache-2.0 or cc-by-4.0, or 'other'.",
        ))
    }
}
