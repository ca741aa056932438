//! A new version's fields as an HTML form sends them: flat names (`framework.library_name`,
//! `environment.pip_packages` one per line, `tags` comma-separated, `delete_paths` repeated) or
//! JSON text for objects and lists. The server reads multipart uploads with it and the upload
//! page builds its JSON request with it, so a form means the same thing with or without
//! JavaScript.

use super::error::ApiError;
use super::model::split_tags;
use super::version::NewVersion;
use crate::domain::error::codes;
use serde::de::DeserializeOwned;

fn json_field<T: DeserializeOwned>(name: &str, value: &str) -> Result<T, ApiError> {
    serde_json::from_str(value).map_err(|e| {
        ApiError::invalid(
            name,
            codes::INVALID_FIELD,
            format!("The form field '{name}' is not valid JSON of the expected shape: {e}"),
            "Objects and lists are sent as JSON text; see the version fields in GET /api/v1/openapi.json.",
        )
    })
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" | "" => Ok(false),
        _ => Err(ApiError::invalid(
            name,
            codes::INVALID_FIELD,
            format!("The form field '{name}' must be true or false."),
            "Send 'true' or 'false'.",
        )),
    }
}

/// Sets one text field of a new version. Objects and lists come as JSON text; forms without
/// JavaScript may use the flat names (`framework.library_name`, `environment.pip_packages` one
/// per line, `tags` comma-separated, `delete_paths` repeated).
pub fn apply_text_field(new: &mut NewVersion, name: &str, value: String) -> Result<(), ApiError> {
    let present = !value.trim().is_empty();
    match name {
        "bump" => new.bump = Some(value),
        "base_version" => new.base_version = Some(value),
        "description" => new.description = Some(value),
        "source_uri" => new.source_uri = Some(value),
        "run_id" => new.run_id = Some(value),
        "publish" => new.publish = Some(parse_bool(name, &value)?),
        "delete_paths" if value.trim_start().starts_with('[') => {
            let paths: Vec<String> = json_field(name, &value)?;
            new.delete_paths.get_or_insert_default().extend(paths);
        }
        "delete_paths" if present => new.delete_paths.get_or_insert_default().push(value),
        "tags" if value.trim_start().starts_with('[') => new.tags = Some(json_field(name, &value)?),
        "tags" => new.tags.get_or_insert_default().extend(split_tags(&value)),
        "metadata" if present => new.metadata = Some(json_field(name, &value)?),
        "metrics" if present => new.metrics = Some(json_field(name, &value)?),
        "framework" if present => new.framework = Some(json_field(name, &value)?),
        "environment" if present => new.environment = Some(json_field(name, &value)?),
        "git" if present => new.git = Some(json_field(name, &value)?),
        "framework.library_name" => {
            new.framework.get_or_insert_default().library_name = Some(value)
        }
        "framework.pipeline_tag" => {
            new.framework.get_or_insert_default().pipeline_tag = Some(value)
        }
        "framework.base_model" => new.framework.get_or_insert_default().base_model = Some(value),
        "environment.python_version" => {
            new.environment.get_or_insert_default().python_version = Some(value)
        }
        "environment.pip_packages" => new
            .environment
            .get_or_insert_default()
            .pip_packages
            .extend(value.lines().map(str::to_owned)),
        "git.commit_url" => new.git.get_or_insert_default().commit_url = Some(value),
        "git.main_branch_commit_sha" => {
            new.git.get_or_insert_default().main_branch_commit_sha = Some(value)
        }
        "git.pull_request_commit_sha" => {
            new.git.get_or_insert_default().pull_request_commit_sha = Some(value)
        }
        "git.ref_name" => new.git.get_or_insert_default().ref_name = Some(value),
        "delete_paths" | "metadata" | "metrics" | "framework" | "environment" | "git" => {}
        other => {
            return Err(ApiError::invalid(
                other,
                codes::INVALID_FIELD,
                format!("'{other}' is not a field of a new version."),
                "File parts need a file name; see the version fields in GET /api/v1/openapi.json.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_form_fields_fill_the_nested_ones() {
        let mut new = NewVersion::default();
        for (k, v) in [
            ("framework.library_name", "sklearn"),
            ("environment.pip_packages", "numpy>=1\npandas"),
            ("tags", "a, b"),
            ("delete_paths", "x.bin"),
            ("delete_paths", "y.bin"),
            ("publish", "on"),
            ("metadata", ""),
        ] {
            apply_text_field(&mut new, k, v.to_owned()).expect("valid field");
        }
        assert_eq!(
            new.framework.and_then(|f| f.library_name).as_deref(),
            Some("sklearn")
        );
        assert_eq!(
            new.environment.map(|e| e.pip_packages).unwrap_or_default(),
            vec!["numpy>=1".to_owned(), "pandas".to_owned()]
        );
        assert_eq!(new.tags, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(
            new.delete_paths,
            Some(vec!["x.bin".to_owned(), "y.bin".to_owned()])
        );
        assert_eq!(new.publish, Some(true));
        assert!(new.metadata.is_none());
    }

    #[test]
    fn unknown_and_malformed_fields_are_refused() {
        let mut new = NewVersion::default();
        let e = apply_text_field(&mut new, "colour", "red".into()).expect_err("unknown");
        assert_eq!(e.status, 422);
        let e = apply_text_field(&mut new, "metadata", "{oops".into()).expect_err("bad json");
        assert_eq!(e.field.as_deref(), Some("metadata"));
        let e = apply_text_field(&mut new, "publish", "maybe".into()).expect_err("bad bool");
        assert_eq!(e.field.as_deref(), Some("publish"));
    }
}
