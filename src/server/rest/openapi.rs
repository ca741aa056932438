//! The OpenAPI 3.1 description of every REST route, served at `/api/v1/openapi.json`.

use crate::domain::download::{DEFAULT_DAYS, MAX_DAYS};
use crate::domain::paging::{MAX_LIMIT, MAX_OFFSET};
use crate::server::services::tokens::{MAX_TOKENS_PER_WINDOW, TOKEN_WINDOW_MINUTES};
use axum::Json;
use serde_json::{Value, json};

fn error_ref(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn query_param(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

pub fn document() -> Value {
    let model_param = path_param("model", "A model's name (any case) or id.");
    let auth_errors = json!({
        "401": error_ref("Not signed in, or the token is unknown, revoked or expired."),
    });
    let with = |mut responses: Value, extra: Value| {
        if let (Some(r), Some(e)) = (responses.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                r.insert(k.clone(), v.clone());
            }
        }
        responses
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Modelyard REST API",
            "version": "1",
            "description": "Models, versions, feature impact and access control. Authenticate with 'Authorization: Bearer <token>' (create tokens on the API tokens page or with POST /api/v1/tokens). Every error answers with {error_code, error_msg, solution_msg}."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/v1/me": {"get": {
                "summary": "Who is calling", "operationId": "get_me",
                "responses": with(json!({"200": ok("The caller.", "Me")}), auth_errors.clone())
            }},
            "/api/v1/tokens": {
                "get": {
                    "summary": "The caller's API tokens (never their secrets); with all=true, every user's (admins)", "operationId": "list_tokens",
                    "parameters": [query_param("all", json!({"type": "boolean"}), "Admins: every user's tokens, paged, each with its username.")],
                    "responses": with(json!({"200": ok("Tokens, newest first.", "TokenList")}), auth_errors.clone())
                },
                "post": {
                    "summary": "Create an API token; the secret is in this answer only", "operationId": "create_token",
                    "requestBody": body("NewToken"),
                    "responses": with(json!({
                        "201": ok("The token, with its secret.", "CreatedToken"),
                        "422": error_ref("INVALID_TOKEN_NAME or INVALID_EXPIRY."),
                        "429": {
                            "description": format!("TOO_MANY_TOKENS: the caller created {MAX_TOKENS_PER_WINDOW} tokens in the last {TOKEN_WINDOW_MINUTES} minutes (revoked ones count)."),
                            "headers": {"Retry-After": {"description": "Seconds until another token may be created.", "schema": {"type": "integer", "minimum": 1}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                        }
                    }), auth_errors.clone())
                }
            },
            "/api/v1/tokens/{id}": {"delete": {
                "summary": "Revoke one of the caller's tokens (admins: anyone's)", "operationId": "revoke_token",
                "parameters": [path_param("id", "The token's id.")],
                "responses": with(json!({
                    "204": {"description": "Revoked (also when it already was)."},
                    "404": error_ref("TOKEN_NOT_FOUND.")
                }), auth_errors.clone())
            }},
            "/api/v1/models": {
                "get": {
                    "summary": "Models the caller can see", "operationId": "list_models",
                    "security": [{"bearer": []}, {"session": []}, {}],
                    "parameters": [
                        query_param("search", json!({"type": "string"}), "Matches name, description and tags, ignoring case."),
                        query_param("order_by", json!({"type": "string", "enum": ["", "name", "-name", "created", "-created", "updated", "-updated"], "default": "-updated"}), "Sort order; '-' for descending. Empty is the same as leaving it out."),
                        query_param("tag", json!({"type": "string"}), "Only models with this tag (ignoring case)."),
                        query_param("license", json!({"type": "string"}), "Only models whose card names this license (e.g. mit, apache-2.0)."),
                        query_param("target_type", json!({"anyOf": [{"$ref": "#/components/schemas/TargetType"}, {"const": ""}]}), "Only models of this target type; empty is the same as leaving it out."),
                        query_param("offset", json!({"type": "integer", "minimum": 0, "default": 0}), "Items to skip."),
                        query_param("limit", json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}), "Items per page.")
                    ],
                    "responses": {
                        "200": ok("One page of models.", "ModelList"),
                        "400": error_ref("INVALID_QUERY: a parameter has the wrong type."),
                        "422": error_ref("INVALID_ORDER_BY, INVALID_PAGING or INVALID_TARGET_TYPE.")
                    }
                },
                "post": {
                    "summary": "Create a model (no version is created); the caller becomes Owner", "operationId": "create_model",
                    "requestBody": body("NewModel"),
                    "responses": with(json!({
                        "201": ok("The new model.", "Model"),
                        "400": error_ref("MALFORMED_JSON."),
                        "409": error_ref("MODEL_NAME_TAKEN: names are unique ignoring case."),
                        "413": error_ref("BODY_TOO_LARGE."),
                        "415": error_ref("UNSUPPORTED_MEDIA_TYPE."),
                        "422": error_ref("A field is invalid; 'field' names it.")
                    }), auth_errors.clone())
                }
            },
            "/api/v1/models/{model}": {
                "parameters": [model_param],
                "get": {
                    "summary": "One model", "operationId": "get_model",
                    "security": [{"bearer": []}, {"session": []}, {}],
                    "responses": {"200": ok("The model.", "Model"), "404": error_ref("MODEL_NOT_FOUND (also for models the caller cannot see).")}
                },
                "patch": {
                    "summary": "Change model-level fields (never a version); null clears a field", "operationId": "update_model",
                    "requestBody": body("ModelPatch"),
                    "responses": with(json!({
                        "200": ok("The changed model.", "Model"),
                        "403": error_ref("FORBIDDEN: Editor needed; Owner for visibility and archived."),
                        "404": error_ref("MODEL_NOT_FOUND."),
                        "409": error_ref("MODEL_NAME_TAKEN."),
                        "422": error_ref("A field is invalid.")
                    }), auth_errors.clone())
                },
                "delete": {
                    "summary": "Delete a model; Owner only", "operationId": "delete_model",
                    "responses": with(json!({
                        "204": {"description": "Deleted."},
                        "403": error_ref("FORBIDDEN: Owner needed."),
                        "404": error_ref("MODEL_NOT_FOUND.")
                    }), auth_errors)
                }
            },
            "/api/v1/openapi.json": {"get": {
                "summary": "This document", "operationId": "get_openapi", "security": [{}],
                "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {}}}}
            }}
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token, 'myd_…'."},
                "session": {"type": "apiKey", "in": "cookie", "name": "modelyard_session", "description": "The browser session; writes must carry the app's own Origin."}
            },
            "schemas": {
                "Error": {"type": "object", "required": ["error_code", "error_msg", "solution_msg"], "properties": {
                    "error_code": {"type": "string", "examples": ["MODEL_NOT_FOUND"]},
                    "error_msg": {"type": "string"},
                    "solution_msg": {"type": "string"},
                    "field": {"type": "string", "description": "The input field at fault, for validation errors."}
                }},
                "Me": {"type": "object", "properties": {"username": {"type": "string"}, "display_name": {"type": "string"}, "is_admin": {"type": "boolean"}}},
                "TargetType": {"type": "string", "enum": ["binary", "multiclass", "regression", "anomaly", "text_generation", "other"]},
                "Visibility": {"type": "string", "enum": ["private", "internal", "public"], "default": "private"},
                "Role": {"type": ["string", "null"], "enum": ["OWNER", "EDITOR", "VIEWER", null]},
                "NewToken": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 64},
                    "expires_in_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650}
                }},
                "Token": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": ["string", "null"], "format": "date-time"},
                    "last_used_at": {"type": ["string", "null"], "format": "date-time"},
                    "revoked": {"type": "boolean"}
                }},
                "CreatedToken": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": ["string", "null"], "format": "date-time"},
                    "token": {"type": "string", "description": "The secret, shown only here."}
                }},
                "TokenList": list_schema("Token"),
                "NewModel": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": model_properties()},
                "ModelPatch": {"type": "object", "additionalProperties": false, "properties": {
                    "archived": {"type": "boolean"}
                }, "allOf": [{"properties": model_properties()}]},
                "Model": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
                    "readme": {"type": "string"}, "target_type": {"oneOf": [{"$ref": "#/components/schemas/TargetType"}, {"type": "null"}]},
                    "target_name": {"type": "string"}, "class_labels": {"type": "array", "items": {"type": "string"}},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "metadata": {"type": "object", "description": "Any JSON object: at most 256 keys, 64 KiB as JSON, 16 levels deep."},
                    "visibility": {"$ref": "#/components/schemas/Visibility"}, "archived": {"type": "boolean"},
                    "primary_version": {"type": ["string", "null"]}, "latest_version": {"type": ["string", "null"]},
                    "version_count": {"type": "integer"},
                    "download_count": {"type": "integer", "description": "Every download of its versions' files and zips, ever (GET /api/v1/models/{model}/downloads has them by day)."},
                    "aliases": {"type": "array", "items": {"type": "object", "properties": {"alias": {"type": "string"}, "version": {"type": "string"}, "protected": {"type": "boolean"}, "version_active": {"type": "boolean"}}}},
                    "license": {"type": ["string", "null"], "description": "The license the card's YAML front matter names."},
                    "card_metadata": {"type": "object", "description": "What the card's YAML front matter says (Hugging Face convention); a card whose front matter cannot be read is refused with 422 INVALID_MODEL_CARD.",
                        "properties": {"license": {"type": "string"}, "datasets": {"type": "array", "items": {"type": "string"}}, "language": {"type": "array", "items": {"type": "string"}},
                            "tags": {"type": "array", "items": {"type": "string"}}, "metrics": {"type": "array", "items": {"type": "string"}}}},
                    "role": {"$ref": "#/components/schemas/Role"},
                    "created_by": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"}
                }},
                "ModelList": list_schema("Model")
            }
        }
    })
}

