//! The served OpenAPI document says what the server does. Every documented operation is called
//! on a running server, answers that succeed and answers that refuse; each answer's status must
//! be documented for its operation, and its body must match the schema the document gives for
//! that status. A field the server adds, drops or retypes without the document following fails
//! here.

mod common;

use common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/feature_impact");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// The document, and which of its operations the test has called.
struct Contract {
    doc: Value,
    called: BTreeSet<(String, String)>,
}

impl Contract {
    async fn fetch(server: &TestServer) -> Self {
        let resp = server
            .get("/api/v1/openapi.json")
            .send()
            .await
            .expect("GET openapi.json");
        let doc = expect_json(resp, StatusCode::OK).await;
        let mut contract = Contract {
            doc,
            called: BTreeSet::new(),
        };
        contract
            .called
            .insert(("get".into(), "/api/v1/openapi.json".into()));
        contract
    }

    /// Sends `request` (for the documented `route`), checks the answer against the document
    /// and that its status is `want`; answers the body as JSON (null when it is not JSON).
    async fn call(
        &mut self,
        server: &TestServer,
        request: RequestBuilder,
        route: &str,
        want: u16,
    ) -> Value {
        self.call_among(server, request, route, &[want]).await
    }

    /// [`Contract::call`] where the answer may be any of `wanted` (a race the test cannot
    /// settle, such as a job finishing while it is canceled).
    async fn call_among(
        &mut self,
        server: &TestServer,
        request: RequestBuilder,
        route: &str,
        wanted: &[u16],
    ) -> Value {
        let request = request.build().expect("a request");
        let method = request.method().as_str().to_ascii_lowercase();
        let label = format!("{} {route}", method.to_uppercase());
        let resp = server
            .client
            .execute(request)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let status = resp.status().as_u16();
        let media_type = content_type(&resp)
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let bytes = resp.bytes().await.expect("a body");
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert!(
            wanted.contains(&status),
            "{label} answered {status}, not {wanted:?}: {body}"
        );
        let operation = &self.doc["paths"][route][&method];
        assert!(operation.is_object(), "{label} is not documented");
        self.called.insert((method, route.to_owned()));
        let documented = &operation["responses"][status.to_string()];
        assert!(
            documented.is_object(),
            "{label} answered {status}, which its operation does not document"
        );
        let Some(content) = documented["content"].as_object() else {
            return body;
        };
        assert!(
            content.contains_key(&media_type),
            "{label} {status} answered {media_type}, the document says {:?}",
            content.keys().collect::<Vec<_>>()
        );
        if let Some(schema) = content[&media_type].get("schema") {
            self.validate(&label, status, schema, &body);
        }
        body
    }

    fn validate(&self, label: &str, status: u16, schema: &Value, body: &Value) {
        let root = json!({"components": self.doc["components"], "allOf": [schema]});
        let validator = jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("{label} {status}: the schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{label} {status} contradicts the document:\n{}\nbody: {body}",
            errors.join("\n")
        );
    }

    /// Every documented operation, as (method, route).
    fn documented(&self) -> BTreeSet<(String, String)> {
        let mut all = BTreeSet::new();
        for (route, item) in self.doc["paths"].as_object().expect("paths") {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    all.insert((method.to_owned(), route.clone()));
                }
            }
        }
        all
    }
}

fn csv_form(name: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(fixture(name)).file_name(name.to_owned()),
    )
}

/// One call of the contract test: who calls (a token, or "" for nobody), the request, the
/// documented route it exercises and the status it must answer.
struct Case {
    who: String,
    method: Method,
    path: String,
    body: Option<Body>,
    header: Option<(&'static str, String)>,
    route: &'static str,
    want: u16,
}

enum Body {
    Json(Value),
    Text(&'static str),
}

fn case(
    who: &str,
    method: Method,
    path: impl Into<String>,
    route: &'static str,
    want: u16,
) -> Case {
    Case {
        who: who.to_owned(),
        method,
        path: path.into(),
        body: None,
        header: None,
        route,
        want,
    }
}

impl Case {
    fn json(mut self, body: Value) -> Self {
        self.body = Some(Body::Json(body));
        self
    }

