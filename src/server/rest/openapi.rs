//! The OpenAPI 3.1 description of every REST route, served at `/api/v1/openapi.json`. The
//! operations come from the `#[utoipa::path]` of each handler and the schemas from the types
//! they read and answer (derived from the domain types); this module adds what holds for every
//! operation: the error body, the refusals of inputs, who may call and the path parameters.

use crate::domain::download::MAX_DAYS;
use crate::domain::error::{ApiError, Code, codes};
use crate::domain::paging::{MAX_LIMIT, MAX_OFFSET};
use crate::server::state::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::sync::OnceLock;
use utoipa::PartialSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Response descriptions that several operations share.
pub mod says {
    use crate::domain::download::MAX_DAYS;
    use crate::server::services::tokens::{MAX_TOKENS_PER_WINDOW, TOKEN_WINDOW_MINUTES};

    pub const MODEL_404: &str = "MODEL_NOT_FOUND (also for models the caller cannot see).";
    pub const VERSION_404: &str =
        "MODEL_NOT_FOUND or VERSION_NOT_FOUND (also for models the caller cannot see).";
    pub const JOB_404: &str =
        "JOB_NOT_FOUND: no such job, or one on a model the caller cannot see.";
    pub const DATASET_404: &str = "DATASET_NOT_FOUND (also for datasets the caller cannot see: only its uploader, admins and those who can see a model with a version using it can).";
    pub const ROLE_403: &str = "FORBIDDEN: the caller's role does not allow it.";
    pub const ADMIN_ONLY: &str = "ADMIN_ONLY: only admins may do this.";
    pub const NOT_SIGNED_IN: &str = "Not signed in, or the token is unknown, revoked or expired.";
    pub const BAD_TOKEN: &str = "The token is unknown, revoked or expired (without one, the answer is what anyone may see).";

    pub fn too_many_tokens() -> String {
        format!(
            "TOO_MANY_TOKENS: the caller created {MAX_TOKENS_PER_WINDOW} tokens in the last {TOKEN_WINDOW_MINUTES} minutes (revoked ones count)."
        )
    }

    pub fn invalid_days() -> String {
        format!("INVALID_FIELD: days is outside 1..{MAX_DAYS}; 'field' is days.")
    }
}

/// What each path parameter is, wherever it appears.
const PATH_PARAMETERS: [(&str, &str); 6] = [
    ("model", "A model's name (any case) or id."),
    (
        "version",
        "A version number (1.4.0), an alias, 'latest' or 'primary'.",
    ),
    ("alias", "An alias name: lowercase, starting with a letter."),
    ("path", "The file's relative path, e.g. model/weights.bin."),
    ("username", "A username (any case)."),
    ("team", "A team's name (any case) or id."),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The document, built once from the route rows.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

fn build() -> Value {
    let operations = crate::server::rest::operations();
    let mut doc = serde_json::to_value(&operations).unwrap_or_else(|_| json!({"paths": {}}));
    doc["openapi"] = json!("3.1.0");
    doc["info"] = json!({
        "title": "Modelyard REST API",
        "version": "1",
        "description": "Models, versions, feature impact and access control. Authenticate with 'Authorization: Bearer <token>' (create tokens on the API tokens page or with POST /api/v1/tokens). Every error answers with {error_code, error_msg, solution_msg}."
    });
    doc["servers"] = json!([{"url": "/"}]);
    doc["security"] = json!([{"bearer": []}, {"session": []}]);
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "description": "An API token, 'myd_…'."},
        "session": {"type": "apiKey", "in": "cookie", "name": "modelyard_session", "description": "The browser session; writes must carry the app's own Origin."}
    });
    doc["components"]["schemas"]["Error"] =
        serde_json::to_value(ApiError::schema()).unwrap_or_default();
    doc["components"]["schemas"]["Error"]["properties"]["error_code"]["enum"] =
        codes::ALL.iter().map(|code| json!(code.as_str())).collect();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        // The router's catch-all `{*path}` is a plain `{path}` in OpenAPI.
        *paths = std::mem::take(paths)
            .into_iter()
            .map(|(path, item)| (path.replace("{*", "{"), item))
            .collect();
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                if let Some(op) = item.get_mut(method) {
                    describe_path_parameters(path, op);
                    describe_callers(op);
                    describe_error_bodies(op);
                }
            }
        }
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        document_limits(schemas);
    }
    document_common_refusals(&mut doc);
    doc
}