fn model_properties() -> Value {
    json!({
        "name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
        "description": {"type": "string", "maxLength": 1024},
        "readme": {"type": "string", "maxLength": 65536, "description": "The model card, in Markdown."},
        "target_type": {"oneOf": [{"$ref": "#/components/schemas/TargetType"}, {"type": "null"}]},
        "target_name": {"type": "string", "maxLength": 256},
        "class_labels": {"type": "array", "maxItems": 1000, "items": {"type": "string", "minLength": 1, "maxLength": 256}},
        "tags": {"type": "array", "maxItems": 32, "items": {"type": "string", "minLength": 1, "maxLength": 64}},
        "metadata": {"type": "object", "maxProperties": 256, "description": "Any JSON values: keys of 1 to 128 characters, at most 64 KiB as JSON, 16 levels deep."},
        "visibility": {"$ref": "#/components/schemas/Visibility"}
    })
}

fn list_schema(item: &str) -> Value {
    json!({"type": "object", "properties": {
        "count": {"type": "integer"}, "total_count": {"type": "integer"},
        "offset": {"type": "integer"}, "limit": {"type": "integer"},
        "next": {"type": ["string", "null"]}, "previous": {"type": ["string", "null"]},
        "data": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}}
    }})
}

/// Versions, files, aliases, the primary version, copies and limits.
fn version_paths() -> Value {
    let model = path_param("model", "A model's name (any case) or id.");
    let version = path_param(
        "version",
        "A version number (1.4.0), an alias, 'latest' or 'primary'.",
    );
    let alias = path_param("alias", "An alias name: lowercase, starting with a letter.");
    let file = path_param("path", "The file's relative path, e.g. model/weights.bin.");
    let e401 = error_ref("Not signed in, or the token is unknown, revoked or expired.");
    let e403 = error_ref("FORBIDDEN: the caller's role does not allow it.");
    let e404 =
        error_ref("MODEL_NOT_FOUND or VERSION_NOT_FOUND (also for models the caller cannot see).");
    let version_ok = ok("The version.", "Version");
    json!({
        "/api/v1/models/{model}/versions": {
            "get": {
                "summary": "A model's versions, newest first", "operationId": "list_versions",
                "parameters": [model, query_param("state", json!({"type": "string", "enum": ["draft", "published"]}), "Only versions in this state."),
                    query_param("offset", json!({"type": "integer", "minimum": 0}), "Skip this many."),
                    query_param("limit", json!({"type": "integer", "minimum": 1, "maximum": 1000}), "At most this many (default 50).")],
                "responses": {"200": ok("A page of versions.", "VersionList"), "404": e404}
            },
            "post": {
                "summary": "Create a version: JSON (fields; files inherited from base_version) or multipart/form-data (fields as text parts, objects and lists as JSON text; file parts named by their relative path; bump, base_version and delete_paths before the first file)",
                "operationId": "create_version",
                "parameters": [model],
                "requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/NewVersion"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}
                }},
                "responses": {
                    "201": ok("The new version.", "Version"), "401": e401, "403": e403, "404": e404,
                    "413": error_ref("FILE_TOO_LARGE or TOO_MANY_FILES: nothing was kept."),
                    "415": error_ref("UNSUPPORTED_MEDIA_TYPE."),
                    "422": error_ref("INVALID_BUMP, INVALID_FILE_PATH, DUPLICATE_FILE_PATH, FIELD_AFTER_FILES, FILE_NOT_FOUND (delete_paths), INVALID_METRIC, …")
                }
            }
        },
        "/api/v1/models/{model}/versions/{version}": {
            "get": {"summary": "One version with files, dependencies, fqn and usage snippet", "operationId": "get_version",
                "parameters": [model, version], "responses": {"200": version_ok, "404": e404}},
            "patch": {"summary": "Change version-level fields (never files, never the model); absent = keep, null = clear. A published version changes only description, tags and metadata", "operationId": "update_version",
                "parameters": [model, version], "requestBody": body("VersionPatch"),
                "responses": {"200": version_ok, "401": e401, "403": e403, "404": e404, "409": error_ref("VERSION_PUBLISHED: a published version's metrics, framework, environment, git, source_uri and run_id are frozen."), "422": error_ref("A field is invalid.")}},
            "delete": {"summary": "Delete a version for good; the model goes with its last version unless keep_model=true", "operationId": "delete_version",
                "parameters": [model, version, query_param("keep_model", json!({"type": "boolean", "default": false}), "Keep the model (without versions) when this is its last version.")],
                "responses": {"200": ok("What was deleted; unprotected aliases on it go with it, recorded in their history.", "VersionDeleted"), "401": e401, "403": e403, "404": e404, "409": error_ref("VERSION_HAS_PROTECTED_ALIAS: move the protected alias first.")}}
        },
        "/api/v1/models/{model}/versions/{version}/files": {
            "get": {"summary": "A version's files", "operationId": "list_files", "parameters": [model, version],
                "responses": {"200": {"description": "{count, data: [{path, size, sha256, content_type}]}"}, "404": e404}}
        },
        "/api/v1/models/{model}/versions/{version}/files/{path}": {
            "get": {"summary": "Download one file; ETag is its SHA-256, Range and If-None-Match are honoured", "operationId": "get_file",
                "parameters": [model, version, file],
                "responses": {"200": {"description": "The bytes."}, "206": {"description": "The requested range."}, "304": {"description": "Not modified."},
                    "404": error_ref("FILE_NOT_FOUND."), "416": error_ref("RANGE_NOT_SATISFIABLE.")}},
            "put": {"summary": "Write one file of a draft from the raw body (streamed)", "operationId": "put_file",
                "parameters": [model, version, file],
                "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": {"200": ok("Replaced.", "VersionFile"), "201": ok("Added.", "VersionFile"), "401": e401, "403": e403, "404": e404,
                    "409": error_ref("VERSION_PUBLISHED or VERSION_NOT_READY."), "413": error_ref("FILE_TOO_LARGE or TOO_MANY_FILES."),
                    "422": error_ref("INVALID_FILE_PATH.")}},
            "delete": {"summary": "Remove one file of a draft", "operationId": "delete_file",
                "parameters": [model, version, file],
                "responses": {"204": {"description": "Removed."}, "401": e401, "403": e403, "404": error_ref("FILE_NOT_FOUND."),
                    "409": error_ref("VERSION_PUBLISHED.")}}
        },
        "/api/v1/models/{model}/downloads": {
            "get": {"summary": "How often the model's versions were downloaded over the last days (whoever can read the model; anyone for a public one)", "operationId": "model_downloads",
                "parameters": [model, query_param("days", json!({"type": "integer", "minimum": 1, "maximum": MAX_DAYS, "default": DEFAULT_DAYS}), "The window: this many UTC days, today included.")],
                "responses": {"200": ok("Downloads in the window: by day (every day, oldest first) and by version (every version, newest first, each with its last download ever).", "ModelDownloads"),
                    "401": e401, "404": error_ref("MODEL_NOT_FOUND (also for models the caller cannot see)."),
                    "422": error_ref(&format!("INVALID_FIELD: days is outside 1..{MAX_DAYS}; 'field' is days."))}}
        },
        "/api/v1/models/{model}/versions/{version}/download": {
            "get": {"summary": "Every file of the version as one streamed zip (stored, ZIP64 when needed)", "operationId": "download_version",
                "parameters": [model, version], "responses": {"200": {"description": "application/zip"}, "404": e404}}
        },
        "/api/v1/models/{model}/versions/{version}/publish": {
            "post": {"summary": "Freeze the files; publishing again changes nothing", "operationId": "publish_version",
                "parameters": [model, version], "responses": {"200": version_ok, "401": e401, "403": e403, "404": e404, "409": error_ref("VERSION_NOT_READY.")}}
        },
        "/api/v1/models/{model}/versions/{version}/deactivate": {
            "post": {"summary": "Deactivate a version", "operationId": "deactivate_version",
                "parameters": [model, version], "responses": {"200": version_ok, "401": e401, "403": e403, "404": e404, "409": error_ref("VERSION_IS_PRIMARY: promote another version first; VERSION_HAS_PROTECTED_ALIAS: move the protected alias first.")}}
        },
        "/api/v1/models/{model}/versions/{version}/activate": {
            "post": {"summary": "Reactivate a version", "operationId": "activate_version",
                "parameters": [model, version], "responses": {"200": version_ok, "401": e401, "403": e403, "404": e404}}
        },
        "/api/v1/models/{model}/primary": {
            "put": {"summary": "Promote a version to primary", "operationId": "promote_version",
                "parameters": [model], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["version"], "properties": {"version": {"type": "string"}}}}}},
                "responses": {"200": ok("The model.", "Model"), "401": e401, "403": e403, "404": e404,
                    "409": error_ref("VERSION_CANNOT_BE_PRIMARY: drafts, failed, pending and inactive versions cannot be primary.")}}
        },
        "/api/v1/models/{model}/copy": {
            "post": {"summary": "Copy a model with its versions, files and aliases (no bytes copied)", "operationId": "copy_model",
                "parameters": [model], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}},
                "responses": {"201": ok("The copy.", "Model"), "401": e401, "404": e404, "409": error_ref("MODEL_NAME_TAKEN."), "422": error_ref("INVALID_MODEL_NAME.")}}
        },
        "/api/v1/models/{model}/aliases": {
            "get": {"summary": "A model's aliases", "operationId": "list_aliases", "parameters": [model],
                "responses": {"200": {"description": "{count, total_count, data: [Alias]}"}, "404": e404}}
        },
        "/api/v1/models/{model}/aliases/{alias}": {
            "put": {"summary": "Point an alias at a version (a protected alias, or protection itself, needs an Owner)", "operationId": "set_alias",
                "parameters": [model, alias], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["version"], "properties": {"version": {"type": "string"}, "protected": {"type": "boolean"}}}}}},
                "responses": {"200": ok("The alias.", "Alias"), "401": e401, "403": error_ref("FORBIDDEN or ALIAS_PROTECTED."), "404": e404,
                    "409": error_ref("VERSION_NOT_READY, or VERSION_INACTIVE for a protected alias."), "422": error_ref("INVALID_ALIAS, or the version does not exist.")}},
            "delete": {"summary": "Remove an alias", "operationId": "delete_alias", "parameters": [model, alias],
                "responses": {"204": {"description": "Removed."}, "401": e401, "403": error_ref("FORBIDDEN or ALIAS_PROTECTED."), "404": error_ref("ALIAS_NOT_FOUND.")}}
        },
        "/api/v1/models/{model}/aliases/{alias}/history": {
            "get": {"summary": "Every move of an alias, newest first", "operationId": "alias_history", "parameters": [model, alias],
                "responses": {"200": {"description": "A page of {alias, from_version, to_version, protected, actor, moved_at}."}, "404": error_ref("ALIAS_NOT_FOUND.")}}
        },
        "/api/v1/limits": {
            "get": {"summary": "The limits in force", "operationId": "get_limits", "security": [{}],
                "responses": {"200": {"description": "{max_upload_bytes, max_files_per_version, max_json_bytes, max_path_bytes, max_path_depth, max_metrics_per_version, max_version_metadata_bytes, max_metadata_bytes, max_tags, max_page_size}"}}}
        }
    })
}

