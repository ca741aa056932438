//! Models as clients see them, and the rules their fields obey: the closed choices
//! ([`TargetType`], [`Visibility`], [`Role`]), the model card's front matter, what may be
//! submitted to create or change a model, the validation of each field, and list queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod card;
mod changes;
mod choices;
mod query;
mod validation;

pub use card::*;
pub use changes::*;
pub use choices::*;
pub use query::*;
pub use validation::*;

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

/// A model as clients see it: the fields its owners set ([`ModelFields`], read through
/// `model.name` and so on) and what the registry keeps about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Model {
    pub id: String,
    #[serde(flatten)]
    pub fields: ModelFields,
    pub primary_version: Option<String>,
    pub latest_version: Option<String>,
    pub version_count: i64,
    /// Every download of its versions' files and zips, ever.
    #[serde(default)]
    pub download_count: i64,
    pub aliases: Vec<AliasRef>,
    pub role: Option<Role>,
    pub created_by: String,
    #[serde(serialize_with = "crate::domain::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::timestamp::serialize")]
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

impl std::ops::Deref for Model {
    type Target = ModelFields;

    fn deref(&self) -> &ModelFields {
        &self.fields
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

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