/// The bounds of some fields of a schema, as JSON Schema keywords.
type Bounds<'a> = Vec<(&'a str, Value)>;

/// The domain's bounds on what clients send, shown on the schemas of the request bodies (the
/// derive takes only literal numbers, and these are the constants the validation uses).
fn document_limits(schemas: &mut serde_json::Map<String, Value>) {
    use crate::domain::access::MAX_ACCESS_CHANGES;
    use crate::domain::feature_impact::{
        MAX_FEATURE_NAME_CHARS, MAX_IMPORTED_FEATURES, MAX_ROW_COUNT, MIN_ROW_COUNT,
    };
    use crate::domain::identity::{
        MAX_DISPLAY_NAME_CHARS, MAX_PASSWORD_CHARS, MAX_TEAM_DESCRIPTION_CHARS, MAX_TOKEN_DAYS,
        MAX_TOKEN_NAME_CHARS, MAX_USERNAME_CHARS, MIN_PASSWORD_CHARS,
    };
    use crate::domain::model::{
        MAX_CLASS_LABELS, MAX_DESCRIPTION_CHARS, MAX_METADATA_KEYS, MAX_NAME_CHARS,
        MAX_README_CHARS, MAX_TAGS, MAX_TARGET_NAME_CHARS,
    };
    use crate::domain::version::{MAX_METRICS, MAX_VERSION_DESCRIPTION_CHARS};
    let metadata = json!({"maxProperties": MAX_METADATA_KEYS});
    let tags = json!({"maxItems": MAX_TAGS});
    let password = json!({"minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS});
    let model = [
        ("name", json!({"minLength": 1, "maxLength": MAX_NAME_CHARS})),
        ("description", json!({"maxLength": MAX_DESCRIPTION_CHARS})),
        ("readme", json!({"maxLength": MAX_README_CHARS})),
        ("target_name", json!({"maxLength": MAX_TARGET_NAME_CHARS})),
        ("class_labels", json!({"maxItems": MAX_CLASS_LABELS})),
        ("tags", tags.clone()),
        ("metadata", metadata.clone()),
    ];
    let version = [
        (
            "description",
            json!({"maxLength": MAX_VERSION_DESCRIPTION_CHARS}),
        ),
        ("tags", tags),
        ("metrics", json!({"maxItems": MAX_METRICS})),
        ("metadata", metadata),
    ];
    let display_name = ("display_name", json!({"maxLength": MAX_DISPLAY_NAME_CHARS}));
    let rows: Vec<(&[&str], Bounds)> = vec![
        (&["NewModel", "ModelPatch"], model.to_vec()),
        (&["NewVersion", "VersionPatch"], version.to_vec()),
        (
            &["NewToken"],
            vec![
                (
                    "name",
                    json!({"minLength": 1, "maxLength": MAX_TOKEN_NAME_CHARS}),
                ),
                (
                    "expires_in_days",
                    json!({"minimum": 1, "maximum": MAX_TOKEN_DAYS}),
                ),
            ],
        ),
        (
            &["NewUserRequest"],
            vec![
                (
                    "username",
                    json!({"minLength": 1, "maxLength": MAX_USERNAME_CHARS}),
                ),
                ("password", password.clone()),
                display_name.clone(),
            ],
        ),
        (
            &["UserPatch"],
            vec![("password", password.clone()), display_name],
        ),
        (&["PasswordChange"], vec![("new_password", password)]),
        (
            &["NewTeam"],
            vec![(
                "description",
                json!({"maxLength": MAX_TEAM_DESCRIPTION_CHARS}),
            )],
        ),
        (
            &["AccessUpdate"],
            vec![(
                "data",
                json!({"minItems": 1, "maxItems": MAX_ACCESS_CHANGES}),
            )],
        ),
        (
            &["FeatureImpactRequest"],
            vec![(
                "row_count",
                json!({"minimum": MIN_ROW_COUNT, "maximum": MAX_ROW_COUNT}),
            )],
        ),
        (
            &["FeatureImpactImport"],
            vec![(
                "feature_impacts",
                json!({"minItems": 1, "maxItems": MAX_IMPORTED_FEATURES}),
            )],
        ),
        (
            &["ImportedImpact"],
            vec![(
                "feature_name",
                json!({"minLength": 1, "maxLength": MAX_FEATURE_NAME_CHARS}),
            )],
        ),
    ];
    for (names, fields) in rows {
        for name in names {
            for (field, bounds) in &fields {
                let Some(property) = schemas
                    .get_mut(*name)
                    .and_then(|s| s.pointer_mut(&format!("/properties/{field}")))
                    .and_then(Value::as_object_mut)
                else {
                    continue;
                };
                if let Some(bounds) = bounds.as_object() {
                    property.extend(bounds.clone());
                }
            }
        }
    }
}

/// Declares each `{parameter}` of `path` the operation does not declare itself.
fn describe_path_parameters(path: &str, op: &mut Value) {
    let declared: Vec<String> = op["parameters"]
        .as_array()
        .map(|params| {
            params
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut added = Vec::new();
    for name in path
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
    {
        if declared.iter().any(|d| d == name) {
            continue;
        }
        let description = PATH_PARAMETERS
            .iter()
            .find(|(known, _)| *known == name)
            .map_or("", |(_, description)| description);
        added.push(json!({"name": name, "in": "path", "required": true,
            "description": description, "schema": {"type": "string"}}));
    }
    if added.is_empty() {
        return;
    }
    match op["parameters"].as_array_mut() {
        Some(params) => {
            for (i, param) in added.into_iter().enumerate() {
                params.insert(i, param);
            }
        }
        None => op["parameters"] = Value::Array(added),
    }
}

/// Who may call: an operation that needs a signed-in caller answers 401 without one; one where
/// signing in is optional (an empty security requirement among others) still refuses a token
/// that is unknown, revoked or expired; one open to all (only the empty requirement) never does.
fn describe_callers(op: &mut Value) {
    let requirements = op["security"].as_array().cloned().unwrap_or_default();
    let anonymous = requirements.iter().any(|r| r == &json!({}));
    let description = match (anonymous, requirements.len()) {
        (true, 1) => return,
        (true, _) => says::BAD_TOKEN,
        (false, _) => says::NOT_SIGNED_IN,
    };
    if let Some(responses) = op["responses"].as_object_mut() {
        responses
            .entry("401")
            .or_insert_with(|| json!({"description": description}));
    }
}

/// Every refusal answers the error body.
fn describe_error_bodies(op: &mut Value) {
    let Some(responses) = op["responses"].as_object_mut() else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            response["content"] = error_content();
        }
    }
}

/// A schema written as JSON, for bodies no Rust type describes (multipart forms).
pub fn schema_from_json(schema: Value) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(schema).unwrap_or_else(|_| {
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Object::new().into())
    })
}

