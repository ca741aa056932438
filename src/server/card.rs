//! A model card's front matter read and checked: the YAML block at the top of the card, as
//! Hugging Face cards write it (`license`, `datasets`, `language`, `tags`, `metrics`). Saving a
//! card whose front matter cannot be read is refused with what to fix; fields it does not know
//! are left to the card.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::model::{
    CardMetadata, MAX_CARD_ITEM_CHARS, MAX_CARD_ITEMS, split_front_matter, validate_license,
};
use crate::server::yaml::{self, YamlError};
use yaml_rust2::Yaml;

fn invalid(msg: String) -> ApiError {
    ApiError::invalid(
        "readme",
        codes::INVALID_MODEL_CARD,
        msg,
        "Fix the YAML between the card's first two '---' lines (for example 'license: mit' and 'datasets: [churn-2024]'), or remove it.",
    )
}

/// The card's metadata; a card without front matter has none.
pub fn card_metadata(card: &str) -> Result<CardMetadata, ApiError> {
    let (Some(front), _) = split_front_matter(card) else {
        return Ok(CardMetadata::default());
    };
    let docs = yaml::load(front).map_err(|e| match e {
        YamlError::Aliases => {
            invalid("The model card's front matter uses YAML aliases (*name).".to_owned())
        }
        YamlError::Invalid(e) => invalid(format!(
            "The model card's front matter is not valid YAML: {e}."
        )),
    })?;
    let doc = match docs.into_iter().next() {
        None | Some(Yaml::Null) => return Ok(CardMetadata::default()),
        Some(doc @ Yaml::Hash(_)) => doc,
        Some(_) => {
            return Err(invalid(
                "The model card's front matter is not a list of 'key: value' fields.".to_owned(),
            ));
        }
    };
    let license = match &doc["license"] {
        Yaml::BadValue | Yaml::Null => None,
        Yaml::String(s) => Some(validate_license(s)?),
        _ => {
            return Err(invalid(
                "The model card's license is not a single identifier.".to_owned(),
            ));
        }
    };
    Ok(CardMetadata {
        license,
        datasets: list(&doc, "datasets")?,
        language: list(&doc, "language")?,
        tags: list(&doc, "tags")?,
        metrics: list(&doc, "metrics")?,
    })
}

/// A field that is one text or a list of texts (numbers and booleans read as text).
fn list(doc: &Yaml, key: &str) -> Result<Vec<String>, ApiError> {
    let item = |value: &Yaml| -> Result<String, ApiError> {
        let text = match value {
            Yaml::String(s) => s.trim().to_owned(),
            Yaml::Integer(i) => i.to_string(),
            Yaml::Real(r) => r.clone(),
            Yaml::Boolean(b) => b.to_string(),
            _ => {
                return Err(invalid(format!(
                    "The model card's '{key}' holds something other than text."
                )));
            }
        };
        if text.is_empty() || text.chars().count() > MAX_CARD_ITEM_CHARS {
            return Err(invalid(format!(
                "An entry of the model card's '{key}' is empty or longer than {MAX_CARD_ITEM_CHARS} characters."
            )));
        }
        Ok(text)
    };
    let items = match &doc[key] {
        Yaml::BadValue | Yaml::Null => return Ok(Vec::new()),
        Yaml::Array(values) => values.iter().map(item).collect::<Result<Vec<_>, _>>()?,
        single => vec![item(single)?],
    };
    if items.len() > MAX_CARD_ITEMS {
        return Err(invalid(format!(
            "The model card's '{key}' has {} entries; at most {MAX_CARD_ITEMS} are allowed.",
            items.len()
        )));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hugging_face_front_matter_is_read() {
        let card = "---\nlicense: Apache-2.0\nlanguage: en\ndatasets:\n  - churn-2024\n  - churn-2025\ntags: [tabular, 2024]\nmodel-index: {ignored: true}\n---\n# Churn\n";
        let meta = card_metadata(card).expect("valid");
        assert_eq!(meta.license.as_deref(), Some("apache-2.0"));
        assert_eq!(meta.language, ["en"]);
        assert_eq!(meta.datasets, ["churn-2024", "churn-2025"]);
        assert_eq!(meta.tags, ["tabular", "2024"]);
        assert!(meta.metrics.is_empty());
        assert_eq!(
            card_metadata("# No front matter").expect("valid"),
            CardMetadata::default()
        );
    }

    #[test]
    fn unreadable_front_matter_says_what_to_fix() {
        for card in [
            "---\nlicense: [mit, apache-2.0]\n---\n",
            "---\nlicense: MIT License\n---\n",
            "---\ndatasets: {a: b}\n---\n",
            "---\n- just\n- a list\n---\n",
            "---\nlicense: 'unclosed\n---\n",
            "---\na: &x [1]\nb: *x\n---\n",
        ] {
            let e = card_metadata(card).expect_err(card);
            assert_eq!(e.error_code, "INVALID_MODEL_CARD", "{card}");
            assert_eq!(e.field.as_deref(), Some("readme"));
        }
    }
}
