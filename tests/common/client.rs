//! A typed client over the REST API, for what the tests do again and again: create models and
//! versions, upload and replace files, publish, upload datasets, and send any request as one
//! caller ([`TestServer::as_user`]).

use super::{TestServer, expect_json};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// `/api/v1/models/{model}`.
pub fn model_url(model: &str) -> String {
    format!("/api/v1/models/{model}")
}

/// `/api/v1/models/{model}/versions`.
pub fn versions_url(model: &str) -> String {
    format!("/api/v1/models/{model}/versions")
}

/// `/api/v1/models/{model}/versions/{version}`.
pub fn version_url(model: &str, version: &str) -> String {
    format!("/api/v1/models/{model}/versions/{version}")
}

/// A file of a version; `path` is put into the URL as given, so callers control its encoding.
pub fn file_url(model: &str, version: &str, path: &str) -> String {
    format!("/api/v1/models/{model}/versions/{version}/files/{path}")
}

/// A multipart version upload: text fields first, then one part `files` per file, named by its
/// relative path.
pub fn upload_form(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Form {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    for (path, bytes) in files {
        form = form.part("files", file_part(path, bytes));
    }
    form
}

/// One file of an upload, named by its relative path.
pub fn file_part(path: &str, bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec()).file_name(path.to_owned())
}

/// Requests sent as one caller: with a bearer token, or with no credentials at all.
pub struct Caller<'a> {
    server: &'a TestServer,
    token: Option<String>,
}

impl Caller<'_> {
    /// A request to `path` with this caller's credentials; add a body or headers and send it.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.server.client.request(method, self.server.url(path));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends `body` as JSON (none for `Value::Null`) and answers the response, whatever it is.
    pub async fn send(&self, method: Method, path: &str, body: Value) -> Response {
        let mut request = self.request(method.clone(), path);
        if !body.is_null() {
            request = request.json(&body);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, Value::Null).await
    }

    /// GET, asserting 200; the JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        expect_json(self.get(path).await, StatusCode::OK).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.send(Method::PUT, path, body).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, body).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, Value::Null).await
    }

    /// POSTs a multipart form.
    pub async fn post_form(&self, path: &str, form: Form) -> Response {
        self.request(Method::POST, path)
            .multipart(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// PUTs raw bytes.
    pub async fn put_bytes(&self, path: &str, bytes: &[u8]) -> Response {
        self.request(Method::PUT, path)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
    }
}

impl TestServer {
    /// Requests sent with `token` (`""`: with no credentials).
    pub fn as_user(&self, token: &str) -> Caller<'_> {
        Caller {
            server: self,
            token: (!token.is_empty()).then(|| token.to_owned()),
        }
    }

    /// Requests sent without credentials.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            server: self,
            token: None,
        }
    }

    /// Creates a model with a token and returns the created model object.
    pub async fn create_model(&self, token: &str, body: Value) -> Value {
        let resp = self.as_user(token).post("/api/v1/models", body).await;
        expect_json(resp, StatusCode::CREATED).await
    }

    /// The models list for `query` (with its leading `?`, or empty), asserting 200.
    pub async fn list_models(&self, token: &str, query: &str) -> Value {
        self.get_json(&format!("/api/v1/models{query}"), token)
            .await
    }

    /// PATCHes a model; the response, whatever it is.
    pub async fn patch_model(&self, token: &str, model: &str, body: Value) -> Response {
        self.as_user(token).patch(&model_url(model), body).await
    }

    /// Creates a version of `model` from JSON (no files); asserts 201 and returns it.
    pub async fn create_version(&self, token: &str, model: &str, body: Value) -> Value {
        let resp = self.as_user(token).post(&versions_url(model), body).await;
        expect_json(resp, StatusCode::CREATED).await
    }

    /// Uploads a version of `model` as CI does: one multipart POST with `files` (relative path
    /// and bytes); asserts 201 and returns the version.
    pub async fn upload_version(&self, token: &str, model: &str, files: &[(&str, &[u8])]) -> Value {
        self.upload_version_with(token, model, &[], files).await
    }

    /// [`TestServer::upload_version`] with text fields (description, metrics, bump, …) first.
    pub async fn upload_version_with(
        &self,
        token: &str,
        model: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Value {
        let form = upload_form(fields, files);
        let resp = self
            .as_user(token)
            .post_form(&versions_url(model), form)
            .await;
        expect_json(resp, StatusCode::CREATED).await
    }

    /// Adds or replaces the file `path` of a draft version; the response, whatever it is.
    pub async fn put_file(
        &self,
        token: &str,
        model: &str,
        version: &str,
        path: &str,
        bytes: &[u8],
    ) -> Response {
        let url = file_url(model, version, path);
        self.as_user(token).put_bytes(&url, bytes).await
    }

    /// Publishes a version; asserts 200 and returns it.
    pub async fn publish(&self, token: &str, model: &str, version: &str) -> Value {
        let path = format!("{}/publish", version_url(model, version));
        let resp = self.as_user(token).post(&path, Value::Null).await;
        expect_json(resp, StatusCode::OK).await
    }

    /// Uploads a CSV file as a dataset named after the file; asserts 201 and returns it.
    pub async fn upload_dataset(&self, token: &str, file_name: &str, csv: &[u8]) -> Value {
        let form = Form::new().part(
            "file",
            Part::bytes(csv.to_vec()).file_name(file_name.to_owned()),
        );
        let resp = self
            .as_user(token)
            .post_form("/api/v1/datasets", form)
            .await;
        expect_json(resp, StatusCode::CREATED).await
    }

    /// PUTs a version's training (and holdout) data; the response, whatever it is.
    pub async fn put_training_data(
        &self,
        token: &str,
        model: &str,
        version: &str,
        body: Value,
    ) -> Response {
        let path = format!("{}/training-data", version_url(model, version));
        self.as_user(token).put(&path, body).await
    }

    /// GET a path with a token and return the JSON body, asserting 200.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.as_user(token).get_json(path).await
    }
}