fn version_schemas() -> Value {
    let fields = json!({
        "description": {"type": "string", "maxLength": 4096},
        "metadata": {"type": "object", "description": "Any JSON object: at most 256 keys, 64 KiB as JSON, 16 levels deep (the same rule as a model's)."},
        "tags": {"type": "array", "maxItems": 32, "items": {"type": "string"}},
        "metrics": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/Metric"}},
        "framework": {"type": "object", "properties": {"library_name": {"type": "string"}, "pipeline_tag": {"type": "string"}, "base_model": {"type": "string"}}},
        "environment": {"type": "object", "properties": {"python_version": {"type": "string", "examples": ["3.11"]}, "pip_packages": {"type": "array", "items": {"type": "string"}}}},
        "git": {"type": "object", "properties": {"commit_url": {"type": "string", "format": "uri"}, "main_branch_commit_sha": {"type": "string"}, "pull_request_commit_sha": {"type": "string"}, "ref_name": {"type": "string"}}},
        "source_uri": {"type": "string"},
        "run_id": {"type": "string"}
    });
    let mut new_version = fields.clone();
    if let Some(o) = new_version.as_object_mut() {
        o.insert(
            "bump".into(),
            json!({"type": "string", "enum": ["major", "minor", "patch"], "default": "minor"}),
        );
        o.insert(
            "base_version".into(),
            json!({"type": "string", "description": "Start from this version's files."}),
        );
        o.insert("delete_paths".into(), json!({"type": "array", "items": {"type": "string"}, "description": "Files of the base version to leave out."}));
        o.insert(
            "publish".into(),
            json!({"type": "boolean", "default": false}),
        );
    }
    json!({
        "Metric": {"type": "object", "required": ["key", "value"], "properties": {
            "key": {"type": "string"}, "value": {"type": "number"}, "step": {"type": "integer", "minimum": 0},
            "timestamp": {"type": "string", "format": "date-time"}}},
        "NewVersion": {"type": "object", "additionalProperties": false, "properties": new_version},
        "VersionPatch": {"type": "object", "additionalProperties": false, "properties": fields},
        "VersionFile": {"type": "object", "properties": {"path": {"type": "string"}, "size": {"type": "integer"}, "sha256": {"type": "string"}, "content_type": {"type": "string"}}},
        "Version": {"type": "object", "properties": {
            "version": {"type": "string", "examples": ["1.4.0"]}, "fqn": {"type": "string", "examples": ["churn:1.4.0"]},
            "state": {"type": "string", "enum": ["draft", "published"]},
            "registration": {"type": "string", "enum": ["pending", "ready", "failed"]},
            "active": {"type": "boolean"}, "is_primary": {"type": "boolean"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "files": {"type": "array", "items": {"$ref": "#/components/schemas/VersionFile"}},
            "training_dataset": {"oneOf": [{"$ref": "#/components/schemas/DatasetRef"}, {"type": "null"}], "description": "The data the version was trained on (feature impact samples it)."},
            "holdout_dataset": {"oneOf": [{"$ref": "#/components/schemas/DatasetRef"}, {"type": "null"}], "description": "Data kept out of training."},
            "dependencies": {"type": "array", "items": {"type": "object", "properties": {
                "package_name": {"type": "string"}, "extras": {"type": "array", "items": {"type": "string"}},
                "constraints": {"type": "array", "items": {"type": "object", "properties": {"constraint_type": {"type": "string"}, "version": {"type": "string"}}}},
                "marker": {"type": ["string", "null"]}, "line": {"type": "string"}, "line_number": {"type": "integer"}}}},
            "unparsed_dependencies": {"type": "array", "items": {"type": "object", "properties": {"line": {"type": "string"}, "line_number": {"type": "integer"}, "reason": {"type": "string"}}}},
            "usage_snippet": {"type": "object", "properties": {"curl": {"type": "string"}, "python": {"type": "string"}}},
            "signature": {"oneOf": [{"$ref": "#/components/schemas/Signature"}, {"type": "null"}], "description": "The model's inputs and outputs, read whenever the version's files change: the `signature:` of its MLflow `MLmodel` file (the shallowest one) when it declares one, else the inputs and outputs of the ONNX graph it runs (its only .onnx file, or model.onnx). Null when no file declares them."},
            "signature_note": {"type": ["string", "null"], "description": "Why a file that should declare the signature could not be read (a malformed MLmodel, say); the upload itself succeeds."},
            "download_count": {"type": "integer", "description": "Every download of the version, ever: each GET of one of its files served from the first byte (a Range request from a later byte, a HEAD or a 304 does not count) and each GET of its zip."},
            "last_download_at": {"type": ["string", "null"], "format": "date", "description": "The last UTC day the version was downloaded; null if never."},
            "created_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}
        }, "allOf": [{"properties": fields}]},
        "SignatureField": {"type": "object", "required": ["name", "type", "shape"], "properties": {
            "name": {"type": ["string", "null"], "description": "Null for an unnamed tensor or column."},
            "type": {"type": "string", "description": "Element type of a tensor (float32, float64, int64, string, bool, …) or MLflow column type (double, long, string, array<string>, …).", "examples": ["float32", "double"]},
            "shape": {"type": ["array", "null"], "items": {"type": ["integer", "string", "null"]}, "description": "A tensor's dimensions: a size, the name of a symbolic dimension, or null where it varies (MLflow's -1). Null for a column (one value per row) or an undeclared shape.", "examples": [[null, 4]]},
            "optional": {"type": "boolean", "default": false, "description": "An MLflow column marked \"required\": false; present only when true."}}},
        "Signature": {"type": "object", "required": ["inputs", "outputs", "source", "kind"], "properties": {
            "inputs": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/SignatureField"}},
            "outputs": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/SignatureField"}},
            "source": {"type": "string", "enum": ["onnx", "mlmodel"]},
            "kind": {"type": "string", "enum": ["columns", "tensors"], "description": "columns: an MLflow column-based schema, whose input names are dataset columns (feature impact refuses training data lacking one). tensors: tensors; their names are dataset columns only when there are several, each 1-D or [rows, 1]."}}},
        "VersionList": list_schema("Version"),
        "ModelDownloads": {"type": "object", "required": ["model", "days", "total", "by_day", "by_version"], "properties": {
            "model": {"type": "string"}, "days": {"type": "integer"},
            "total": {"type": "integer", "description": "Downloads in the window."},
            "by_day": {"type": "array", "items": {"type": "object", "properties": {
                "day": {"type": "string", "format": "date", "examples": ["2026-12-01"]},
                "file": {"type": "integer", "description": "Downloads of single files."},
                "zip": {"type": "integer", "description": "Downloads of the whole version as a zip."}}}},
            "by_version": {"type": "array", "items": {"type": "object", "properties": {
                "version": {"type": "string"},
                "total": {"type": "integer", "description": "Its downloads in the window."},
                "last_download_at": {"type": ["string", "null"], "format": "date", "description": "The last UTC day it was downloaded, in the window or before; null if never."}}}}
        }},
        "VersionDeleted": {"type": "object", "properties": {"version": {"type": "string"}, "model_deleted": {"type": "boolean"}}},
        "Alias": {"type": "object", "properties": {"alias": {"type": "string"}, "version": {"type": "string"}, "protected": {"type": "boolean"}, "version_active": {"type": "boolean"},
            "updated_by": {"type": "string"}, "updated_at": {"type": "string", "format": "date-time"}}}
    })
}

/// Feature impact: reading a version's, and importing results computed elsewhere.
fn feature_impact_paths() -> Value {
    let model = path_param("model", "A model's name (any case) or id.");
    let version = path_param(
        "version",
        "A version number (1.4.0), an alias, 'latest' or 'primary'.",
    );
    let e404 =
        error_ref("MODEL_NOT_FOUND or VERSION_NOT_FOUND (also for models the caller cannot see).");
    json!({
        "/api/v1/models/{model}/versions/{version}/feature-impact": {
            "parameters": [model, version],
            "get": {
                "summary": "The version's feature impact, most important feature first", "operationId": "get_feature_impact",
                "security": [{"bearer": []}, {"session": []}, {}],
                "responses": {
                    "200": ok("The feature impact.", "FeatureImpact"),
                    "404": error_ref("FEATURE_IMPACT_NOT_FOUND (none computed or imported yet), MODEL_NOT_FOUND or VERSION_NOT_FOUND.")
                }
            },
            "post": {
                "summary": "Start computing the version's feature impact by permutation importance (Editor or above)", "operationId": "start_feature_impact",
                "description": "Samples row_count rows of the version's training data (seeded), scores the model (RMSE for regression, log loss for classification), shuffles each feature 5 times and records how much worse the score got. Predictions come from the version's ONNX file (the only one, or model.onnx), run here, or from a prediction server speaking the custom-model protocol (GET {prefix}/, POST {prefix}/predict_no_state/) whose host the server allows (MODELYARD_PREDICTION_HOSTS). Follow the job at the Location header.",
                "requestBody": body("FeatureImpactRequest"),
                "responses": {
                    "202": {"description": "Queued; poll the job at the Location header.", "headers": {"Location": {"schema": {"type": "string"}, "description": "/api/v1/jobs/{id}"}},
                        "content": {"application/json": {"schema": {"type": "object", "properties": {"job_id": {"type": "string"}}}}}},
                    "400": error_ref("MALFORMED_JSON."),
                    "401": error_ref("Not signed in, or the token is unknown, revoked or expired."),
                    "403": error_ref("FORBIDDEN: computing needs an Editor or Owner role."),
                    "404": e404.clone(),
                    "409": error_ref("JOB_ALREADY_RUNNING: a computation for this version is queued or running."),
                    "422": error_ref("NO_TRAINING_DATA, INVALID_ROW_COUNT (outside 10..100000), DATASET_TOO_SMALL, UNSUPPORTED_TARGET_TYPE, DATASET_COLUMNS_MISSING (the training data lacks input columns the version's signature names; error_msg lists them), NO_RUNNABLE_MODEL, SEVERAL_MODELS, UNSUPPORTED_OPERATORS (names them), MODEL_CANNOT_RUN, INVALID_PREDICTION_URL, PREDICTION_HOST_NOT_ALLOWED or INVALID_FIELD.")
                }
            },
            "put": {
                "summary": "Import feature impact computed elsewhere (e.g. SHAP), replacing the version's; normalized values are computed here. Published versions accept it too", "operationId": "import_feature_impact",
                "requestBody": body("FeatureImpactImport"),
                "responses": {
                    "200": ok("What was stored, normalized and most important first; method is 'imported'.", "FeatureImpact"),
                    "400": error_ref("MALFORMED_JSON."),
                    "401": error_ref("Not signed in, or the token is unknown, revoked or expired."),
                    "403": error_ref("FORBIDDEN: importing needs an Editor or Owner role."),
                    "404": e404,
                    "413": error_ref("BODY_TOO_LARGE."),
                    "422": error_ref("NO_FEATURE_IMPACTS, TOO_MANY_FEATURES, INVALID_FEATURE_NAME, DUPLICATE_FEATURE, INVALID_IMPACT, INVALID_ROW_COUNT or INVALID_FIELD; 'field' names the entry, e.g. feature_impacts[3].feature_name.")
                }
            }
        }
    })
}

fn feature_impact_schemas() -> Value {
    use crate::domain::feature_impact::{
        DEFAULT_ROW_COUNT, MAX_FEATURE_NAME_CHARS, MAX_IMPORTED_FEATURES, MAX_ROW_COUNT,
        MIN_ROW_COUNT,
    };
    json!({
        "FeatureImpactRequest": {"type": "object", "additionalProperties": false, "properties": {
            "row_count": {"type": "integer", "minimum": MIN_ROW_COUNT, "maximum": MAX_ROW_COUNT,
                "description": format!("Rows to sample; default min({DEFAULT_ROW_COUNT}, the dataset's rows).")},
            "prediction_url": {"type": "string", "description": "A prediction server's base URL; without it the version's ONNX file runs here."},
            "seed": {"type": "integer", "minimum": 0, "description": "Seeds sampling and shuffling (default 0); the same seed gives the same numbers."}}},
        "FeatureImpactItem": {"type": "object", "properties": {
            "feature_name": {"type": "string"},
            "impact_normalized": {"type": "number", "maximum": 1, "description": "Relative to the most important feature (1). Negative when shuffling the feature made the model better."},
            "impact_unnormalized": {"type": "number", "description": "How much worse the score got when the feature was shuffled, or the imported value."},
            "redundant_with": {"type": ["string", "null"], "description": "The feature this one correlates with most, when strongly enough to call it redundant."},
            "parent_feature_name": {"type": ["string", "null"]}}},
        "FeatureImpact": {"type": "object", "properties": {
            "count": {"type": "integer"},
            "feature_impacts": {"type": "array", "items": {"$ref": "#/components/schemas/FeatureImpactItem"}},
            "ran_redundancy_detection": {"type": "boolean"},
            "row_count": {"type": ["integer", "null"]},
            "shap_based": {"type": "boolean"},
            "method": {"type": "string", "enum": ["permutation", "imported"]},
            "computed_at": {"type": "string", "format": "date-time"},
            "metric": {"type": ["string", "null"], "enum": ["rmse", "log_loss", null]},
            "base_score": {"type": ["number", "null"]},
            "dataset_id": {"type": ["string", "null"]},
            "job_id": {"type": ["string", "null"]}}},
        "FeatureImpactImport": {"type": "object", "required": ["feature_impacts"], "additionalProperties": false, "properties": {
            "feature_impacts": {"type": "array", "minItems": 1, "maxItems": MAX_IMPORTED_FEATURES, "items": {
                "type": "object", "required": ["feature_name", "impact_unnormalized"], "additionalProperties": false, "properties": {
                    "feature_name": {"type": "string", "minLength": 1, "maxLength": MAX_FEATURE_NAME_CHARS, "description": "Unique within the import (after trimming spaces)."},
                    "impact_unnormalized": {"type": "number"},
                    "parent_feature_name": {"type": ["string", "null"]}}}},
            "shap_based": {"type": "boolean", "default": false},
            "row_count": {"type": "integer", "minimum": 1, "description": "Rows the impacts were computed on, if known."}}}
    })
}

/// Sharing, users, teams, the audit log and the caller's password.
fn access_paths() -> Value {
    let model = path_param("model", "A model's name (any case) or id.");
    let username = path_param("username", "A username (any case).");
    let team = path_param("team", "A team's name (any case) or id.");
    let e401 = error_ref("Not signed in, or the token is unknown, revoked or expired.");
    let admin_only = error_ref("ADMIN_ONLY: only admins may do this.");
    let paging = || {
        vec![
            query_param(
                "offset",
                json!({"type": "integer", "minimum": 0}),
                "Skip this many.",
            ),
            query_param(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 1000}),
                "At most this many (default 50).",
            ),
        ]
    };
    let with_paging = |mut params: Vec<Value>| {
        params.extend(paging());
        Value::Array(params)
    };
    json!({
        "/api/v1/models/{model}/access": {
            "get": {"summary": "Who has access to the model", "operationId": "list_access",
                "parameters": [model],
                "responses": {"200": ok("Grants, owners first.", "AccessList"), "401": e401,
                    "404": error_ref("MODEL_NOT_FOUND (also for models the caller cannot see).")}},
            "patch": {"summary": "Grant, change or remove up to 100 roles at once (all or nothing)", "operationId": "update_access",
                "description": "Each entry names a username or a team and a role (OWNER, EDITOR, VIEWER; ADMIN, READ_WRITE, DATA_SCIENTIST, USER, CONSUMER, OBSERVER and READ_ONLY are mapped) or null to remove. A sharer (an owner, an admin, or a grant with can_share) grants at most its own role and changes only grants up to it.",
                "parameters": [model], "requestBody": body("AccessUpdate"),
                "responses": {"200": ok("The grants after the change.", "AccessList"), "401": e401,
                    "403": error_ref("FORBIDDEN (no share rights) or ROLE_ABOVE_YOUR_OWN."),
                    "404": error_ref("MODEL_NOT_FOUND."),
                    "409": error_ref("LAST_OWNER: the model would be left without an owner."),
                    "422": error_ref("USER_NOT_FOUND, TEAM_NOT_FOUND, USER_DEACTIVATED, INVALID_ROLE, INVALID_PRINCIPAL, DUPLICATE_PRINCIPAL or INVALID_ACCESS_CHANGES, with the field (data[i].username).")}}
        },
        "/api/v1/me/password": {
            "put": {"summary": "Change the caller's own password; other sessions end, this one stays", "operationId": "change_password",
                "requestBody": body("PasswordChange"),
                "responses": {"204": {"description": "Changed."}, "401": e401,
                    "422": error_ref("WRONG_PASSWORD (current_password) or INVALID_PASSWORD (new_password).")}}
        },
        "/api/v1/users": {
            "get": {"summary": "Every user (admins)", "operationId": "list_users",
                "parameters": with_paging(vec![query_param("search", json!({"type": "string"}), "Matches username or display name.")]),
                "responses": {"200": ok("Users by name.", "UserList"), "401": e401, "403": admin_only}},
            "post": {"summary": "Create a user (admins)", "operationId": "create_user",
                "requestBody": body("NewUser"),
                "responses": {"201": ok("The user.", "User"), "401": e401, "403": admin_only,
                    "409": error_ref("USERNAME_TAKEN."), "422": error_ref("INVALID_USERNAME, INVALID_PASSWORD or INVALID_DISPLAY_NAME.")}}
        },
        "/api/v1/users/{username}": {
            "get": {"summary": "One user (admins)", "operationId": "get_user", "parameters": [username.clone()],
                "responses": {"200": ok("The user.", "User"), "401": e401, "403": admin_only, "404": error_ref("USER_NOT_FOUND.")}},
            "patch": {"summary": "Change a user (admins): display name, reset password, admin, active", "operationId": "update_user",
                "description": "Resetting the password or deactivating ends the user's sessions; a deactivated user's tokens stop working at once.",
                "parameters": [username], "requestBody": body("UserPatch"),
                "responses": {"200": ok("The user.", "User"), "401": e401, "403": admin_only, "404": error_ref("USER_NOT_FOUND."),
                    "409": error_ref("LAST_ADMIN or CANNOT_LOCK_YOURSELF_OUT."), "422": error_ref("INVALID_PASSWORD or INVALID_DISPLAY_NAME.")}}
        },
        "/api/v1/teams": {
            "get": {"summary": "Teams with their members (any signed-in user)", "operationId": "list_teams",
                "parameters": with_paging(vec![query_param("search", json!({"type": "string"}), "Matches the team name.")]),
                "responses": {"200": ok("Teams by name.", "TeamList"), "401": e401}},
            "post": {"summary": "Create a team (admins)", "operationId": "create_team", "requestBody": body("NewTeam"),
                "responses": {"201": ok("The team.", "Team"), "401": e401, "403": admin_only,
                    "409": error_ref("TEAM_NAME_TAKEN."), "422": error_ref("INVALID_TEAM_NAME or INVALID_DESCRIPTION.")}}
        },
        "/api/v1/teams/{team}": {
            "get": {"summary": "One team and its members", "operationId": "get_team", "parameters": [team.clone()],
                "responses": {"200": ok("The team.", "Team"), "401": e401, "404": error_ref("TEAM_NOT_FOUND.")}},
            "delete": {"summary": "Delete a team and its grants (admins)", "operationId": "delete_team", "parameters": [team.clone()],
                "responses": {"204": {"description": "Deleted."}, "401": e401, "403": admin_only, "404": error_ref("TEAM_NOT_FOUND."),
                    "409": error_ref("LAST_OWNER: the team is some model's only owner.")}}
        },
        "/api/v1/teams/{team}/members/{username}": {
            "put": {"summary": "Add a member (admins)", "operationId": "add_team_member", "parameters": [team.clone(), path_param("username", "A username.")],
                "responses": {"200": ok("The team.", "Team"), "401": e401, "403": admin_only, "404": error_ref("TEAM_NOT_FOUND or USER_NOT_FOUND.")}},
            "delete": {"summary": "Remove a member (admins)", "operationId": "remove_team_member", "parameters": [team, path_param("username", "A username.")],
                "responses": {"204": {"description": "Removed."}, "401": e401, "403": admin_only, "404": error_ref("TEAM_NOT_FOUND, USER_NOT_FOUND or NOT_A_MEMBER.")}}
        },
        "/api/v1/audit": {
            "get": {"summary": "Audit events, newest first: admins see all, others their own models'", "operationId": "list_audit",
                "parameters": with_paging(vec![
                    query_param("model", json!({"type": "string"}), "One model (name or id; admins may give a deleted model's id). The caller must own it."),
                    query_param("actor", json!({"type": "string"}), "Events by this username."),
                    query_param("action", json!({"type": "string", "examples": ["alias,version.promote"]}), "Comma-separated actions (alias.set) or families (alias)."),
                    query_param("since", json!({"type": "string", "format": "date-time"}), "From this time (RFC 3339 or a date)."),
                    query_param("until", json!({"type": "string", "format": "date-time"}), "Before this time.")
                ]),
                "responses": {"200": ok("A page of events.", "AuditList"), "401": e401,
                    "403": error_ref("FORBIDDEN: the caller does not own that model."), "404": error_ref("MODEL_NOT_FOUND."),
                    "422": error_ref("INVALID_TIME or INVALID_PAGING.")}}
        }
    })
}