fn error_content() -> Value {
    json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}})
}

fn error_ref(description: &str) -> Value {
    json!({"description": description, "content": error_content()})
}

/// The refusals every operation of a kind can answer, added where an operation does not
/// already describe them, so the document says what the server sends: any JSON body can be
/// malformed (400), too large (413), of another type (415), not an object or with a wrong
/// field (422); any query string can hold a value of the wrong type (400); a paged list
/// refuses an offset or a limit out of range (422).
fn document_common_refusals(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                continue;
            };
            let takes_json = op
                .get("requestBody")
                .and_then(|b| b.pointer("/content/application~1json"))
                .is_some();
            let mut query: Vec<String> = Vec::new();
            if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                for param in params.iter_mut().filter(|p| p["in"] == "query") {
                    let name = param["name"].as_str().unwrap_or_default().to_owned();
                    let (description, bounds) = match name.as_str() {
                        "offset" => (
                            "Items to skip.",
                            json!({"minimum": 0, "maximum": MAX_OFFSET}),
                        ),
                        "limit" => (
                            "Items per page (default 50).",
                            json!({"minimum": 1, "maximum": MAX_LIMIT}),
                        ),
                        "days" => ("", json!({"minimum": 1, "maximum": MAX_DAYS})),
                        _ => ("", json!({})),
                    };
                    if param.get("description").is_none() && !description.is_empty() {
                        param["description"] = json!(description);
                    }
                    if let (Some(schema), Some(bounds)) =
                        (param["schema"].as_object_mut(), bounds.as_object())
                    {
                        schema.extend(bounds.clone());
                    }
                    query.push(name);
                }
            }
            let paged = query.iter().any(|q| q == "offset" || q == "limit");
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let mut refusal = |status: &str, code: Code, what: &str| {
                let entry = responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_ref(""));
                let described = entry["description"].as_str().unwrap_or_default().to_owned();
                if !described.contains(code.as_str()) {
                    let joined = if described.is_empty() {
                        format!("{code}: {what}")
                    } else {
                        format!("{described} {code}: {what}")
                    };
                    entry["description"] = json!(joined);
                }
            };
            if takes_json {
                refusal("400", codes::MALFORMED_JSON, "the body is not valid JSON.");
                refusal(
                    "413",
                    codes::BODY_TOO_LARGE,
                    "the body is larger than the JSON limit (--max-json-bytes).",
                );
                refusal(
                    "415",
                    codes::UNSUPPORTED_MEDIA_TYPE,
                    "the body is not sent as application/json.",
                );
                refusal(
                    "422",
                    codes::BODY_NOT_AN_OBJECT,
                    "the body is JSON but not an object.",
                );
                refusal(
                    "422",
                    codes::INVALID_FIELD,
                    "a field is missing, unknown or of the wrong type; 'field' names it.",
                );
            }
            if !query.is_empty() {
                refusal(
                    "400",
                    codes::INVALID_QUERY,
                    "a query parameter has the wrong type.",
                );
            }
            if paged {
                refusal(
                    "422",
                    codes::INVALID_PAGING,
                    &format!("offset is outside 0..{MAX_OFFSET} or limit outside 1..{MAX_LIMIT}."),
                );
            }
        }
    }
}

