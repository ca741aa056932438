//! The OpenAPI 3.1 description of every REST route, served at `/api/v1/openapi.json`.

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
                    "summary": "The caller's API tokens (never their secrets)", "operationId": "list_tokens",
                    "responses": with(json!({"200": ok("Tokens, newest first.", "TokenList")}), auth_errors.clone())
                },
                "post": {
                    "summary": "Create an API token; the secret is in this answer only", "operationId": "create_token",
                    "requestBody": body("NewToken"),
                    "responses": with(json!({
                        "201": ok("The token, with its secret.", "CreatedToken"),
                        "422": error_ref("INVALID_TOKEN_NAME or INVALID_EXPIRY.")
                    }), auth_errors.clone())
                }
            },
            "/api/v1/tokens/{id}": {"delete": {
                "summary": "Revoke one of the caller's tokens", "operationId": "revoke_token",
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
                        query_param("order_by", json!({"type": "string", "enum": ["name", "-name", "created", "-created", "updated", "-updated"], "default": "-updated"}), "Sort order; '-' for descending."),
                        query_param("tag", json!({"type": "string"}), "Only models with this tag (ignoring case)."),
                        query_param("target_type", json!({"$ref": "#/components/schemas/TargetType"}), "Only models of this target type."),
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
                    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                    "visibility": {"$ref": "#/components/schemas/Visibility"}, "archived": {"type": "boolean"},
                    "primary_version": {"type": ["string", "null"]}, "latest_version": {"type": ["string", "null"]},
                    "version_count": {"type": "integer"},
                    "aliases": {"type": "array", "items": {"type": "object", "properties": {"alias": {"type": "string"}, "version": {"type": "string"}, "protected": {"type": "boolean"}}}},
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
        "metadata": {"type": "object", "maxProperties": 64, "additionalProperties": {"type": "string", "maxLength": 4096}},
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

pub async fn openapi() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_has_operations_with_responses() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.len() >= 6);
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