fn access_schemas() -> Value {
    let role = json!({"type": "string", "enum": ["OWNER", "EDITOR", "VIEWER"]});
    json!({
        "AccessEntry": {"type": "object", "properties": {
            "principal_type": {"type": "string", "enum": ["user", "team"]}, "name": {"type": "string"},
            "display_name": {"type": "string"}, "role": role, "can_share": {"type": "boolean"}}},
        "AccessList": list_schema("AccessEntry"),
        "AccessUpdate": {"type": "object", "required": ["data"], "additionalProperties": false, "properties": {
            "data": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "object", "additionalProperties": false, "required": ["role"], "properties": {
                "username": {"type": "string"}, "team": {"type": "string"},
                "role": {"type": ["string", "null"], "description": "null removes the grant."},
                "can_share": {"type": "boolean", "description": "Left out: unchanged (false for a new grant)."}}}}}},
        "PasswordChange": {"type": "object", "required": ["current_password", "new_password"], "additionalProperties": false, "properties": {
            "current_password": {"type": "string"}, "new_password": {"type": "string", "minLength": 8}}},
        "User": {"type": "object", "properties": {"username": {"type": "string"}, "display_name": {"type": "string"},
            "is_admin": {"type": "boolean"}, "is_active": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"}}},
        "UserList": list_schema("User"),
        "NewUser": {"type": "object", "required": ["username", "password"], "additionalProperties": false, "properties": {
            "username": {"type": "string"}, "display_name": {"type": "string"}, "password": {"type": "string", "minLength": 8}, "is_admin": {"type": "boolean", "default": false}}},
        "UserPatch": {"type": "object", "additionalProperties": false, "properties": {
            "display_name": {"type": "string"}, "password": {"type": "string", "minLength": 8}, "is_admin": {"type": "boolean"}, "is_active": {"type": "boolean"}}},
        "Team": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
            "member_count": {"type": "integer"},
            "members": {"type": "array", "items": {"type": "object", "properties": {"username": {"type": "string"}, "display_name": {"type": "string"}}}},
            "created_at": {"type": "string", "format": "date-time"}}},
        "TeamList": list_schema("Team"),
        "NewTeam": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {"name": {"type": "string"}, "description": {"type": "string", "maxLength": 1000}}},
        "AuditEvent": {"type": "object", "properties": {"id": {"type": "integer"}, "actor": {"type": ["string", "null"]},
            "action": {"type": "string", "examples": ["alias.set"]}, "target": {"type": "string"}, "model": {"type": ["string", "null"]},
            "model_deleted": {"type": "boolean", "description": "The model no longer exists; model is its name when deleted."},
            "details": {"type": "object", "description": "What changed (never secrets)."}, "created_at": {"type": "string", "format": "date-time"}}},
        "AuditList": list_schema("AuditEvent")
    })
}

