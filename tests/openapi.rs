//! The served OpenAPI document says what the server does. Every documented operation is called
//! on a running server, answers that succeed and answers that refuse; each answer's status must
//! be documented for its operation, and its body must match the schema the document gives for
//! that status. A field the server adds, drops or retypes without the document following fails
//! here.

mod common;

use common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{RequestBuilder, StatusCode};
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
        assert_eq!(status, want, "{label} answered {status}: {body}");
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

const VERSIONS: &str = "/api/v1/models/{model}/versions";
const VERSION: &str = "/api/v1/models/{model}/versions/{version}";
const FILE: &str = "/api/v1/models/{model}/versions/{version}/files/{path}";
const ALIAS: &str = "/api/v1/models/{model}/aliases/{alias}";
const FEATURE_IMPACT: &str = "/api/v1/models/{model}/versions/{version}/feature-impact";
const TRAINING_DATA: &str = "/api/v1/models/{model}/versions/{version}/training-data";

#[tokio::test]
async fn every_documented_operation_answers_as_the_document_says() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let alice = server.user_with_token("alice", false);
    let mut c = Contract::fetch(&server).await;
    let s = &server;

    // Who is calling, and tokens.
    c.call(
        s,
        s.get("/api/v1/me").bearer_auth(&alice),
        "/api/v1/me",
        200,
    )
    .await;
    c.call(s, s.get("/api/v1/me"), "/api/v1/me", 401).await;
    c.call(
        s,
        s.get("/api/v1/tokens").bearer_auth(&alice),
        "/api/v1/tokens",
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/tokens?all=true").bearer_auth(&admin),
        "/api/v1/tokens",
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/tokens?all=true").bearer_auth(&alice),
        "/api/v1/tokens",
        403,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/tokens?all=maybe").bearer_auth(&alice),
        "/api/v1/tokens",
        400,
    )
    .await;
    let token = c
        .call(
            s,
            s.post("/api/v1/tokens")
                .bearer_auth(&alice)
                .json(&json!({"name": "ci", "expires_in_days": 30})),
            "/api/v1/tokens",
            201,
        )
        .await;
    c.call(
        s,
        s.post("/api/v1/tokens")
            .bearer_auth(&alice)
            .json(&json!({"name": ""})),
        "/api/v1/tokens",
        422,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/tokens").bearer_auth(&alice).body("{"),
        "/api/v1/tokens",
        415,
    )
    .await;
    let token_id = token["id"].as_str().expect("token id");
    let revoke = format!("/api/v1/tokens/{token_id}");
    c.call(
        s,
        s.delete(&revoke).bearer_auth(&alice),
        "/api/v1/tokens/{id}",
        204,
    )
    .await;
    c.call(
        s,
        s.delete("/api/v1/tokens/nope").bearer_auth(&alice),
        "/api/v1/tokens/{id}",
        404,
    )
    .await;

    // Users, passwords and teams.
    let new_user = json!({"username": "bob", "password": "a long password", "display_name": "Bob"});
    c.call(
        s,
        s.post("/api/v1/users").bearer_auth(&admin).json(&new_user),
        "/api/v1/users",
        201,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/users").bearer_auth(&admin).json(&new_user),
        "/api/v1/users",
        409,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/users?search=bo").bearer_auth(&admin),
        "/api/v1/users",
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/users").bearer_auth(&alice),
        "/api/v1/users",
        403,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/users?limit=0").bearer_auth(&admin),
        "/api/v1/users",
        422,
    )
    .await;
    let user = "/api/v1/users/{username}";
    c.call(s, s.get("/api/v1/users/bob").bearer_auth(&admin), user, 200)
        .await;
    c.call(
        s,
        s.get("/api/v1/users/nobody").bearer_auth(&admin),
        user,
        404,
    )
    .await;
    c.call(
        s,
        s.patch("/api/v1/users/bob")
            .bearer_auth(&admin)
            .json(&json!({"display_name": "Bobby"})),
        user,
        200,
    )
    .await;
    let bob = server.add_token("bob");
    let password = "/api/v1/me/password";
    c.call(
        s,
        s.put(password)
            .bearer_auth(&bob)
            .json(&json!({"current_password": "wrong", "new_password": "another long one"})),
        password,
        422,
    )
    .await;
    c.call(
        s,
        s.put(password).bearer_auth(&bob).json(
            &json!({"current_password": "a long password", "new_password": "another long one"}),
        ),
        password,
        204,
    )
    .await;
    for name in ["reviewers", "leavers"] {
        c.call(
            s,
            s.post("/api/v1/teams")
                .bearer_auth(&admin)
                .json(&json!({"name": name, "description": "d"})),
            "/api/v1/teams",
            201,
        )
        .await;
    }
    c.call(
        s,
        s.post("/api/v1/teams")
            .bearer_auth(&alice)
            .json(&json!({"name": "mine"})),
        "/api/v1/teams",
        403,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/teams").bearer_auth(&alice),
        "/api/v1/teams",
        200,
    )
    .await;
    let team = "/api/v1/teams/{team}";
    c.call(
        s,
        s.get("/api/v1/teams/reviewers").bearer_auth(&alice),
        team,
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/teams/nope").bearer_auth(&alice),
        team,
        404,
    )
    .await;
    let member = "/api/v1/teams/{team}/members/{username}";
    c.call(
        s,
        s.put("/api/v1/teams/reviewers/members/bob")
            .bearer_auth(&admin),
        member,
        200,
    )
    .await;
    c.call(
        s,
        s.put("/api/v1/teams/reviewers/members/alice")
            .bearer_auth(&admin),
        member,
        200,
    )
    .await;
    c.call(
        s,
        s.delete("/api/v1/teams/reviewers/members/alice")
            .bearer_auth(&admin),
        member,
        204,
    )
    .await;
    c.call(
        s,
        s.delete("/api/v1/teams/leavers").bearer_auth(&admin),
        team,
        204,
    )
    .await;

    // Models.
    let model = json!({"name": "churn", "description": "Who leaves", "target_type": "regression",
        "target_name": "target", "tags": ["demo"], "metadata": {"team": "growth"}, "visibility": "public"});
    c.call(
        s,
        s.post("/api/v1/models").bearer_auth(&alice).json(&model),
        "/api/v1/models",
        201,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models").bearer_auth(&alice).json(&model),
        "/api/v1/models",
        409,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models")
            .bearer_auth(&alice)
            .json(&json!({"name": "bad name"})),
        "/api/v1/models",
        422,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models")
            .bearer_auth(&alice)
            .json(&json!([1])),
        "/api/v1/models",
        422,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/models?search=chu&order_by=name"),
        "/api/v1/models",
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/models?order_by=size"),
        "/api/v1/models",
        422,
    )
    .await;
    let one = "/api/v1/models/{model}";
    c.call(s, s.get("/api/v1/models/churn"), one, 200).await;
    c.call(s, s.get("/api/v1/models/nope"), one, 404).await;
    c.call(
        s,
        s.patch("/api/v1/models/churn")
            .bearer_auth(&alice)
            .json(&json!({"readme": "# Churn", "description": null})),
        one,
        200,
    )
    .await;
    c.call(
        s,
        s.patch("/api/v1/models/churn")
            .bearer_auth(&bob)
            .json(&json!({"readme": "x"})),
        one,
        403,
    )
    .await;
    let access = "/api/v1/models/{model}/access";
    c.call(
        s,
        s.get("/api/v1/models/churn/access").bearer_auth(&alice),
        access,
        200,
    )
    .await;
    c.call(s, s.patch("/api/v1/models/churn/access").bearer_auth(&alice).json(&json!({"data": [{"username": "bob", "role": "VIEWER"}, {"team": "reviewers", "role": "EDITOR", "can_share": false}]})), access, 200)
        .await;
    c.call(
        s,
        s.patch("/api/v1/models/churn/access")
            .bearer_auth(&alice)
            .json(&json!({"data": [{"username": "alice", "role": null}]})),
        access,
        409,
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
    c.call(
        s,
        s.post("/api/v1/models/churn/versions")
            .bearer_auth(&alice)
            .multipart(form),
        VERSIONS,
        201,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models/churn/versions")
            .bearer_auth(&alice)
            .json(&json!({"base_version": "0.1.0", "bump": "patch", "tags": ["candidate"]})),
        VERSIONS,
        201,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models/churn/versions")
            .bearer_auth(&alice)
            .json(&json!({"bump": "sideways"})),
        VERSIONS,
        422,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models/churn/versions")
            .bearer_auth(&alice)
            .body("text"),
        VERSIONS,
        415,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/models/churn/versions?state=draft"),
        VERSIONS,
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/models/churn/versions/0.1.0"),
        VERSION,
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/models/churn/versions/9.9.9"),
        VERSION,
        404,
    )
    .await;
    c.call(
        s,
        s.patch("/api/v1/models/churn/versions/0.1.0")
            .bearer_auth(&alice)
            .json(&json!({"description": "the first", "git": {"ref_name": "main"}})),
        VERSION,
        200,
    )
    .await;
    c.call(
        s,
        s.patch("/api/v1/models/churn/versions/0.1.0")
            .bearer_auth(&alice)
            .json(&json!({"tags": "one"})),
        VERSION,
        422,
    )
    .await;
    let files = "/api/v1/models/{model}/versions/{version}/files";
    c.call(
        s,
        s.get("/api/v1/models/churn/versions/0.1.0/files"),
        files,
        200,
    )
    .await;
    let notes = "/api/v1/models/churn/versions/0.1.0/files/docs/notes.txt";
    c.call(
        s,
        s.put(notes).bearer_auth(&alice).body("hello, notes"),
        FILE,
        201,
    )
    .await;
    c.call(
        s,
        s.put(notes).bearer_auth(&alice).body("hello again"),
        FILE,
        200,
    )
    .await;
    c.call(
        s,
        s.put("/api/v1/models/churn/versions/0.1.0/files/..%2Fup")
            .bearer_auth(&alice)
            .body("x"),
        FILE,
        422,
    )
    .await;
    let served = c.call(s, s.get(notes), FILE, 200).await;
    assert_eq!(served, Value::Null, "a file is its bytes, not JSON");
    c.call(s, s.get(notes).header("range", "bytes=0-4"), FILE, 206)
        .await;
    c.call(s, s.get(notes).header("range", "bytes=100-200"), FILE, 416)
        .await;
    let listed = server
        .get_json("/api/v1/models/churn/versions/0.1.0/files", &alice)
        .await;
    let sha = listed["data"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["path"] == "docs/notes.txt"))
        .and_then(|f| f["sha256"].as_str())
        .expect("the file's sha256")
        .to_owned();
    c.call(
        s,
        s.get(notes).header("if-none-match", format!("\"{sha}\"")),
        FILE,
        304,
    )
    .await;
    c.call(s, s.delete(notes).bearer_auth(&alice), FILE, 204)
        .await;
    c.call(s, s.delete(notes).bearer_auth(&alice), FILE, 404)
        .await;
    let zip = "/api/v1/models/{model}/versions/{version}/download";
    c.call(
        s,
        s.get("/api/v1/models/churn/versions/0.1.0/download"),
        zip,
        200,
    )
    .await;

    // Training data and feature impact.
    let dataset = c
        .call(
            s,
            s.post("/api/v1/datasets")
                .bearer_auth(&alice)
                .multipart(csv_form("diabetes.csv")),
            "/api/v1/datasets",
            201,
        )
        .await;
    let dataset_id = dataset["id"].as_str().expect("dataset id").to_owned();
    c.call(
        s,
        s.post("/api/v1/datasets")
            .bearer_auth(&alice)
            .json(&json!({})),
        "/api/v1/datasets",
        415,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/datasets")
            .bearer_auth(&alice)
            .multipart(Form::new().text("name", "empty")),
        "/api/v1/datasets",
        422,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/datasets?search=diab").bearer_auth(&alice),
        "/api/v1/datasets",
        200,
    )
    .await;
    let one_dataset = "/api/v1/datasets/{id}";
    c.call(
        s,
        s.get(&format!("/api/v1/datasets/{dataset_id}"))
            .bearer_auth(&alice),
        one_dataset,
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/datasets/nope").bearer_auth(&alice),
        one_dataset,
        404,
    )
    .await;
    let assign = "/api/v1/models/churn/versions/0.1.0/training-data";
    c.call(
        s,
        s.put(assign)
            .bearer_auth(&alice)
            .json(&json!({"dataset_id": "nope"})),
        TRAINING_DATA,
        422,
    )
    .await;
    c.call(
        s,
        s.put(assign)
            .bearer_auth(&alice)
            .json(&json!({"dataset_id": dataset_id})),
        TRAINING_DATA,
        200,
    )
    .await;
    c.call(
        s,
        s.delete(&format!("/api/v1/datasets/{dataset_id}"))
            .bearer_auth(&alice),
        one_dataset,
        409,
    )
    .await;
    let impact = "/api/v1/models/churn/versions/0.1.0/feature-impact";
    c.call(s, s.get(impact), FEATURE_IMPACT, 404).await;
    c.call(s, s.put(impact).bearer_auth(&alice).json(&json!({"feature_impacts": [{"feature_name": "age", "impact_unnormalized": 0.4}, {"feature_name": "bmi", "impact_unnormalized": 0.8}], "shap_based": true})), FEATURE_IMPACT, 200)
        .await;
    c.call(
        s,
        s.put(impact)
            .bearer_auth(&alice)
            .json(&json!({"feature_impacts": []})),
        FEATURE_IMPACT,
        422,
    )
    .await;
    c.call(s, s.get(impact), FEATURE_IMPACT, 200).await;
    c.call(
        s,
        s.post(impact)
            .bearer_auth(&alice)
            .json(&json!({"row_count": 5})),
        FEATURE_IMPACT,
        422,
    )
    .await;
    let started = c
        .call(
            s,
            s.post(impact)
                .bearer_auth(&alice)
                .json(&json!({"row_count": 50, "seed": 1})),
            FEATURE_IMPACT,
            202,
        )
        .await;
    let job = format!(
        "/api/v1/jobs/{}",
        started["job_id"].as_str().expect("job id")
    );
    c.call(s, s.get(&job).bearer_auth(&alice), "/api/v1/jobs/{id}", 200)
        .await;
    c.call(
        s,
        s.get(&format!("{job}/log")).bearer_auth(&alice),
        "/api/v1/jobs/{id}/log",
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/jobs/nope").bearer_auth(&alice),
        "/api/v1/jobs/{id}",
        404,
    )
    .await;
    // The job may have finished already: canceling answers the job or says it is finished.
    let cancel = s
        .delete(&job)
        .bearer_auth(&alice)
        .send()
        .await
        .expect("cancel");
    let want = cancel.status().as_u16();
    assert!([200, 409].contains(&want), "canceling answered {want}");
    c.call(
        s,
        s.delete(&job).bearer_auth(&alice),
        "/api/v1/jobs/{id}",
        if want == 200 { 200 } else { 409 },
    )
    .await;
    c.call(s, s.delete(assign).bearer_auth(&alice), TRAINING_DATA, 200)
        .await;
    c.call(
        s,
        s.delete(&format!("/api/v1/datasets/{dataset_id}"))
            .bearer_auth(&alice),
        one_dataset,
        204,
    )
    .await;

    // Lifecycle, aliases, the primary version and copies.
    let publish = "/api/v1/models/{model}/versions/{version}/publish";
    c.call(
        s,
        s.post("/api/v1/models/churn/versions/0.1.0/publish")
            .bearer_auth(&alice),
        publish,
        200,
    )
    .await;
    c.call(
        s,
        s.patch("/api/v1/models/churn/versions/0.1.0")
            .bearer_auth(&alice)
            .json(&json!({"metrics": []})),
        VERSION,
        409,
    )
    .await;
    let primary = "/api/v1/models/{model}/primary";
    c.call(
        s,
        s.put("/api/v1/models/churn/primary")
            .bearer_auth(&alice)
            .json(&json!({"version": "0.1.1"})),
        primary,
        409,
    )
    .await;
    c.call(
        s,
        s.put("/api/v1/models/churn/primary")
            .bearer_auth(&alice)
            .json(&json!({"version": "0.1.0"})),
        primary,
        200,
    )
    .await;
    let deactivate = "/api/v1/models/{model}/versions/{version}/deactivate";
    let activate = "/api/v1/models/{model}/versions/{version}/activate";
    c.call(
        s,
        s.post("/api/v1/models/churn/versions/0.1.0/deactivate")
            .bearer_auth(&alice),
        deactivate,
        409,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models/churn/versions/0.1.1/deactivate")
            .bearer_auth(&alice),
        deactivate,
        200,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models/churn/versions/0.1.1/activate")
            .bearer_auth(&alice),
        activate,
        200,
    )
    .await;
    c.call(
        s,
        s.put("/api/v1/models/churn/aliases/production")
            .bearer_auth(&alice)
            .json(&json!({"version": "0.1.0", "protected": true})),
        ALIAS,
        200,
    )
    .await;
    c.call(
        s,
        s.put("/api/v1/models/churn/aliases/staging")
            .bearer_auth(&alice)
            .json(&json!({"version": "0.1.1"})),
        ALIAS,
        200,
    )
    .await;
    c.call(
        s,
        s.put("/api/v1/models/churn/aliases/Bad")
            .bearer_auth(&alice)
            .json(&json!({"version": "0.1.1"})),
        ALIAS,
        422,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/models/churn/aliases"),
        "/api/v1/models/{model}/aliases",
        200,
    )
    .await;
    let history = "/api/v1/models/{model}/aliases/{alias}/history";
    c.call(
        s,
        s.get("/api/v1/models/churn/aliases/production/history"),
        history,
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/models/churn/aliases/nope/history"),
        history,
        404,
    )
    .await;
    c.call(
        s,
        s.delete("/api/v1/models/churn/aliases/staging")
            .bearer_auth(&alice),
        ALIAS,
        204,
    )
    .await;
    c.call(
        s,
        s.delete("/api/v1/models/churn/aliases/staging")
            .bearer_auth(&alice),
        ALIAS,
        404,
    )
    .await;
    let copy = "/api/v1/models/{model}/copy";
    c.call(
        s,
        s.post("/api/v1/models/churn/copy")
            .bearer_auth(&alice)
            .json(&json!({"name": "churn-copy"})),
        copy,
        201,
    )
    .await;
    c.call(
        s,
        s.post("/api/v1/models/churn/copy")
            .bearer_auth(&alice)
            .json(&json!({"name": "churn-copy"})),
        copy,
        409,
    )
    .await;
    let downloads = "/api/v1/models/{model}/downloads";
    c.call(
        s,
        s.get("/api/v1/models/churn/downloads?days=7"),
        downloads,
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/models/churn/downloads?days=0"),
        downloads,
        422,
    )
    .await;
    c.call(
        s,
        s.delete("/api/v1/models/churn/versions/0.1.0")
            .bearer_auth(&alice),
        VERSION,
        409,
    )
    .await;
    c.call(
        s,
        s.delete("/api/v1/models/churn/versions/0.1.1")
            .bearer_auth(&alice),
        VERSION,
        200,
    )
    .await;

    // The audit log, the limits, and deleting.
    c.call(
        s,
        s.get("/api/v1/audit?model=churn&action=alias")
            .bearer_auth(&alice),
        "/api/v1/audit",
        200,
    )
    .await;
    c.call(
        s,
        s.get("/api/v1/audit?since=yesterday").bearer_auth(&alice),
        "/api/v1/audit",
        422,
    )
    .await;
    c.call(s, s.get("/api/v1/limits"), "/api/v1/limits", 200)
        .await;
    c.call(
        s,
        s.delete("/api/v1/models/churn-copy").bearer_auth(&bob),
        one,
        404,
    )
    .await;
    c.call(
        s,
        s.delete("/api/v1/models/churn-copy").bearer_auth(&alice),
        one,
        204,
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