#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "meta", operation_id = "get_openapi",
    summary = "This document",
    security(()),
    responses((status = 200, description = "OpenAPI 3.1.", content_type = "application/json"))
)]
pub async fn openapi() -> impl IntoResponse {
    // Serialized once: the document does not change while the server runs.
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| document().to_string());
    ([(header::CONTENT_TYPE, "application/json")], text.as_str())
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_path_is_documented() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        for served in crate::server::rest::route_paths() {
            let documented = served.replace("{*", "{");
            assert!(
                paths.contains_key(&documented),
                "{served} is not documented"
            );
        }
    }

    #[test]
    fn every_operation_documents_the_refusals_of_its_inputs() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        let mut json_bodies = 0;
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let responses = &op["responses"];
                let mentions = |status: &str, code: &str| {
                    responses[status]["description"]
                        .as_str()
                        .is_some_and(|d| d.contains(code))
                };
                if op
                    .pointer("/requestBody/content/application~1json")
                    .is_some()
                {
                    json_bodies += 1;
                    for (status, code) in [
                        ("400", "MALFORMED_JSON"),
                        ("413", "BODY_TOO_LARGE"),
                        ("415", "UNSUPPORTED_MEDIA_TYPE"),
                        ("422", "BODY_NOT_AN_OBJECT"),
                    ] {
                        assert!(mentions(status, code), "{method} {path}: {status} {code}");
                    }
                }
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                if params.iter().any(|p| p["in"] == "query") {
                    assert!(mentions("400", "INVALID_QUERY"), "{method} {path}");
                }
                if let Some(offset) = params.iter().find(|p| p["name"] == "offset") {
                    assert!(mentions("422", "INVALID_PAGING"), "{method} {path}");
                    assert_eq!(offset["schema"]["maximum"], json!(MAX_OFFSET), "{path}");
                }
            }
        }
        assert!(json_bodies > 10, "{json_bodies} operations take JSON");
    }

    #[test]
    fn every_path_has_operations_with_responses() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        for documented in [
            "/api/v1/models/{model}/versions/{version}/files/{path}",
            "/api/v1/models/{model}/aliases/{alias}/history",
            "/api/v1/models/{model}/primary",
            "/api/v1/limits",
            "/api/v1/models/{model}/access",
            "/api/v1/audit",
            "/api/v1/teams/{team}/members/{username}",
        ] {
            assert!(paths.contains_key(documented), "{documented} is missing");
        }
        assert!(doc["components"]["schemas"]["Version"].is_object());
        for (path, item) in paths {
            let ops: Vec<_> = ["get", "post", "patch", "put", "delete"]
                .iter()
                .filter_map(|m| item.get(*m))
                .collect();
            assert!(!ops.is_empty(), "{path} has no operation");
            for op in ops {
                assert!(
                    op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{path}"
                );
            }
        }
    }
}