/// Datasets and a version's training data.
fn dataset_paths() -> Value {
    let id = path_param("id", "A dataset's id.");
    let model = path_param("model", "A model's name (any case) or id.");
    let version = path_param(
        "version",
        "A version number (1.4.0), an alias, 'latest' or 'primary'.",
    );
    let e401 = error_ref("Not signed in, or the token is unknown, revoked or expired.");
    let e404 = error_ref(
        "DATASET_NOT_FOUND (also for datasets the caller cannot see: only its uploader, admins and those who can see a model with a version using it can).",
    );
    let version_404 =
        error_ref("MODEL_NOT_FOUND or VERSION_NOT_FOUND (also for models the caller cannot see).");
    json!({
        "/api/v1/datasets": {
            "get": {"summary": "Datasets the caller can see, newest first (without previews)", "operationId": "list_datasets",
                "parameters": [
                    query_param("search", json!({"type": "string"}), "Matches the name, ignoring case."),
                    query_param("offset", json!({"type": "integer", "minimum": 0, "default": 0}), "Items to skip."),
                    query_param("limit", json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}), "Items per page.")
                ],
                "responses": {"200": ok("One page of datasets.", "DatasetList"), "401": e401,
                    "422": error_ref("INVALID_PAGING.")}},
            "post": {"summary": "Upload a CSV file as a dataset (any signed-in user): the header row names the columns, each column's type is inferred from its values", "operationId": "create_dataset",
                "description": "The file streams into storage (bounded by --max-upload-bytes), then is read whole: the first row names the columns (1 to 10000, each once; a UTF-8 byte order mark is dropped), every other row must have as many fields. Types: numeric, boolean (yes/no words), categorical (few distinct short values) or text. The name is the 'name' field, or else the file name without '.csv'.",
                "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary", "description": "The CSV file, UTF-8."},
                    "name": {"type": "string", "minLength": 1, "maxLength": 128}
                }}}}},
                "responses": {"201": ok("The dataset, with a preview of its first rows.", "Dataset"), "401": e401,
                    "400": error_ref("MALFORMED_MULTIPART or UPLOAD_INTERRUPTED."),
                    "413": error_ref("FILE_TOO_LARGE: nothing was kept."),
                    "415": error_ref("UNSUPPORTED_MEDIA_TYPE: send multipart/form-data."),
                    "422": error_ref("DATASET_EMPTY, DATASET_RAGGED_ROW (names the line), DATASET_BAD_ENCODING (names the line), DATASET_BAD_HEADER (an empty or repeated column name), DATASET_TOO_MANY_COLUMNS, DATASET_ROW_TOO_LONG, DATASET_FILE_MISSING, DATASET_ONE_FILE, INVALID_DATASET_NAME or UNKNOWN_FIELD; 'field' is 'file' or 'name'.")}}
        },
        "/api/v1/datasets/{id}": {
            "get": {"summary": "One dataset with a preview of its first rows and the versions (the caller can see) that use it", "operationId": "get_dataset",
                "parameters": [id.clone()],
                "responses": {"200": ok("The dataset.", "DatasetDetail"), "401": e401, "404": e404.clone()}},
            "delete": {"summary": "Delete a dataset (its uploader or an admin) that no version uses", "operationId": "delete_dataset",
                "parameters": [id],
                "responses": {"204": {"description": "Deleted."}, "401": e401,
                    "403": error_ref("FORBIDDEN: only the uploader or an admin may delete it."), "404": e404,
                    "409": error_ref("DATASET_IN_USE: versions use it as training or holdout data; the message names them.")}}
        },
        "/api/v1/models/{model}/versions/{version}/training-data": {
            "put": {"summary": "Assign a version's training data and, optionally, holdout data (Editor; published versions too)", "operationId": "set_training_data",
                "description": "The caller must be able to see both datasets, the model must have a target name, and the target must be a column of each. Everyone who can see the model can then see the datasets.",
                "parameters": [model.clone(), version.clone()], "requestBody": body("TrainingDataRequest"),
                "responses": {"200": ok("The version, with training_dataset and holdout_dataset.", "Version"), "401": e401,
                    "403": error_ref("FORBIDDEN: Editor needed."), "404": version_404.clone(),
                    "422": error_ref("DATASET_NOT_FOUND, DATASET_REQUIRED, HOLDOUT_IS_TRAINING_DATA or TARGET_NOT_IN_DATASET (with the field: dataset_id or holdout_dataset_id), MODEL_HAS_NO_TARGET.")}},
            "delete": {"summary": "Clear a version's training and holdout data (Editor)", "operationId": "clear_training_data",
                "parameters": [model, version],
                "responses": {"200": ok("The version, without training data.", "Version"), "401": e401,
                    "403": error_ref("FORBIDDEN: Editor needed."), "404": version_404}}
        }
    })
}

