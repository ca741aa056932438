//! The authorization matrix: every REST route and every server function, called as each kind of
//! principal, against the status the access rules promise. The table is checked against what the
//! binary really serves (`modelyard routes`, and a probe of the methods each REST path answers),
//! so an endpoint added without a row here fails this test.
//!
//! The principals, in the order of every row's expected statuses:
//! - `anonymous`: no credentials at all;
//! - `viewer`, `editor`, `owner`: grants with that role on the fixture models (`owner` created them);
//! - `admin`: an admin without grants;
//! - `unrelated`: signed in, no grant on anything;
//! - `deactivated`: an admin whose account was deactivated after it got a token and a session: it
//!   sends the dead token on token rows and the dead cookie on cookie rows and server functions;
//! - `revoked`: a revoked token of the (still active) admin, sent as `Authorization: Bearer` on
//!   every row (it has no session).
//!
//! REST rows use bearer tokens unless marked `.cookie()`; server function rows use the session
//! cookie and the app's own Origin, as the browser does. Rows run in table order (rows for the same
//! per-principal target are ordered so that each still finds what it needs), the eight calls of a
//! row at once; rows that end the callers' sessions run last. A REST 401 must also name its cause:
//! `INVALID_TOKEN` when a token was sent, `NOT_AUTHENTICATED` when none was usable.
//!
//! Adding an endpoint: add one line to [`table`] with the statuses the rules give each principal.
//! `<name>` in a path parameter, query or body is filled per principal (see [`Fixture::vars`]).

mod common;

use common::{TestServer, default_password, expect_json};
use futures_util::future::join_all;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::Instant;

/// Who calls, in the order of every row's expected statuses.
const PRINCIPALS: [&str; 8] = [
    "anonymous",
    "viewer",
    "editor",
    "owner",
    "admin",
    "unrelated",
    "deactivated",
    "revoked",
];

/// The private model the rows work on, and two more with the same grants.
const MODEL: &str = "vault";
const INTERNAL_MODEL: &str = "lobby";
const PUBLIC_MODEL: &str = "plaza";