    fn text(mut self, body: &'static str) -> Self {
        self.body = Some(Body::Text(body));
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.header = Some((name, value.into()));
        self
    }
}

impl Contract {
    /// Runs `cases` in order; answers the body of the last.
    async fn run(&mut self, server: &TestServer, cases: Vec<Case>) -> Value {
        let mut last = Value::Null;
        for case in cases {
            let mut request = server.client.request(case.method, server.url(&case.path));
            if !case.who.is_empty() {
                request = request.bearer_auth(&case.who);
            }
            request = match case.body {
                Some(Body::Json(body)) => request.json(&body),
                Some(Body::Text(text)) => request.body(text),
                None => request,
            };
            if let Some((name, value)) = case.header {
                request = request.header(name, value);
            }
            last = self.call(server, request, case.route, case.want).await;
        }
        last
    }
}

const ME: &str = "/api/v1/me";
const TOKENS: &str = "/api/v1/tokens";
const TOKEN: &str = "/api/v1/tokens/{id}";
const USERS: &str = "/api/v1/users";
const USER: &str = "/api/v1/users/{username}";
const PASSWORD: &str = "/api/v1/me/password";
const TEAMS: &str = "/api/v1/teams";
const TEAM: &str = "/api/v1/teams/{team}";
const MEMBER: &str = "/api/v1/teams/{team}/members/{username}";
const MODELS: &str = "/api/v1/models";
const MODEL: &str = "/api/v1/models/{model}";
const ACCESS: &str = "/api/v1/models/{model}/access";
const VERSIONS: &str = "/api/v1/models/{model}/versions";
const VERSION: &str = "/api/v1/models/{model}/versions/{version}";
const FILES: &str = "/api/v1/models/{model}/versions/{version}/files";
const FILE: &str = "/api/v1/models/{model}/versions/{version}/files/{path}";
const ZIP: &str = "/api/v1/models/{model}/versions/{version}/download";
const PUBLISH: &str = "/api/v1/models/{model}/versions/{version}/publish";
const DEACTIVATE: &str = "/api/v1/models/{model}/versions/{version}/deactivate";
const ACTIVATE: &str = "/api/v1/models/{model}/versions/{version}/activate";
const PRIMARY: &str = "/api/v1/models/{model}/primary";
const ALIASES: &str = "/api/v1/models/{model}/aliases";
const ALIAS: &str = "/api/v1/models/{model}/aliases/{alias}";
const HISTORY: &str = "/api/v1/models/{model}/aliases/{alias}/history";
const COPY: &str = "/api/v1/models/{model}/copy";
const DOWNLOADS: &str = "/api/v1/models/{model}/downloads";
const DATASETS: &str = "/api/v1/datasets";
const DATASET: &str = "/api/v1/datasets/{id}";
const TRAINING_DATA: &str = "/api/v1/models/{model}/versions/{version}/training-data";
const FEATURE_IMPACT: &str = "/api/v1/models/{model}/versions/{version}/feature-impact";
const JOB: &str = "/api/v1/jobs/{id}";
const JOB_LOG: &str = "/api/v1/jobs/{id}/log";
const AUDIT: &str = "/api/v1/audit";
const LIMITS: &str = "/api/v1/limits";

#[tokio::test]
async fn every_documented_operation_answers_as_the_document_says() {
    use Method as M;
    let server = TestServer::start().await;
    let s = &server;
    let admin = &server.user_with_token("root", true);
    let alice = &server.user_with_token("alice", false);
    let nobody = "";
    let mut c = Contract::fetch(s).await;

    // Who is calling, and tokens.
    c.run(
        s,
        vec![
            case(alice, M::GET, "/api/v1/me", ME, 200),
            case(nobody, M::GET, "/api/v1/me", ME, 401),
            case(alice, M::GET, "/api/v1/tokens", TOKENS, 200),
            case(admin, M::GET, "/api/v1/tokens?all=true", TOKENS, 200),
            case(alice, M::GET, "/api/v1/tokens?all=true", TOKENS, 403),
            case(alice, M::GET, "/api/v1/tokens?all=maybe", TOKENS, 400),
        ],
    )
    .await;
    let token = c
        .run(
            s,
            vec![
                case(alice, M::POST, "/api/v1/tokens", TOKENS, 201)
                    .json(json!({"name": "ci", "expires_in_days": 30})),
            ],
        )
        .await;
    let revoke = format!("/api/v1/tokens/{}", token["id"].as_str().expect("token id"));
    c.run(
        s,
        vec![
            case(alice, M::POST, "/api/v1/tokens", TOKENS, 422).json(json!({"name": ""})),
            case(alice, M::POST, "/api/v1/tokens", TOKENS, 415).text("{"),
            case(alice, M::DELETE, revoke, TOKEN, 204),
            case(alice, M::DELETE, "/api/v1/tokens/nope", TOKEN, 404),
        ],
    )
    .await;

    // Users, passwords and teams.
    let new_user = json!({"username": "bob", "password": "a long password", "display_name": "Bob"});
    c.run(
        s,
        vec![
            case(admin, M::POST, "/api/v1/users", USERS, 201).json(new_user.clone()),
            case(admin, M::POST, "/api/v1/users", USERS, 409).json(new_user),
            case(admin, M::GET, "/api/v1/users?search=bo", USERS, 200),
            case(alice, M::GET, "/api/v1/users", USERS, 403),
            case(admin, M::GET, "/api/v1/users?limit=0", USERS, 422),
            case(admin, M::GET, "/api/v1/users/bob", USER, 200),
            case(admin, M::GET, "/api/v1/users/nobody", USER, 404),
            case(admin, M::PATCH, "/api/v1/users/bob", USER, 200)
                .json(json!({"display_name": "Bobby"})),
        ],
    )
    .await;
    let bob = &server.add_token("bob");
    c.run(
        s,
        vec![
            case(bob, M::PUT, PASSWORD, PASSWORD, 422)
                .json(json!({"current_password": "wrong", "new_password": "another long one"})),
            case(bob, M::PUT, PASSWORD, PASSWORD, 204).json(
                json!({"current_password": "a long password", "new_password": "another long one"}),
            ),
            case(admin, M::POST, "/api/v1/teams", TEAMS, 201)
                .json(json!({"name": "reviewers", "description": "d"})),
            case(admin, M::POST, "/api/v1/teams", TEAMS, 201)
                .json(json!({"name": "leavers", "description": "d"})),
            case(alice, M::POST, "/api/v1/teams", TEAMS, 403).json(json!({"name": "mine"})),
            case(alice, M::GET, "/api/v1/teams", TEAMS, 200),
            case(alice, M::GET, "/api/v1/teams/reviewers", TEAM, 200),
            case(alice, M::GET, "/api/v1/teams/nope", TEAM, 404),
            case(
                admin,
                M::PUT,
                "/api/v1/teams/reviewers/members/bob",
                MEMBER,
                200,
            ),
            case(
                admin,
                M::PUT,
                "/api/v1/teams/reviewers/members/alice",
                MEMBER,
                200,
            ),
            case(
                admin,
                M::DELETE,
                "/api/v1/teams/reviewers/members/alice",
                MEMBER,
                204,
            ),
            case(admin, M::DELETE, "/api/v1/teams/leavers", TEAM, 204),
        ],
    )
    .await;

    // Models.
    let model = json!({"name": "churn", "description": "Who leaves", "target_type": "regression",
        "target_name": "target", "tags": ["demo"], "metadata": {"team": "growth"}, "visibility": "public"});
    c.run(
        s,
        vec![
            case(alice, M::POST, "/api/v1/models", MODELS, 201).json(model.clone()),
            case(alice, M::POST, "/api/v1/models", MODELS, 409).json(model),
            case(alice, M::POST, "/api/v1/models", MODELS, 422).json(json!({"name": "bad name"})),
            case(alice, M::POST, "/api/v1/models", MODELS, 422).json(json!([1])),
            case(
                nobody,
                M::GET,
                "/api/v1/models?search=chu&order_by=name",
                MODELS,
                200,
            ),
            case(nobody, M::GET, "/api/v1/models?order_by=size", MODELS, 422),
            case(nobody, M::GET, "/api/v1/models/churn", MODEL, 200),
            case(nobody, M::GET, "/api/v1/models/nope", MODEL, 404),
            case(alice, M::PATCH, "/api/v1/models/churn", MODEL, 200)
                .json(json!({"readme": "# Churn", "description": null})),
            case(bob, M::PATCH, "/api/v1/models/churn", MODEL, 403).json(json!({"readme": "x"})),
            case(alice, M::GET, "/api/v1/models/churn/access", ACCESS, 200),
            case(alice, M::PATCH, "/api/v1/models/churn/access", ACCESS, 200).json(
                json!({"data": [
                    {"username": "bob", "role": "VIEWER"},
                    {"team": "reviewers", "role": "EDITOR", "can_share": false}
                ]}),
            ),
            case(alice, M::PATCH, "/api/v1/models/churn/access", ACCESS, 409)
                .json(json!({"data": [{"username": "alice", "role": null}]})),
        ],
    )
    .await;

    // Versions and their files.
    let form = Form::new()
        .text("description", "first")
        .text("metrics", r#"[{"key": "rmse", "value": 0.5}]"#)
        .part(
            "files",
            Part::bytes(fixture("diabetes_linear.onnx")).file_name("model.onnx"),
        )
        .part(
            "files",
            Part::bytes(b"numpy==2.1\nscikit-learn>=1.5\n".to_vec()).file_name("requirements.txt"),
        );
    let upload = s
        .post("/api/v1/models/churn/versions")
        .bearer_auth(alice)
        .multipart(form);
    c.call(s, upload, VERSIONS, 201).await;
    let v1 = "/api/v1/models/churn/versions/0.1.0";
    let notes = "/api/v1/models/churn/versions/0.1.0/files/docs/notes.txt";
    c.run(
        s,
        vec![
            case(
                alice,
                M::POST,
                "/api/v1/models/churn/versions",
                VERSIONS,
                201,
            )
            .json(json!({"base_version": "0.1.0", "bump": "patch", "tags": ["candidate"]})),
            case(
                alice,
                M::POST,
                "/api/v1/models/churn/versions",
                VERSIONS,
                422,
            )
            .json(json!({"bump": "sideways"})),
            case(
                alice,
                M::POST,
                "/api/v1/models/churn/versions",
                VERSIONS,
                415,
            )
            .text("text"),
            case(
                nobody,
                M::GET,
                "/api/v1/models/churn/versions?state=draft",
                VERSIONS,
                200,
            ),
            case(nobody, M::GET, v1, VERSION, 200),
            case(
                nobody,
                M::GET,
                "/api/v1/models/churn/versions/9.9.9",
                VERSION,
                404,
            ),
            case(alice, M::PATCH, v1, VERSION, 200)
                .json(json!({"description": "the first", "git": {"ref_name": "main"}})),
            case(alice, M::PATCH, v1, VERSION, 422).json(json!({"tags": "one"})),
            case(nobody, M::GET, format!("{v1}/files"), FILES, 200),
            case(alice, M::PUT, notes, FILE, 201).text("hello, notes"),
            case(alice, M::PUT, notes, FILE, 200).text("hello again"),
            case(alice, M::PUT, format!("{v1}/files/..%2Fup"), FILE, 422).text("x"),
        ],
    )
    .await;
    let served = c.run(s, vec![case(nobody, M::GET, notes, FILE, 200)]).await;
    assert_eq!(served, Value::Null, "a file is its bytes, not JSON");
    let listed = server.get_json(&format!("{v1}/files"), alice).await;
    let sha = listed["data"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["path"] == "docs/notes.txt"))
        .and_then(|f| f["sha256"].as_str())
        .expect("the file's sha256")
        .to_owned();
    c.run(
        s,
        vec![
            case(nobody, M::GET, notes, FILE, 206).header("range", "bytes=0-4"),
            case(nobody, M::GET, notes, FILE, 416).header("range", "bytes=100-200"),
            case(nobody, M::GET, notes, FILE, 304).header("if-none-match", format!("\"{sha}\"")),
            case(alice, M::DELETE, notes, FILE, 204),
            case(alice, M::DELETE, notes, FILE, 404),
            case(nobody, M::GET, format!("{v1}/download"), ZIP, 200),
        ],
    )
    .await;

    // Training data and feature impact.
    let upload = s
        .post("/api/v1/datasets")
        .bearer_auth(alice)
        .multipart(csv_form("diabetes.csv"));
    let dataset = c.call(s, upload, DATASETS, 201).await;
    let dataset = format!(
        "/api/v1/datasets/{}",
        dataset["id"].as_str().expect("dataset id")
    );
    let dataset_id = dataset.trim_start_matches("/api/v1/datasets/").to_owned();
    let empty = s
        .post("/api/v1/datasets")
        .bearer_auth(alice)
        .multipart(Form::new().text("name", "empty"));
    c.call(s, empty, DATASETS, 422).await;
    let assign = "/api/v1/models/churn/versions/0.1.0/training-data";
    let impact = "/api/v1/models/churn/versions/0.1.0/feature-impact";
    let imported = json!({"feature_impacts": [
        {"feature_name": "age", "impact_unnormalized": 0.4},
        {"feature_name": "bmi", "impact_unnormalized": 0.8}
    ], "shap_based": true});
    c.run(
        s,
        vec![
            case(alice, M::POST, "/api/v1/datasets", DATASETS, 415).json(json!({})),
            case(alice, M::GET, "/api/v1/datasets?search=diab", DATASETS, 200),
            case(alice, M::GET, &dataset, DATASET, 200),
            case(alice, M::GET, "/api/v1/datasets/nope", DATASET, 404),
            case(alice, M::PUT, assign, TRAINING_DATA, 422).json(json!({"dataset_id": "nope"})),
            case(alice, M::PUT, assign, TRAINING_DATA, 200).json(json!({"dataset_id": dataset_id})),
            case(alice, M::DELETE, &dataset, DATASET, 409),
            case(nobody, M::GET, impact, FEATURE_IMPACT, 404),
            case(alice, M::PUT, impact, FEATURE_IMPACT, 200).json(imported),
            case(alice, M::PUT, impact, FEATURE_IMPACT, 422).json(json!({"feature_impacts": []})),
            case(nobody, M::GET, impact, FEATURE_IMPACT, 200),
            case(alice, M::POST, impact, FEATURE_IMPACT, 422).json(json!({"row_count": 5})),
        ],
    )
    .await;
    let started = c
        .run(
            s,
            vec![
                case(alice, M::POST, impact, FEATURE_IMPACT, 202)
                    .json(json!({"row_count": 50, "seed": 1})),
            ],
        )
        .await;
    let job = format!(
        "/api/v1/jobs/{}",
        started["job_id"].as_str().expect("job id")
    );
    c.run(
        s,
        vec![
            case(alice, M::GET, &job, JOB, 200),
            case(alice, M::GET, format!("{job}/log"), JOB_LOG, 200),
            case(alice, M::GET, "/api/v1/jobs/nope", JOB, 404),
        ],
    )
    .await;
    // The job may be queued, running or finished by now: canceling answers the job (canceled,
    // or asked to stop) or says it has finished; so does canceling again.
    for _ in 0..2 {
        c.call_among(s, s.delete(&job).bearer_auth(alice), JOB, &[200, 409])
            .await;
    }
    c.run(
        s,
        vec![
            case(alice, M::DELETE, assign, TRAINING_DATA, 200),
            case(alice, M::DELETE, &dataset, DATASET, 204),
        ],
    )
    .await;

    // Lifecycle, aliases, the primary version and copies; the audit log, the limits, deleting.
    let v2 = "/api/v1/models/churn/versions/0.1.1";
    c.run(
        s,
        vec![
            case(alice, M::POST, format!("{v1}/publish"), PUBLISH, 200),
            case(alice, M::PATCH, v1, VERSION, 409).json(json!({"metrics": []})),
            case(alice, M::PUT, "/api/v1/models/churn/primary", PRIMARY, 409)
                .json(json!({"version": "0.1.1"})),
            case(alice, M::PUT, "/api/v1/models/churn/primary", PRIMARY, 200)
                .json(json!({"version": "0.1.0"})),
            case(alice, M::POST, format!("{v1}/deactivate"), DEACTIVATE, 409),
            case(alice, M::POST, format!("{v2}/deactivate"), DEACTIVATE, 200),
            case(alice, M::POST, format!("{v2}/activate"), ACTIVATE, 200),
            case(
                alice,
                M::PUT,
                "/api/v1/models/churn/aliases/production",
                ALIAS,
                200,
            )
            .json(json!({"version": "0.1.0", "protected": true})),
            case(
                alice,
                M::PUT,
                "/api/v1/models/churn/aliases/staging",
                ALIAS,
                200,
            )
            .json(json!({"version": "0.1.1"})),
            case(
                alice,
                M::PUT,
                "/api/v1/models/churn/aliases/Bad",
                ALIAS,
                422,
            )
            .json(json!({"version": "0.1.1"})),
            case(nobody, M::GET, "/api/v1/models/churn/aliases", ALIASES, 200),
            case(
                nobody,
                M::GET,
                "/api/v1/models/churn/aliases/production/history",
                HISTORY,
                200,
            ),
            case(
                nobody,
                M::GET,
                "/api/v1/models/churn/aliases/nope/history",
                HISTORY,
                404,
            ),
            case(
                alice,
                M::DELETE,
                "/api/v1/models/churn/aliases/staging",
                ALIAS,
                204,
            ),
            case(
                alice,
                M::DELETE,
                "/api/v1/models/churn/aliases/staging",
                ALIAS,
                404,
            ),
            case(alice, M::POST, "/api/v1/models/churn/copy", COPY, 201)
                .json(json!({"name": "churn-copy"})),
            case(alice, M::POST, "/api/v1/models/churn/copy", COPY, 409)
                .json(json!({"name": "churn-copy"})),
            case(
                nobody,
                M::GET,
                "/api/v1/models/churn/downloads?days=7",
                DOWNLOADS,
                200,
            ),
            case(
                nobody,
                M::GET,
                "/api/v1/models/churn/downloads?days=0",
                DOWNLOADS,
                422,
            ),
            case(alice, M::DELETE, v1, VERSION, 409),
            case(alice, M::DELETE, v2, VERSION, 200),
            case(
                alice,
                M::GET,
                "/api/v1/audit?model=churn&action=alias",
                AUDIT,
                200,
            ),
            case(alice, M::GET, "/api/v1/audit?since=yesterday", AUDIT, 422),
            case(nobody, M::GET, "/api/v1/limits", LIMITS, 200),
            case(bob, M::DELETE, "/api/v1/models/churn-copy", MODEL, 404),
            case(alice, M::DELETE, "/api/v1/models/churn-copy", MODEL, 204),
        ],
    )
    .await;

    let missed: Vec<_> = c.documented().difference(&c.called).cloned().collect();
    assert!(missed.is_empty(), "documented but never called: {missed:?}");
}

#[tokio::test]
async fn the_document_declares_every_path_parameter_and_who_may_call() {
    let server = TestServer::start().await;
    let doc = Contract::fetch(&server).await.doc;
    for (route, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("an item") {
            let label = format!("{method} {route}");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for name in route
                .split('{')
                .skip(1)
                .filter_map(|r| r.split_once('}'))
                .map(|(n, _)| n)
            {
                let declared = params
                    .iter()
                    .find(|p| p["in"] == "path" && p["name"] == name);
                let description = declared
                    .and_then(|p| p["description"].as_str())
                    .unwrap_or("");
                assert!(
                    !description.is_empty(),
                    "{label}: {{{name}}} is not described"
                );
            }
            let open_to_all = op["security"] == json!([{}]);
            assert_eq!(
                op["responses"].get("401").is_some(),
                !open_to_all,
                "{label}: 401 is documented exactly when a token is read"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{label}"
            );
        }
    }
    let version = &doc["components"]["schemas"]["Version"]["properties"];
    for field in [
        "id",
        "model_id",
        "model_name",
        "file_count",
        "total_size",
        "updated_at",
        "published_at",
        "base_version",
        "signature",
        "download_count",
    ] {
        assert!(version.get(field).is_some(), "Version lacks {field}");
    }
}