fn dataset_schemas() -> Value {
    json!({
        "DatasetRef": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
        "Column": {"type": "object", "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "enum": ["numeric", "boolean", "categorical", "text"]},
            "missing_count": {"type": "integer", "description": "Empty cells and NA, N/A, NaN, null, None, ?, -."},
            "distinct_count": {"type": ["integer", "null"], "description": "Distinct values; null when more than 1000."},
            "min": {"type": ["number", "null"]}, "max": {"type": ["number", "null"]}, "mean": {"type": ["number", "null"]}
        }},
        "Dataset": {"type": "object", "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "columns": {"type": "array", "items": {"$ref": "#/components/schemas/Column"}},
            "row_count": {"type": "integer"}, "size": {"type": "integer", "description": "Bytes."},
            "sha256": {"type": "string"}, "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "preview": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}, "description": "The first 20 rows as text (long cells are cut); only when one dataset is answered."}
        }},
        "DatasetDetail": {"allOf": [{"$ref": "#/components/schemas/Dataset"}, {"type": "object", "properties": {
            "used_by": {"type": "array", "items": {"type": "object", "properties": {
                "model": {"type": "string"}, "version": {"type": "string"},
                "training": {"type": "boolean"}, "holdout": {"type": "boolean"}}}}
        }}]},
        "DatasetList": list_schema("Dataset"),
        "TrainingDataRequest": {"type": "object", "required": ["dataset_id"], "additionalProperties": false, "properties": {
            "dataset_id": {"type": "string"},
            "holdout_dataset_id": {"type": ["string", "null"]}
        }}
    })
}

