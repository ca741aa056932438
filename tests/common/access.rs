//! Sharing a model: a change of its grants, and the grants it has.

use super::TestServer;
use reqwest::Response;
use serde_json::{Value, json};

/// PATCHes a model's grants with `data`, the list of changes; the response.
pub async fn share(server: &TestServer, token: &str, model: &str, data: Value) -> Response {
    let path = format!("/api/v1/models/{model}/access");
    server
        .as_user(token)
        .patch(&path, json!({ "data": data }))
        .await
}

/// The grants on a model as `(type, name, role, can_share)`.
pub async fn grants(
    server: &TestServer,
    token: &str,
    model: &str,
) -> Vec<(String, String, String, bool)> {
    let list = server
        .get_json(&format!("/api/v1/models/{model}/access"), token)
        .await;
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|g| {
            (
                g["principal_type"].as_str().unwrap_or_default().to_owned(),
                g["name"].as_str().unwrap_or_default().to_owned(),
                g["role"].as_str().unwrap_or_default().to_owned(),
                g["can_share"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

/// One grant as [`grants`] lists it.
pub fn grant(
    kind: &str,
    name: &str,
    role: &str,
    can_share: bool,
) -> (String, String, String, bool) {
    (kind.to_owned(), name.to_owned(), role.to_owned(), can_share)
}