/// What a path parameter is when a row does not say: the fixture model's published version, its
/// file and protected alias, a team, a user and a token of the owner's.
const DEFAULT_PARAMS: [(&str, &str); 7] = [
    ("model", MODEL),
    ("version", "0.1.0"),
    ("path", "model.bin"),
    ("alias", "production"),
    ("team", "crew"),
    ("username", "viewer"),
    ("id", "<spare_token>"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// REST with the principal's bearer token.
    Token,
    /// The session cookie with the app's Origin (server functions always; REST when marked).
    Cookie,
}

enum Payload {
    None,
    Json(&'static str),
    Form(&'static str),
    Raw(&'static str),
    /// A multipart version upload with one file part.
    Upload(&'static str),
    /// A multipart dataset upload: this CSV text as the part `file`.
    Csv(&'static str),
}

struct Row {
    method: Method,
    /// The route exactly as `modelyard routes` prints it.
    route: String,
    auth: Auth,
    params: Vec<(&'static str, &'static str)>,
    query: &'static str,
    payload: Payload,
    expect: [u16; 8],
    ends_sessions: bool,
}

impl Row {
    fn new(method: Method, route: &str, expect: [u16; 8]) -> Self {
        Row {
            method,
            route: route.to_owned(),
            auth: Auth::Token,
            params: Vec::new(),
            query: "",
            payload: Payload::None,
            expect,
            ends_sessions: false,
        }
    }

    /// Sets a path parameter (`{model}`, `{*path}`, ...).
    fn at(mut self, name: &'static str, value: &'static str) -> Self {
        self.params.push((name, value));
        self
    }

    fn query(mut self, query: &'static str) -> Self {
        self.query = query;
        self
    }

    fn json(mut self, body: &'static str) -> Self {
        self.payload = Payload::Json(body);
        self
    }

    fn raw(mut self, body: &'static str) -> Self {
        self.payload = Payload::Raw(body);
        self
    }

    fn upload(mut self, path: &'static str) -> Self {
        self.payload = Payload::Upload(path);
        self
    }

    fn csv(mut self, text: &'static str) -> Self {
        self.payload = Payload::Csv(text);
        self
    }

    fn cookie(mut self) -> Self {
        self.auth = Auth::Cookie;
        self
    }

    /// The row logs out or changes passwords: it runs after every other row.
    fn ends_sessions(mut self) -> Self {
        self.ends_sessions = true;
        self
    }

    fn is_server_fn(&self) -> bool {
        self.route.starts_with("/fn/")
    }

    fn label(&self) -> String {
        let mut label = format!("{} {}", self.method, self.route);
        if !self.query.is_empty() {
            let _ = write!(label, "?{}", self.query);
        }
        if !self.params.is_empty() {
            let params: Vec<String> = self
                .params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let _ = write!(label, " [{}]", params.join(", "));
        }
        match &self.payload {
            Payload::Json(body) | Payload::Form(body) | Payload::Raw(body) if !body.is_empty() => {
                let _ = write!(label, " {body}");
            }
            Payload::Upload(path) => {
                let _ = write!(label, " multipart file {path}");
            }
            Payload::Csv(_) => label.push_str(" multipart CSV file"),
            _ => {}
        }
        if self.auth == Auth::Cookie && !self.is_server_fn() {
            label.push_str(" (session cookie)");
        }
        label
    }
}

fn get(route: &'static str, expect: [u16; 8]) -> Row {
    Row::new(Method::GET, route, expect)
}

fn post(route: &'static str, expect: [u16; 8]) -> Row {
    Row::new(Method::POST, route, expect)
}

fn put(route: &'static str, expect: [u16; 8]) -> Row {
    Row::new(Method::PUT, route, expect)
}

fn patch(route: &'static str, expect: [u16; 8]) -> Row {
    Row::new(Method::PATCH, route, expect)
}

fn delete(route: &'static str, expect: [u16; 8]) -> Row {
    Row::new(Method::DELETE, route, expect)
}

/// A server function called as the browser calls it: POST, form-encoded arguments.
fn func(name: &'static str, form: &'static str, expect: [u16; 8]) -> Row {
    Row {
        auth: Auth::Cookie,
        payload: Payload::Form(form),
        ..Row::new(Method::POST, &format!("/fn/{name}"), expect)
    }
}

const MODEL_ROUTE: &str = "/api/v1/models/{model}";
const VERSIONS: &str = "/api/v1/models/{model}/versions";
const VERSION: &str = "/api/v1/models/{model}/versions/{version}";
const FILE: &str = "/api/v1/models/{model}/versions/{version}/files/{*path}";
const ALIAS: &str = "/api/v1/models/{model}/aliases/{alias}";
const DATASET: &str = "/api/v1/datasets/{id}";
const TRAINING_DATA: &str = "/api/v1/models/{model}/versions/{version}/training-data";
/// A model whose target is `target`, shared like the fixture model, for training data.
const LAB_MODEL: &str = "lab";
const FEATURE_IMPACT: &str = "/api/v1/models/{model}/versions/{version}/feature-impact";
const JOB: &str = "/api/v1/jobs/{id}";
const JOB_LOG: &str = "/api/v1/jobs/{id}/log";

/// Every row. Columns: anonymous, viewer, editor, owner, admin, unrelated, deactivated, revoked.
#[rustfmt::skip]
fn table() -> Vec<Row> {
    vec![
        // Identity and tokens.            anon viewer editor owner admin unrel deact revoked
        get("/api/v1/me",                   [401, 200, 200, 200, 200, 200, 401, 401]),
        get("/api/v1/me",                   [401, 200, 200, 200, 200, 200, 401, 401]).cookie(),
        get("/api/v1/tokens",               [401, 200, 200, 200, 200, 200, 401, 401]),
        get("/api/v1/tokens",               [401, 403, 403, 403, 200, 403, 401, 401]).query("all=true"),
        post("/api/v1/tokens",              [401, 201, 201, 201, 201, 201, 401, 401]).json(r#"{"name": "matrix-<p>"}"#),
        post("/api/v1/tokens",              [401, 201, 201, 201, 201, 201, 401, 401]).json(r#"{"name": "cookie-<p>"}"#).cookie(),
        // Someone else's token is "not found"; the owner's own and any for an admin are revoked.
        delete("/api/v1/tokens/{id}",       [401, 404, 404, 204, 204, 404, 401, 401]),
        // Users: admins only.
        get("/api/v1/users",                [401, 403, 403, 403, 200, 403, 401, 401]),
        post("/api/v1/users",               [401, 403, 403, 403, 201, 403, 401, 401]).json(r#"{"username": "made-by-<p>", "password": "<password>"}"#),
        get("/api/v1/users/{username}",     [401, 403, 403, 403, 200, 403, 401, 401]),
        patch("/api/v1/users/{username}",   [401, 403, 403, 403, 200, 403, 401, 401]).at("username", "bystander").json(r#"{"display_name": "Bystander"}"#),
        // Teams: every signed-in user reads them, admins change them.
        get("/api/v1/teams",                [401, 200, 200, 200, 200, 200, 401, 401]),
        post("/api/v1/teams",               [401, 403, 403, 403, 201, 403, 401, 401]).json(r#"{"name": "team-<p>"}"#),
        get("/api/v1/teams/{team}",         [401, 200, 200, 200, 200, 200, 401, 401]),
        put("/api/v1/teams/{team}/members/{username}",    [401, 403, 403, 403, 200, 403, 401, 401]).at("username", "bystander"),
        delete("/api/v1/teams/{team}/members/{username}", [401, 403, 403, 403, 204, 403, 401, 401]).at("username", "bystander"),
        delete("/api/v1/teams/{team}",      [401, 403, 403, 403, 204, 403, 401, 401]).at("team", "gone-<p>"),
        // Audit: admins read all, anyone their own models'; one model's only for its owners.
        get("/api/v1/audit",                [401, 200, 200, 200, 200, 200, 401, 401]),
        get("/api/v1/audit",                [401, 403, 403, 200, 200, 404, 401, 401]).query("model=vault"),

        // Models. A private model the caller may not see is 404, never 403.
        get("/api/v1/models",               [200, 200, 200, 200, 200, 200, 401, 401]),
        get("/api/v1/models",               [200, 200, 200, 200, 200, 200, 200, 401]).cookie(),
        post("/api/v1/models",              [401, 201, 201, 201, 201, 201, 401, 401]).json(r#"{"name": "new-<p>"}"#),
        post("/api/v1/models",              [401, 201, 201, 201, 201, 201, 401, 401]).json(r#"{"name": "cookie-<p>"}"#).cookie(),
        get(MODEL_ROUTE,                    [404, 200, 200, 200, 200, 404, 401, 401]),
        get(MODEL_ROUTE,                    [404, 200, 200, 200, 200, 404, 404, 401]).cookie(),
        get(MODEL_ROUTE,                    [404, 200, 200, 200, 200, 200, 401, 401]).at("model", INTERNAL_MODEL),
        get(MODEL_ROUTE,                    [200, 200, 200, 200, 200, 200, 401, 401]).at("model", PUBLIC_MODEL),
        patch(MODEL_ROUTE,                  [401, 403, 200, 200, 200, 404, 401, 401]).json(r#"{"description": "Seen by the matrix."}"#),
        patch(MODEL_ROUTE,                  [401, 403, 200, 200, 200, 404, 401, 401]).json(r#"{"description": "Seen by the matrix."}"#).cookie(),
        patch(MODEL_ROUTE,                  [401, 403, 200, 200, 200, 403, 401, 401]).at("model", INTERNAL_MODEL).json(r#"{"description": "Seen by the matrix."}"#),
        patch(MODEL_ROUTE,                  [401, 403, 200, 200, 200, 403, 401, 401]).at("model", PUBLIC_MODEL).json(r#"{"description": "Seen by the matrix."}"#),
        patch(MODEL_ROUTE,                  [401, 403, 403, 200, 200, 404, 401, 401]).at("model", "own-<p>").json(r#"{"visibility": "internal"}"#),
        patch(MODEL_ROUTE,                  [401, 403, 403, 200, 200, 404, 401, 401]).at("model", "own-<p>").json(r#"{"archived": true}"#),
        delete(MODEL_ROUTE,                 [401, 403, 403, 204, 204, 404, 401, 401]).at("model", "own-<p>"),
        get("/api/v1/models/{model}/access",   [401, 200, 200, 200, 200, 404, 401, 401]),
        patch("/api/v1/models/{model}/access", [401, 403, 403, 200, 200, 404, 401, 401]).json(r#"{"data": [{"username": "bystander", "role": "VIEWER"}]}"#),
        // A copy needs Editor: its new Owner decides who sees it, so a Viewer could otherwise
        // publish a private model's files.
        post("/api/v1/models/{model}/copy",    [401, 403, 201, 201, 201, 404, 401, 401]).json(r#"{"name": "copy-<p>"}"#),
        post("/api/v1/models/{model}/copy",    [401, 403, 201, 201, 201, 403, 401, 401]).at("model", PUBLIC_MODEL).json(r#"{"name": "pubcopy-<p>"}"#),
        put("/api/v1/models/{model}/primary",  [401, 403, 403, 200, 200, 404, 401, 401]).json(r#"{"version": "0.1.0"}"#),
        // Download figures: whoever reads the model reads them.
        get("/api/v1/models/{model}/downloads", [404, 200, 200, 200, 200, 404, 401, 401]),
        get("/api/v1/models/{model}/downloads", [404, 200, 200, 200, 200, 200, 401, 401]).at("model", INTERNAL_MODEL).query("days=7"),
        get("/api/v1/models/{model}/downloads", [200, 200, 200, 200, 200, 200, 401, 401]).at("model", PUBLIC_MODEL),

        // Versions and files.
        get(VERSIONS,                       [404, 200, 200, 200, 200, 404, 401, 401]),
        get(VERSIONS,                       [200, 200, 200, 200, 200, 200, 401, 401]).at("model", PUBLIC_MODEL),
        post(VERSIONS,                      [401, 403, 201, 201, 201, 404, 401, 401]).json(r#"{"description": "by <p>"}"#),
        post(VERSIONS,                      [401, 403, 201, 201, 201, 404, 401, 401]).upload("weights.bin"),
        post(VERSIONS,                      [401, 403, 201, 201, 201, 403, 401, 401]).at("model", INTERNAL_MODEL).json(r#"{"description": "by <p>"}"#),
        get(VERSION,                        [404, 200, 200, 200, 200, 404, 401, 401]),
        patch(VERSION,                      [401, 403, 200, 200, 200, 404, 401, 401]).at("version", "<draft>").json(r#"{"description": "patched by <p>"}"#),
        get("/api/v1/models/{model}/versions/{version}/files", [404, 200, 200, 200, 200, 404, 401, 401]),
        get(FILE,                           [404, 200, 200, 200, 200, 404, 401, 401]),
        put(FILE,                           [401, 403, 201, 201, 201, 404, 401, 401]).at("version", "<draft>").at("path", "added-<p>.txt").raw("hello"),
        // Access is decided before the version's state: only those who may write learn it is frozen.
        put(FILE,                           [401, 403, 409, 409, 409, 404, 401, 401]).at("path", "late.txt").raw("hello"),
        delete(FILE,                        [401, 403, 204, 204, 204, 404, 401, 401]).at("version", "<draft>").at("path", "a.txt"),
        get("/api/v1/models/{model}/versions/{version}/download", [404, 200, 200, 200, 200, 404, 401, 401]),
        post("/api/v1/models/{model}/versions/{version}/deactivate", [401, 403, 200, 200, 200, 404, 401, 401]).at("version", "<draft>"),
        post("/api/v1/models/{model}/versions/{version}/activate",   [401, 403, 200, 200, 200, 404, 401, 401]).at("version", "<draft>"),
        post("/api/v1/models/{model}/versions/{version}/publish",    [401, 403, 200, 200, 200, 404, 401, 401]).at("version", "<draft>"),
        // A draft goes with an Editor, a published version only with an Owner.
        delete(VERSION,                     [401, 403, 200, 200, 200, 404, 401, 401]).at("version", "<drop>"),
        delete(VERSION,                     [401, 403, 403, 200, 200, 404, 401, 401]).at("version", "<pub>"),

        // Feature impact: whoever reads the version reads it; Editors import it, also for a
        // published version (it is analysis, not the frozen files).
        get(FEATURE_IMPACT,                 [404, 200, 200, 200, 200, 404, 401, 401]),
        put(FEATURE_IMPACT,                 [401, 403, 200, 200, 200, 404, 401, 401]).json(r#"{"feature_impacts": [{"feature_name": "age", "impact_unnormalized": 0.5}], "shap_based": true}"#),
        // Each principal's own lab version has no training data: allowed callers get that 422.
        post(FEATURE_IMPACT,                [401, 403, 422, 422, 422, 404, 401, 401]).at("model", LAB_MODEL).at("version", "<labv>").json("{}"),
        get(JOB,                            [401, 200, 200, 200, 200, 404, 401, 401]).at("id", "<job>"),
        get(JOB_LOG,                        [401, 200, 200, 200, 200, 404, 401, 401]).at("id", "<job>"),
        delete(JOB,                         [401, 403, 409, 409, 409, 404, 401, 401]).at("id", "<job>"),

        // Aliases: Editors move unprotected ones, only Owners protected ones.
        get("/api/v1/models/{model}/aliases", [404, 200, 200, 200, 200, 404, 401, 401]),
        put(ALIAS,                          [401, 403, 200, 200, 200, 404, 401, 401]).at("alias", "staging").json(r#"{"version": "0.1.0"}"#),
        put(ALIAS,                          [401, 403, 403, 200, 200, 404, 401, 401]).json(r#"{"version": "0.1.0"}"#),
        delete(ALIAS,                       [401, 403, 204, 204, 204, 404, 401, 401]).at("alias", "tmp-<p>"),
        delete(ALIAS,                       [401, 403, 403, 204, 204, 404, 401, 401]).at("alias", "guard-<p>"),
        get("/api/v1/models/{model}/aliases/{alias}/history", [404, 200, 200, 200, 200, 404, 401, 401]),

        // Datasets: any signed-in user uploads; a dataset is seen by its uploader, admins and those
        // who can see a model using it (`<dataset>` is the training data of lab 0.1.0), and
        // deleted by its uploader or an admin once nothing uses it.
        get("/api/v1/datasets",             [401, 200, 200, 200, 200, 200, 401, 401]),
        post("/api/v1/datasets",            [401, 201, 201, 201, 201, 201, 401, 401]).csv("a,target\n1,2\n"),
        post("/api/v1/datasets",            [401, 201, 201, 201, 201, 201, 401, 401]).csv("a,target\n1,2\n").cookie(),
        get(DATASET,                        [401, 200, 200, 200, 200, 404, 401, 401]).at("id", "<dataset>"),
        delete(DATASET,                     [401, 403, 403, 409, 409, 404, 401, 401]).at("id", "<dataset>"),
        delete(DATASET,                     [401, 404, 404, 204, 204, 404, 401, 401]).at("id", "<own_dataset>"),
        // Training data: Editors and above, on published versions too.
        put(TRAINING_DATA,                  [401, 403, 200, 200, 200, 404, 401, 401]).at("model", LAB_MODEL).at("version", "<labv>").json(r#"{"dataset_id": "<dataset>"}"#),
        delete(TRAINING_DATA,               [401, 403, 200, 200, 200, 404, 401, 401]).at("model", LAB_MODEL).at("version", "<labv>"),

        // Public documents: they read no credentials.
        get("/api/v1/limits",               [200, 200, 200, 200, 200, 200, 200, 200]),
        get("/api/v1/openapi.json",         [200, 200, 200, 200, 200, 200, 200, 200]),

        // Server functions (session cookie + Origin). A dead cookie is no cookie.
        //                                                                       anon viewer editor owner admin unrel deact revoked
        func("current_user", "",                                                 [200, 200, 200, 200, 200, 200, 200, 401]),
        // Signs in as the principal's own name: unknown for `anonymous` and `revoked`.
        func("login", "username=<p>&password=<password>",                        [401, 200, 200, 200, 200, 200, 403, 401]),
        func("setup_link_status", "token=not-a-setup-link",                      [200, 200, 200, 200, 200, 200, 200, 200]),
        func("complete_setup", "token=not-a-setup-link&username=intruder&display_name=Intruder&password=intruder-pass-1&confirm_password=intruder-pass-1",
                                                                                 [403, 403, 403, 403, 403, 403, 403, 403]),
        func("list_tokens", "",                                                  [401, 200, 200, 200, 200, 200, 401, 401]),
        func("create_token", "name=fn-<p>&expires_in_days=",                     [401, 200, 200, 200, 200, 200, 401, 401]),
        func("revoke_token", "id=<fn_spare_token>",                              [401, 404, 404, 200, 200, 404, 401, 401]),
        func("list_models", "query[limit]=10",                                   [200, 200, 200, 200, 200, 200, 200, 401]),
        func("get_model", "name=vault",                                          [404, 200, 200, 200, 200, 404, 404, 401]),
        func("get_model", "name=plaza",                                          [200, 200, 200, 200, 200, 200, 200, 401]),
        func("create_model", "form[name]=fn-new-<p>",                            [401, 200, 200, 200, 200, 200, 401, 401]),
        func("update_model", "key=vault&form[name]=vault&form[description]=Edited",
                                                                                 [401, 403, 200, 200, 200, 404, 401, 401]),
        func("list_model_versions", "model=vault&offset=0&limit=10",             [404, 200, 200, 200, 200, 404, 404, 401]),
        func("get_model_version", "model=vault&version=0.1.0",                   [404, 200, 200, 200, 200, 404, 404, 401]),
        func("list_version_file_paths", "model=vault&version=0.1.0",             [404, 200, 200, 200, 200, 404, 404, 401]),
        func("get_model_overview", "model=vault",                                [404, 200, 200, 200, 200, 404, 404, 401]),
        func("preview_file", "model=vault&version=0.1.0&path=model.bin",         [404, 200, 200, 200, 200, 404, 404, 401]),
        func("compare_model_versions", "model=vault&a=0.1.0&b=0.1.0",            [404, 200, 200, 200, 200, 404, 404, 401]),
        func("model_alias_history", "model=vault&alias=production",              [404, 200, 200, 200, 200, 404, 404, 401]),
        func("get_feature_impact", "model=vault&version=0.1.0",                  [404, 200, 200, 200, 200, 404, 404, 401]),
        func("get_feature_impact_job", "model=lab&version=0.1.0",                [200, 200, 200, 200, 200, 404, 200, 401]),
        func("start_feature_impact", "model=lab&version=<labv>&row_count=&prediction_url=",
                                                                                  [401, 403, 422, 422, 422, 404, 401, 401]),
        func("get_job", "id=<job>",                                              [401, 200, 200, 200, 200, 404, 401, 401]),
        func("get_job_log", "id=<job>",                                          [401, 200, 200, 200, 200, 404, 401, 401]),
        func("cancel_job", "id=<job>",                                           [401, 403, 409, 409, 409, 404, 401, 401]),
        func("promote_model_version", "model=vault&version=0.1.0",               [401, 403, 403, 200, 200, 404, 401, 401]),
        func("set_version_active", "model=vault&version=<fndraft>&active=false", [401, 403, 200, 200, 200, 404, 401, 401]),
        func("publish_model_version", "model=vault&version=<fndraft>",           [401, 403, 200, 200, 200, 404, 401, 401]),
        func("delete_model_version", "model=vault&version=<fndrop>",             [401, 403, 200, 200, 200, 404, 401, 401]),
        func("set_model_alias", "model=vault&alias=staging&version=0.1.0",       [401, 403, 200, 200, 200, 404, 401, 401]),
        func("set_model_alias", "model=vault&alias=production&version=0.1.0&protected=on",
                                                                                 [401, 403, 403, 200, 200, 404, 401, 401]),
        func("delete_model_alias", "model=vault&alias=fntmp-<p>",                [401, 403, 200, 200, 200, 404, 401, 401]),
        func("copy_model", "model=vault&name=fncopy-<p>",                        [401, 403, 200, 200, 200, 404, 401, 401]),
        func("delete_model", "model=fnown-<p>",                                  [401, 403, 403, 200, 200, 404, 401, 401]),

        // Datasets and training data.
        func("list_datasets", "search=&offset=0",                                [401, 200, 200, 200, 200, 200, 401, 401]),
        func("get_dataset", "id=<dataset>",                                      [401, 200, 200, 200, 200, 404, 401, 401]),
        func("list_dataset_choices", "",                                         [401, 200, 200, 200, 200, 200, 401, 401]),
        func("delete_dataset", "id=<fn_own_dataset>",                            [401, 404, 404, 200, 200, 404, 401, 401]),
        func("set_version_training_data", "model=lab&version=<labv>&dataset_id=<dataset>&holdout_dataset_id=",
                                                                                 [401, 403, 200, 200, 200, 404, 401, 401]),
        func("clear_version_training_data", "model=lab&version=<labv>",          [401, 403, 200, 200, 200, 404, 401, 401]),

        // Sharing and the audit log.
        func("get_model_sharing", "model=vault",                                 [401, 200, 200, 200, 200, 404, 401, 401]),
        func("search_principals", "query=by",                                    [401, 200, 200, 200, 200, 200, 401, 401]),
        func("share_model", "model=vault&principal_type=user&name=bystander&role=VIEWER",
                                                                                 [401, 403, 403, 200, 200, 404, 401, 401]),
        func("change_model_grant", "model=vault&principal_type=user&name=bystander&role=VIEWER&can_share=on",
                                                                                 [401, 403, 403, 200, 200, 404, 401, 401]),
        func("remove_model_grant", "model=vault&principal_type=user&name=bystander",
                                                                                 [401, 403, 403, 200, 200, 404, 401, 401]),
        func("list_audit_events", "query[limit]=10",                             [401, 200, 200, 200, 200, 200, 401, 401]),
        func("list_audit_events", "query[model]=vault",                          [401, 403, 403, 200, 200, 404, 401, 401]),
        // The admin console.
        func("list_users", "search=&offset=0",                                   [401, 403, 403, 403, 200, 403, 401, 401]),
        func("create_user", "username=fn-made-<p>&display_name=&password=<password>",
                                                                                 [401, 403, 403, 403, 200, 403, 401, 401]),
        func("set_user_active", "username=bystander&active=true",                [401, 403, 403, 403, 200, 403, 401, 401]),
        func("set_user_admin", "username=bystander&admin=false",                 [401, 403, 403, 403, 200, 403, 401, 401]),
        func("reset_user_password", "username=bystander&password=<password>",    [401, 403, 403, 403, 200, 403, 401, 401]),
        func("list_teams", "search=&offset=0",                                   [401, 200, 200, 200, 200, 200, 401, 401]),
        func("get_team", "name=crew",                                            [401, 200, 200, 200, 200, 200, 401, 401]),
        func("create_team", "name=fn-team-<p>&description=",                     [401, 403, 403, 403, 200, 403, 401, 401]),
        func("delete_team", "name=fn-team-<p>",                                  [401, 403, 403, 403, 200, 403, 401, 401]),
        func("add_team_member", "team=crew&username=bystander",                  [401, 403, 403, 403, 200, 403, 401, 401]),
        func("remove_team_member", "team=crew&username=bystander",               [401, 403, 403, 403, 200, 403, 401, 401]),
        func("list_all_tokens", "offset=0",                                      [401, 403, 403, 403, 200, 403, 401, 401]),
        func("get_limits", "",                                                   [401, 403, 403, 403, 200, 403, 401, 401]),
        // Keeps the caller's own session (the one sending it) and ends any other.
        func("change_own_password", "current_password=<password>&new_password=<password>&confirm_password=<password>",
                                                                                 [401, 200, 200, 200, 200, 200, 401, 401]),

        // These end the callers' sessions, so they run after every other row.
        func("logout", "",                                                       [200, 200, 200, 200, 200, 200, 200, 200]).ends_sessions(),
        put("/api/v1/me/password",          [401, 204, 204, 204, 204, 204, 401, 401]).json(r#"{"current_password": "<password>", "new_password": "<password>"}"#).ends_sessions(),
    ]
}

/// How one principal authenticates.
#[derive(Clone, Default)]
struct Principal {
    name: &'static str,
    token: Option<String>,
    cookie: Option<String>,
}

struct Fixture {
    principals: Vec<Principal>,
    /// Per principal: what `<name>` stands for in its requests.
    vars: Vec<HashMap<String, String>>,
}

/// Replaces every `<name>` by its value; an unknown name is a mistake in the table.
fn expand(template: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('>')
            .unwrap_or_else(|| panic!("unclosed placeholder in {template}"));
        let name = &rest[start + 1..start + end];
        let value = vars
            .get(name)
            .unwrap_or_else(|| panic!("unknown placeholder <{name}> in {template}"));
        out.push_str(value);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The route with each `{param}` / `{*param}` segment filled by `value(param)`.
fn fill_route(route: &str, mut value: impl FnMut(&str) -> String) -> String {
    route
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => value(param.trim_start_matches('*')),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn row_path(row: &Row, vars: &HashMap<String, String>) -> String {
    let mut path = fill_route(&row.route, |param| {
        let template = row
            .params
            .iter()
            .chain(DEFAULT_PARAMS.iter())
            .find(|(name, _)| *name == param)
            .map(|(_, value)| *value)
            .unwrap_or_else(|| panic!("no value for {{{param}}} in {}", row.route));
        expand(template, vars)
    });
    if !row.query.is_empty() {
        path.push('?');
        path.push_str(&expand(row.query, vars));
    }
    path
}

/// What one call of a row answered.
struct Outcome {
    status: u16,
    error_code: Option<String>,
    /// The start of the body, for the report.
    body: String,
    sent_token: bool,
}

/// One call of a row as one principal.
async fn call(
    server: &TestServer,
    row: &Row,
    who: &Principal,
    vars: &HashMap<String, String>,
) -> Outcome {
    let url = server.url(&row_path(row, vars));
    let mut request = server.client.request(row.method.clone(), url);
    let mut sent_token = false;
    match row.auth {
        Auth::Token => {
            if let Some(token) = &who.token {
                request = request.bearer_auth(token);
                sent_token = true;
            }
        }
        Auth::Cookie => {
            // As a browser on the app's pages; the `revoked` principal has no session and sends
            // its token instead.
            request = request.header(ORIGIN, server.origin());
            if let Some(cookie) = &who.cookie {
                request = request.header(COOKIE, cookie);
            } else if let Some(token) = &who.token {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
                sent_token = true;
            }
        }
    }
    request = match &row.payload {
        Payload::None => request,
        Payload::Json(body) => request
            .header(CONTENT_TYPE, "application/json")
            .body(expand(body, vars)),
        Payload::Form(body) => request
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(expand(body, vars)),
        Payload::Raw(body) => request.body(expand(body, vars)),
        Payload::Upload(path) => request.multipart(
            Form::new()
                .text("description", "uploaded by the matrix")
                .part("files", Part::bytes(b"0123".to_vec()).file_name(*path)),
        ),
        Payload::Csv(text) => request.multipart(Form::new().part(
            "file",
            Part::bytes(text.as_bytes().to_vec()).file_name("matrix.csv"),
        )),
    };
    match request.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            let error_code = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|body| body["error_code"].as_str().map(str::to_owned));
            Outcome {
                status,
                error_code,
                body: text.chars().take(300).collect(),
                sent_token,
            }
        }
        Err(e) => Outcome {
            status: 0,
            error_code: None,
            body: format!("request failed: {e}"),
            sent_token,
        },
    }
}

/// Why a REST answer is wrong even with the right status: a 401 says whether a token was
/// refused (`INVALID_TOKEN`: unknown, revoked, expired, or its user deactivated) or none was
/// usable (`NOT_AUTHENTICATED`).
fn wrong_401(row: &Row, outcome: &Outcome) -> Option<&'static str> {
    if row.is_server_fn() || outcome.status != 401 {
        return None;
    }
    let wanted = if outcome.sent_token {
        "INVALID_TOKEN"
    } else {
        "NOT_AUTHENTICATED"
    };
    (outcome.error_code.as_deref() != Some(wanted)).then_some(wanted)
}

fn bearer(server: &TestServer, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    server
        .client
        .request(method, server.url(path))
        .bearer_auth(token)
}

/// Sends a setup request and returns its JSON body, failing unless it answers `status`.
async fn ok(request: reqwest::RequestBuilder, status: StatusCode) -> Value {
    let resp = request.send().await.expect("send a setup request");
    if status == StatusCode::NO_CONTENT {
        let actual = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(actual, status, "setup request failed: {text}");
        return Value::Null;
    }
    expect_json(resp, status).await
}

/// A private model made by `owner`, shared with `editor` (Editor) and `viewer` (Viewer).
async fn shared_model(server: &TestServer, owner: &str, name: &str, visibility: &str) {
    ok(
        bearer(server, Method::POST, "/api/v1/models", owner)
            .json(&json!({"name": name, "visibility": visibility})),
        StatusCode::CREATED,
    )
    .await;
    ok(
        bearer(
            server,
            Method::PATCH,
            &format!("/api/v1/models/{name}/access"),
            owner,
        )
        .json(&json!({"data": [
            {"username": "editor", "role": "EDITOR"},
            {"username": "viewer", "role": "VIEWER"},
        ]})),
        StatusCode::OK,
    )
    .await;
}

/// A new draft of the fixture model; returns its number.
async fn draft(server: &TestServer, owner: &str) -> String {
    let version = ok(
        bearer(
            server,
            Method::POST,
            &format!("/api/v1/models/{MODEL}/versions"),
            owner,
        )
        .json(&json!({})),
        StatusCode::CREATED,
    )
    .await;
    version["version"]
        .as_str()
        .expect("a version number")
        .to_owned()
}

async fn put_file(server: &TestServer, owner: &str, version: &str, path: &str) {
    let url = format!("/api/v1/models/{MODEL}/versions/{version}/files/{path}");
    ok(
        bearer(server, Method::PUT, &url, owner).body("some bytes"),
        StatusCode::CREATED,
    )
    .await;
}

async fn publish(server: &TestServer, owner: &str, version: &str) {
    let url = format!("/api/v1/models/{MODEL}/versions/{version}/publish");
    ok(bearer(server, Method::POST, &url, owner), StatusCode::OK).await;
}

async fn set_alias(server: &TestServer, owner: &str, alias: &str, protected: bool) {
    let url = format!("/api/v1/models/{MODEL}/aliases/{alias}");
    ok(
        bearer(server, Method::PUT, &url, owner)
            .json(&json!({"version": "0.1.0", "protected": protected})),
        StatusCode::OK,
    )
    .await;
}

/// A dataset uploaded by `token`'s user; returns its id.
async fn upload_dataset(server: &TestServer, token: &str, name: &str) -> String {
    let form = Form::new().text("name", name.to_owned()).part(
        "file",
        Part::bytes(b"x,target\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n".to_vec())
            .file_name("data.csv"),
    );
    let dataset = ok(
        bearer(server, Method::POST, "/api/v1/datasets", token).multipart(form),
        StatusCode::CREATED,
    )
    .await;
    dataset["id"].as_str().expect("a dataset id").to_owned()
}

/// A finished feature-impact job on the lab model (its prediction server is not there, so it
/// fails at once); returns its id.
async fn failed_job(server: &TestServer, owner: &str) -> String {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let started = ok(
        bearer(
            server,
            Method::POST,
            &format!("/api/v1/models/{LAB_MODEL}/versions/0.1.0/feature-impact"),
            owner,
        )
        .json(&json!({"prediction_url": url})),
        StatusCode::ACCEPTED,
    )
    .await;
    let id = started["job_id"].as_str().expect("a job id").to_owned();
    for _ in 0..300 {
        let job = ok(
            bearer(server, Method::GET, &format!("/api/v1/jobs/{id}"), owner),
            StatusCode::OK,
        )
        .await;
        if job["state"] == "failed" {
            return id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the fixture job did not fail in time");
}

/// A new version of the lab model; returns its number.
async fn lab_version(server: &TestServer, owner: &str) -> String {
    let version = ok(
        bearer(
            server,
            Method::POST,
            &format!("/api/v1/models/{LAB_MODEL}/versions"),
            owner,
        )
        .json(&json!({"publish": true})),
        StatusCode::CREATED,
    )
    .await;
    version["version"]
        .as_str()
        .expect("a version number")
        .to_owned()
}

/// A new token of the user signed in with `cookie`: its id and secret.
async fn new_token(server: &TestServer, cookie: &str, name: &str) -> (String, String) {
    let created = ok(
        server
            .with_cookie(server.post("/api/v1/tokens"), cookie)
            .json(&json!({"name": name})),
        StatusCode::CREATED,
    )
    .await;
    (
        created["id"].as_str().expect("token id").to_owned(),
        created["token"].as_str().expect("token secret").to_owned(),
    )
}

/// The users, their credentials, the models, versions, aliases and teams the rows work on.
async fn fixture(server: &TestServer) -> Fixture {
    server.add_user("admin", &default_password("admin"), true);
    let admin = server.add_token("admin");
    let users = [
        ("viewer", false),
        ("editor", false),
        ("owner", false),
        ("unrelated", false),
        ("deactivated", true),
        ("bystander", false),
    ];
    join_all(users.iter().map(|(name, is_admin)| {
        ok(
            bearer(server, Method::POST, "/api/v1/users", &admin).json(&json!({
                "username": name, "password": default_password(name), "is_admin": is_admin,
            })),
            StatusCode::CREATED,
        )
    }))
    .await;
    let signed_in = [
        "viewer",
        "editor",
        "owner",
        "admin",
        "unrelated",
        "deactivated",
    ];
    let cookies: HashMap<&str, String> = join_all(signed_in.iter().map(|name| async move {
        (
            *name,
            server.login_cookie(name, &default_password(name)).await,
        )
    }))
    .await
    .into_iter()
    .collect();
    let tokens: HashMap<&str, String> = join_all(
        signed_in
            .iter()
            .filter(|name| **name != "admin")
            .map(|name| async { (*name, new_token(server, &cookies[name], "matrix").await.1) }),
    )
    .await
    .into_iter()
    .collect();
    let owner = tokens["owner"].clone();
    let (spare_token, _) = new_token(server, &cookies["owner"], "spare").await;
    let (fn_spare_token, _) = new_token(server, &cookies["owner"], "fn-spare").await;
    let (revoked_id, revoked) = new_token(server, &cookies["admin"], "to-revoke").await;
    ok(
        bearer(
            server,
            Method::DELETE,
            &format!("/api/v1/tokens/{revoked_id}"),
            &admin,
        ),
        StatusCode::NO_CONTENT,
    )
    .await;

    shared_model(server, &owner, MODEL, "private").await;
    shared_model(server, &owner, INTERNAL_MODEL, "internal").await;
    shared_model(server, &owner, PUBLIC_MODEL, "public").await;
    let first = draft(server, &owner).await;
    assert_eq!(first, "0.1.0");
    put_file(server, &owner, &first, "model.bin").await;
    publish(server, &owner, &first).await;
    ok(
        bearer(
            server,
            Method::PUT,
            &format!("/api/v1/models/{MODEL}/versions/{first}/feature-impact"),
            &owner,
        )
        .json(&json!({"feature_impacts": [{"feature_name": "age", "impact_unnormalized": 0.5}]})),
        StatusCode::OK,
    )
    .await;
    set_alias(server, &owner, "production", true).await;
    set_alias(server, &owner, "staging", false).await;
    ok(
        bearer(server, Method::POST, "/api/v1/teams", &admin).json(&json!({"name": "crew"})),
        StatusCode::CREATED,
    )
    .await;
    shared_model(server, &owner, LAB_MODEL, "private").await;
    ok(
        bearer(
            server,
            Method::PATCH,
            &format!("/api/v1/models/{LAB_MODEL}"),
            &owner,
        )
        .json(&json!({"target_name": "target", "target_type": "regression"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(lab_version(server, &owner).await, "0.1.0");
    let dataset = upload_dataset(server, &owner, "lab-training").await;
    ok(
        bearer(
            server,
            Method::PUT,
            &format!("/api/v1/models/{LAB_MODEL}/versions/0.1.0/training-data"),
            &owner,
        )
        .json(&json!({"dataset_id": dataset})),
        StatusCode::OK,
    )
    .await;
    let job = failed_job(server, &owner).await;

    // What each principal's destructive rows use up: its own versions, aliases, models, team.
    let vars = join_all(PRINCIPALS.iter().map(|p| {
        let owner = owner.clone();
        let admin = admin.clone();
        let spare_token = spare_token.clone();
        let fn_spare_token = fn_spare_token.clone();
        let dataset = dataset.clone();
        let job = job.clone();
        async move {
            let draft_version = draft(server, &owner).await;
            put_file(server, &owner, &draft_version, "a.txt").await;
            let drop_version = draft(server, &owner).await;
            let pub_version = draft(server, &owner).await;
            publish(server, &owner, &pub_version).await;
            let fn_draft = draft(server, &owner).await;
            let fn_drop = draft(server, &owner).await;
            let lab = lab_version(server, &owner).await;
            let own_dataset = upload_dataset(server, &owner, &format!("own-{p}")).await;
            let fn_own_dataset = upload_dataset(server, &owner, &format!("fnown-{p}")).await;
            set_alias(server, &owner, &format!("tmp-{p}"), false).await;
            set_alias(server, &owner, &format!("guard-{p}"), true).await;
            set_alias(server, &owner, &format!("fntmp-{p}"), false).await;
            shared_model(server, &owner, &format!("own-{p}"), "private").await;
            shared_model(server, &owner, &format!("fnown-{p}"), "private").await;
            ok(
                bearer(server, Method::POST, "/api/v1/teams", &admin)
                    .json(&json!({"name": format!("gone-{p}")})),
                StatusCode::CREATED,
            )
            .await;
            HashMap::from([
                ("p".to_owned(), (*p).to_owned()),
                ("password".to_owned(), default_password(p)),
                ("draft".to_owned(), draft_version),
                ("drop".to_owned(), drop_version),
                ("pub".to_owned(), pub_version),
                ("fndraft".to_owned(), fn_draft),
                ("fndrop".to_owned(), fn_drop),
                ("spare_token".to_owned(), spare_token),
                ("fn_spare_token".to_owned(), fn_spare_token),
                ("dataset".to_owned(), dataset),
                ("labv".to_owned(), lab),
                ("own_dataset".to_owned(), own_dataset),
                ("fn_own_dataset".to_owned(), fn_own_dataset),
                ("job".to_owned(), job),
            ])
        }
    }))
    .await;

    // The deactivated admin keeps its token and session, which must now count for nothing.
    ok(
        bearer(server, Method::PATCH, "/api/v1/users/deactivated", &admin)
            .json(&json!({"is_active": false})),
        StatusCode::OK,
    )
    .await;

    let principals = PRINCIPALS
        .iter()
        .map(|name| {
            let (token, cookie) = match *name {
                "anonymous" => (None, None),
                "admin" => (Some(admin.clone()), Some(cookies["admin"].clone())),
                "revoked" => (Some(revoked.clone()), None),
                other => (Some(tokens[other].clone()), Some(cookies[other].clone())),
            };
            Principal {
                name,
                token,
                cookie,
            }
        })
        .collect();
    Fixture { principals, vars }
}

/// What the binary serves: REST paths, and server functions as `(method, path)`.
fn served_routes() -> (Vec<String>, BTreeSet<(String, String)>) {
    let out = std::process::Command::new(common::bin())
        .arg("routes")
        .env("NO_COLOR", "1")
        .output()
        .expect("run `modelyard routes`");
    assert!(
        out.status.success(),
        "`modelyard routes` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rest = Vec::new();
    let mut functions = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["REST", path] => rest.push((*path).to_owned()),
            ["FN", method, path] => {
                functions.insert(((*method).to_owned(), (*path).to_owned()));
            }
            _ => panic!("unexpected line from `modelyard routes`: {line}"),
        }
    }
    assert!(
        !rest.is_empty() && !functions.is_empty(),
        "`modelyard routes` listed nothing"
    );
    (rest, functions)
}

/// Every `(method, route)` the server answers with something other than 405, found by calling
/// each REST path with each method as an admin. Parameters name nothing that exists and bodies
/// are empty, so no probe changes anything.
async fn served_rest_methods(
    server: &TestServer,
    paths: &[String],
    admin: &str,
) -> BTreeSet<(String, String)> {
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    let probes = paths.iter().flat_map(|route| {
        methods.iter().map(move |method| async move {
            let path = fill_route(route, |_| "matrix-probe".to_owned());
            let resp = bearer(server, method.clone(), &path, admin)
                .send()
                .await
                .unwrap_or_else(|e| panic!("probe {method} {path}: {e}"));
            (resp.status() != StatusCode::METHOD_NOT_ALLOWED)
                .then(|| (method.to_string(), route.clone()))
        })
    });
    join_all(probes).await.into_iter().flatten().collect()
}

#[tokio::test]
async fn every_route_answers_each_principal_as_the_access_rules_say() {
    let started = Instant::now();
    let server = TestServer::start().await;
    let fixture = fixture(&server).await;
    let setup_time = started.elapsed();

    // Coverage: every route the binary serves has a row, and every row a route.
    let (rest_paths, functions) = served_routes();
    let admin = fixture.principals[4]
        .token
        .clone()
        .expect("the admin's token");
    let mut served = served_rest_methods(&server, &rest_paths, &admin).await;
    served.extend(functions);
    let mut rows = table();
    let covered: BTreeSet<(String, String)> = rows
        .iter()
        .map(|row| (row.method.to_string(), row.route.clone()))
        .collect();
    let mut report = String::new();
    for (method, route) in served.difference(&covered) {
        let _ = writeln!(
            report,
            "no row for {method} {route}: add one to table() in tests/authz_matrix.rs"
        );
    }
    for (method, route) in covered.difference(&served) {
        let _ = writeln!(
            report,
            "a row for {method} {route}, which the server does not serve"
        );
    }

    // The matrix itself.
    rows.sort_by_key(|row| row.ends_sessions);
    let mut mismatches = 0;
    for row in &rows {
        let results = join_all(
            fixture
                .principals
                .iter()
                .zip(&fixture.vars)
                .map(|(who, vars)| call(&server, row, who, vars)),
        )
        .await;
        let mut lines = String::new();
        for (i, outcome) in results.iter().enumerate() {
            let who = fixture.principals[i].name;
            if outcome.status != row.expect[i] {
                mismatches += 1;
                let _ = writeln!(
                    lines,
                    "    {who:<12} expected {}, got {}: {}",
                    row.expect[i], outcome.status, outcome.body
                );
            } else if let Some(code) = wrong_401(row, outcome) {
                mismatches += 1;
                let _ = writeln!(
                    lines,
                    "    {who:<12} expected 401 {code}, got {}",
                    outcome.body
                );
            }
        }
        if !lines.is_empty() {
            let _ = write!(report, "{}\n{lines}", row.label());
        }
    }
    eprintln!(
        "authorization matrix: {} rows x {} principals; setup {:.1?}, total {:.1?}",
        rows.len(),
        PRINCIPALS.len(),
        setup_time,
        started.elapsed()
    );
    assert!(
        report.is_empty(),
        "the authorization matrix does not hold ({mismatches} mismatched calls); columns are {PRINCIPALS:?}\n{report}"
    );
}