fn job_paths() -> Value {
    let id = path_param("id", "The job id from the 202 answer that started it.");
    let e401 = error_ref("Not signed in, or the token is unknown, revoked or expired.");
    let e404 = error_ref("JOB_NOT_FOUND: no such job, or one on a model the caller cannot see.");
    json!({
        "/api/v1/jobs/{id}": {
            "get": {"summary": "A job's state, progress (0 to 1), error and result", "operationId": "get_job",
                "parameters": [id],
                "responses": {"200": ok("The job.", "Job"), "401": e401, "404": e404}},
            "delete": {"summary": "Cancel a job: a queued one at once, a running one at its next step (Editor or above, or whoever started it)", "operationId": "cancel_job",
                "parameters": [id],
                "responses": {"200": ok("The job, canceled or asked to stop.", "Job"), "401": e401,
                    "403": error_ref("FORBIDDEN: Viewers may follow jobs but not cancel them."),
                    "404": e404,
                    "409": error_ref("JOB_FINISHED: the job already succeeded, failed or was canceled.")}}
        },
        "/api/v1/jobs/{id}/log": {
            "get": {"summary": "A job's log lines, oldest first", "operationId": "job_log",
                "parameters": [id],
                "responses": {"200": ok("Log lines.", "JobLog"), "401": e401, "404": e404}}
        }
    })
}

fn job_schemas() -> Value {
    json!({
        "Job": {"type": "object", "properties": {
            "id": {"type": "string"}, "kind": {"type": "string", "examples": ["feature_impact"]},
            "state": {"type": "string", "enum": ["queued", "running", "succeeded", "failed", "canceled"]},
            "progress": {"type": "number", "minimum": 0, "maximum": 1},
            "error": {"type": ["string", "null"], "description": "Why it failed, for people."},
            "result": {"description": "What a finished job produced (kind-specific JSON)."},
            "attempts": {"type": "integer", "description": "How many times a worker started it (more than 1 after a restart)."},
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"}}},
        "JobLogLine": {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}, "message": {"type": "string"}}},
        "JobLog": list_schema("JobLogLine")
    })
}

/// The whole document: the identity and model routes above plus the version, access, dataset,
/// job and feature-impact routes.
pub fn full_document() -> Value {
    let mut doc = document();
    for (key, extra) in [
        ("paths", version_paths()),
        ("schemas", version_schemas()),
        ("paths", access_paths()),
        ("schemas", access_schemas()),
        ("paths", dataset_paths()),
        ("schemas", dataset_schemas()),
        ("paths", job_paths()),
        ("schemas", job_schemas()),
        ("paths", feature_impact_paths()),
        ("schemas", feature_impact_schemas()),
    ] {
        let target = if key == "paths" {
            doc.get_mut("paths")
        } else {
            doc.get_mut("components").and_then(|c| c.get_mut("schemas"))
        };
        if let (Some(target), Some(extra)) =
            (target.and_then(Value::as_object_mut), extra.as_object())
        {
            for (k, v) in extra {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    document_common_refusals(&mut doc);
    doc
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
                    if name == "offset" {
                        param["schema"]["minimum"] = json!(0);
                        param["schema"]["maximum"] = json!(MAX_OFFSET);
                    }
                    query.push(name);
                }
            }
            let paged = query.iter().any(|q| q == "offset" || q == "limit");
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let mut refusal = |status: &str, code: &str, what: &str| {
                let entry = responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_ref(""));
                let described = entry["description"].as_str().unwrap_or_default().to_owned();
                if !described.contains(code) {
                    let joined = if described.is_empty() {
                        format!("{code}: {what}")
                    } else {
                        format!("{described} {code}: {what}")
                    };
                    entry["description"] = json!(joined);
                }
            };
            if takes_json {
                refusal("400", "MALFORMED_JSON", "the body is not valid JSON.");
                refusal(
                    "413",
                    "BODY_TOO_LARGE",
                    "the body is larger than the JSON limit (--max-json-bytes).",
                );
                refusal(
                    "415",
                    "UNSUPPORTED_MEDIA_TYPE",
                    "the body is not sent as application/json.",
                );
                refusal(
                    "422",
                    "BODY_NOT_AN_OBJECT",
                    "the body is JSON but not an object.",
                );
                refusal(
                    "422",
                    "INVALID_FIELD",
                    "a field is missing, unknown or of the wrong type; 'field' names it.",
                );
            }
            if !query.is_empty() {
                refusal(
                    "400",
                    "INVALID_QUERY",
                    "a query parameter has the wrong type.",
                );
            }
            if paged {
                refusal(
                    "422",
                    "INVALID_PAGING",
                    &format!("offset is outside 0..{MAX_OFFSET} or limit outside 1..{MAX_LIMIT}."),
                );
            }
        }
    }
}

pub async fn openapi() -> Json<Value> {
    Json(full_document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_path_is_documented() {
        let doc = full_document();
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
        let doc = full_document();
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
        let doc = full_document();
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
