//! Datasets over HTTP against the real binary: uploading CSV files (columns, inferred types, row
//! counts, previews, and the line a malformed file goes wrong on), who may see and delete them,
//! the training data of versions, the no-JavaScript upload form, and a restart.

mod common;

use common::{TestServer, assert_error, assert_invalid, expect_json};
use reqwest::header::{LOCATION, ORIGIN};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/feature_impact")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn csv_form(name: Option<&str>, file_name: &str, bytes: &[u8]) -> Form {
    let mut form = Form::new();
    if let Some(name) = name {
        form = form.text("name", name.to_owned());
    }
    form.part(
        "file",
        Part::bytes(bytes.to_vec())
            .file_name(file_name.to_owned())
            .mime_str("text/csv")
            .expect("a MIME type"),
    )
}

async fn post_dataset(server: &TestServer, token: &str, form: Form) -> Response {
    server
        .as_user(token)
        .post_form("/api/v1/datasets", form)
        .await
}

/// Uploads a CSV file, asserting 201, and returns the dataset.
async fn upload(
    server: &TestServer,
    token: &str,
    name: Option<&str>,
    file: &str,
    bytes: &[u8],
) -> Value {
    expect_json(
        post_dataset(server, token, csv_form(name, file, bytes)).await,
        StatusCode::CREATED,
    )
    .await
}

fn id(dataset: &Value) -> String {
    dataset["id"].as_str().expect("a dataset id").to_owned()
}

fn column<'a>(dataset: &'a Value, name: &str) -> &'a Value {
    dataset["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {dataset}"))
}

/// A model with one published version, and its target column.
async fn model_with_version(
    server: &TestServer,
    token: &str,
    name: &str,
    target: &str,
    visibility: &str,
) {
    server
        .create_model(
            token,
            json!({"name": name, "target_type": "regression", "target_name": target, "visibility": visibility}),
        )
        .await;
    server
        .create_version(token, name, json!({"publish": true}))
        .await;
}

#[tokio::test]
async fn diabetes_is_read_with_its_columns_types_rows_and_preview() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let bytes = fixture("diabetes.csv");
    let dataset = upload(&server, &token, None, "diabetes.csv", &bytes).await;
    assert_eq!(dataset["name"], "diabetes", "named after the file");
    assert_eq!(dataset["row_count"], 442);
    assert_eq!(dataset["size"], bytes.len());
    assert_eq!(dataset["sha256"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(dataset["created_by"], "alice");
    let names: Vec<&str> = dataset["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "target"
        ]
    );
    for c in dataset["columns"].as_array().expect("columns") {
        assert_eq!(c["type"], "numeric", "{c}");
        assert_eq!(c["missing_count"], 0, "{c}");
    }
    let target = column(&dataset, "target");
    assert_eq!(target["min"], 25.0);
    assert_eq!(target["max"], 346.0);
    assert_eq!(column(&dataset, "sex")["distinct_count"], 2);
    let preview = dataset["preview"].as_array().expect("a preview");
    assert_eq!(preview.len(), 20);
    assert_eq!(preview[0][0], "0.038075906433423026");
    assert_eq!(preview[0][10], "151.0");

    let fetched = server
        .get_json(&format!("/api/v1/datasets/{}", id(&dataset)), &token)
        .await;
    assert_eq!(fetched["preview"], dataset["preview"]);
    assert_eq!(fetched["columns"], dataset["columns"]);
    assert_eq!(fetched["used_by"], json!([]));
}

#[tokio::test]
async fn feature_names_with_spaces_are_kept_whole() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let dataset = upload(
        &server,
        &token,
        Some("Breast cancer (sklearn)"),
        "breast_cancer.csv",
        &fixture("breast_cancer.csv"),
    )
    .await;
    assert_eq!(dataset["name"], "Breast cancer (sklearn)");
    assert_eq!(dataset["row_count"], 569);
    let columns = dataset["columns"].as_array().expect("columns");
    assert_eq!(columns.len(), 31);
    assert_eq!(columns[0]["name"], "mean radius");
    assert_eq!(columns[29]["name"], "worst fractal dimension");
    assert_eq!(column(&dataset, "target")["distinct_count"], 2);
}

#[tokio::test]
async fn categorical_boolean_text_and_missing_values_are_recognised() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let mut csv = String::from("\u{feff}id,colour,smoker,income,comment\n");
    for i in 0..60 {
        let colour = ["red", "green", "blue"][i % 3];
        let smoker = if i % 2 == 0 { "yes" } else { "no" };
        let income = if i % 10 == 0 {
            "NA".to_owned()
        } else {
            format!("{}", 1000 + i)
        };
        csv.push_str(&format!(
            "{i},{colour},{smoker},{income},\"free text number {i}, with a comma\"\n"
        ));
    }
    let dataset = upload(
        &server,
        &token,
        Some("people"),
        "people.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(dataset["row_count"], 60);
    assert_eq!(
        column(&dataset, "id")["type"],
        "numeric",
        "the byte order mark is not part of the name"
    );
    assert_eq!(column(&dataset, "colour")["type"], "categorical");
    assert_eq!(column(&dataset, "colour")["distinct_count"], 3);
    assert_eq!(column(&dataset, "smoker")["type"], "boolean");
    assert_eq!(column(&dataset, "income")["type"], "numeric");
    assert_eq!(column(&dataset, "income")["missing_count"], 6);
    assert_eq!(column(&dataset, "comment")["type"], "text");
    assert_eq!(dataset["preview"][0][4], "free text number 0, with a comma");
}

#[tokio::test]
async fn malformed_files_are_refused_naming_the_line() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let mut ragged = String::from("a,b,c,d,e\n");
    for i in 0..15 {
        ragged.push_str(&format!("{i},1,2,3,4\n"));
    }
    ragged.push_str("x,1,2,3\n");
    let resp = post_dataset(
        &server,
        &token,
        csv_form(None, "ragged.csv", ragged.as_bytes()),
    )
    .await;
    let body = assert_invalid(resp, "DATASET_RAGGED_ROW", "file").await;
    assert_eq!(body["error_msg"], "Line 17 has 4 fields, the header has 5.");

    let resp = post_dataset(
        &server,
        &token,
        csv_form(
            None,
            "latin1.csv",
            b"name,city\nada,London\nbob,M\xfcnchen\n",
        ),
    )
    .await;
    let body = assert_invalid(resp, "DATASET_BAD_ENCODING", "file").await;
    let msg = body["error_msg"].as_str().expect("message");
    assert!(msg.contains("Line 3") && msg.contains("'city'"), "{msg}");
    assert!(
        body["solution_msg"]
            .as_str()
            .expect("solution")
            .contains("UTF-8")
    );

    for (file, bytes) in [("empty.csv", &b""[..]), ("header.csv", b"a,b,target\n")] {
        let resp = post_dataset(&server, &token, csv_form(None, file, bytes)).await;
        assert_invalid(resp, "DATASET_EMPTY", "file").await;
    }

    let resp = post_dataset(
        &server,
        &token,
        csv_form(None, "twice.csv", b"a,b,a\n1,2,3\n"),
    )
    .await;
    let body = assert_invalid(resp, "DATASET_BAD_HEADER", "file").await;
    assert!(body["error_msg"].as_str().expect("message").contains("'a'"));
    // (the form, the error code, the field it names)
    let refusals = [
        (
            csv_form(None, "blank.csv", b"a,,c\n1,2,3\n"),
            "DATASET_BAD_HEADER",
            "file",
        ),
        (
            csv_form(Some(&"n".repeat(129)), "x.csv", b"a\n1\n"),
            "INVALID_DATASET_NAME",
            "name",
        ),
        (
            Form::new().text("name", "no file"),
            "DATASET_FILE_MISSING",
            "file",
        ),
    ];
    for (form, code, field) in refusals {
        let resp = post_dataset(&server, &token, form).await;
        assert_invalid(resp, code, field).await;
    }
    let resp = server
        .post("/api/v1/datasets")
        .bearer_auth(&token)
        .body("a,b\n1,2\n")
        .send()
        .await
        .expect("POST a raw body");
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE").await;

    // Nothing was kept of any of them.
    let list = server.get_json("/api/v1/datasets", &token).await;
    assert_eq!(list["total_count"], 0);
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_413() {
    let server = TestServer::start_with_env(&[("MODELYARD_MAX_UPLOAD_BYTES", "1000")]).await;
    let token = server.user_with_token("alice", false);
    let mut csv = String::from("a,b\n");
    while csv.len() <= 1000 {
        csv.push_str("12345,67890\n");
    }
    let resp = post_dataset(&server, &token, csv_form(None, "big.csv", csv.as_bytes())).await;
    assert_error(resp, 413, "FILE_TOO_LARGE").await;
    upload(&server, &token, None, "small.csv", b"a,b\n1,2\n").await;
    let list = server.get_json("/api/v1/datasets", &token).await;
    assert_eq!(list["total_count"], 1);
}

#[tokio::test]
async fn datasets_are_listed_searched_fetched_and_deleted() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    for name in ["train-2024", "train-2025", "holdout"] {
        upload(&server, &token, Some(name), "x.csv", b"a,target\n1,2\n").await;
    }
    let list = server.get_json("/api/v1/datasets?limit=2", &token).await;
    assert_eq!(list["total_count"], 3);
    assert_eq!(list["count"], 2);
    assert_eq!(list["data"][0]["name"], "holdout", "newest first");
    assert!(
        list["data"][0].get("preview").is_none(),
        "lists carry no previews"
    );
    assert!(
        list["next"]
            .as_str()
            .is_some_and(|n| n.starts_with("/api/v1/datasets?") && n.contains("offset=2")),
        "{list}"
    );
    let found = server
        .get_json("/api/v1/datasets?search=TRAIN", &token)
        .await;
    assert_eq!(found["total_count"], 2);

    let holdout = id(&list["data"][0]);
    let resp = server
        .as_user(&token)
        .delete(&format!("/api/v1/datasets/{holdout}"))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = server
        .as_user(&token)
        .get(&format!("/api/v1/datasets/{holdout}"))
        .await;
    assert_error(resp, 404, "DATASET_NOT_FOUND").await;
    let resp = server
        .as_user(&token)
        .delete(&format!("/api/v1/datasets/{holdout}"))
        .await;
    assert_error(resp, 404, "DATASET_NOT_FOUND").await;

    let resp = server.anonymous().get("/api/v1/datasets").await;
    assert_error(resp, 401, "NOT_AUTHENTICATED").await;

    let audit = server
        .get_json(
            "/api/v1/audit?action=dataset",
            &server.user_with_token("root", true),
        )
        .await;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "dataset.create").count(),
        3
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "dataset.delete").count(),
        1
    );
}

#[tokio::test]
async fn training_data_is_assigned_checked_shown_and_cleared() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    let bob = server.user_with_token("bob", false);
    model_with_version(&server, &alice, "diabetes-model", "target", "private").await;
    let training = upload(
        &server,
        &alice,
        None,
        "diabetes.csv",
        &fixture("diabetes.csv"),
    )
    .await;
    let holdout = upload(
        &server,
        &alice,
        Some("holdout"),
        "h.csv",
        b"bmi,target\n0.1,100\n",
    )
    .await;
    let no_target = upload(
        &server,
        &alice,
        Some("features only"),
        "f.csv",
        b"age,bmi,Target\n1,2,3\n",
    )
    .await;

    let resp = server
        .put_training_data(
            &alice,
            "diabetes-model",
            "0.1.0",
            json!({"dataset_id": id(&training), "holdout_dataset_id": id(&holdout)}),
        )
        .await;
    let version = expect_json(resp, StatusCode::OK).await;
    assert_eq!(
        version["training_dataset"],
        json!({"id": id(&training), "name": "diabetes"})
    );
    assert_eq!(
        version["holdout_dataset"],
        json!({"id": id(&holdout), "name": "holdout"})
    );
    let fetched = server
        .get_json("/api/v1/models/diabetes-model/versions/0.1.0", &alice)
        .await;
    assert_eq!(fetched["training_dataset"]["name"], "diabetes");
    let listed = server
        .get_json("/api/v1/models/diabetes-model/versions", &alice)
        .await;
    assert_eq!(listed["data"][0]["holdout_dataset"]["name"], "holdout");
    let detail = server
        .get_json(&format!("/api/v1/datasets/{}", id(&training)), &alice)
        .await;
    assert_eq!(
        detail["used_by"],
        json!([{"model": "diabetes-model", "version": "0.1.0", "training": true, "holdout": false}])
    );

    // What is wrong is named.
    let resp = server
        .put_training_data(
            &alice,
            "diabetes-model",
            "0.1.0",
            json!({"dataset_id": "no-such-dataset"}),
        )
        .await;
    assert_invalid(resp, "DATASET_NOT_FOUND", "dataset_id").await;
    let resp = server
        .put_training_data(
            &alice,
            "diabetes-model",
            "0.1.0",
            json!({"dataset_id": id(&training), "holdout_dataset_id": "nope"}),
        )
        .await;
    assert_invalid(resp, "DATASET_NOT_FOUND", "holdout_dataset_id").await;
    let resp = server
        .put_training_data(
            &alice,
            "diabetes-model",
            "0.1.0",
            json!({"dataset_id": id(&no_target)}),
        )
        .await;
    let body = assert_invalid(resp, "TARGET_NOT_IN_DATASET", "dataset_id").await;
    let msg = body["error_msg"].as_str().expect("message");
    assert!(
        msg.contains("'target'") && msg.contains("'bmi'") && msg.contains("Did you mean 'Target'"),
        "{msg}"
    );
    let resp = server
        .put_training_data(
            &alice,
            "diabetes-model",
            "0.1.0",
            json!({"dataset_id": id(&training), "holdout_dataset_id": id(&no_target)}),
        )
        .await;
    assert_invalid(resp, "TARGET_NOT_IN_DATASET", "holdout_dataset_id").await;
    let resp = server
        .put_training_data(
            &alice,
            "diabetes-model",
            "0.1.0",
            json!({"dataset": id(&training)}),
        )
        .await;
    assert_error(resp, 422, "INVALID_FIELD").await;

    server
        .create_model(&alice, json!({"name": "untargeted"}))
        .await;
    let resp = server
        .as_user(&alice)
        .post("/api/v1/models/untargeted/versions", json!({}))
        .await;
    expect_json(resp, StatusCode::CREATED).await;
    let resp = server
        .put_training_data(
            &alice,
            "untargeted",
            "0.1.0",
            json!({"dataset_id": id(&training)}),
        )
        .await;
    let body = assert_error(resp, 422, "MODEL_HAS_NO_TARGET").await;
    assert!(
        body["solution_msg"]
            .as_str()
            .expect("solution")
            .contains("target_name")
    );

    // Bob may view the model but not change it; someone without access learns nothing.
    let resp = server
        .put_training_data(
            &bob,
            "diabetes-model",
            "0.1.0",
            json!({"dataset_id": id(&training)}),
        )
        .await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = server
        .as_user(&alice)
        .patch(
            "/api/v1/models/diabetes-model/access",
            json!({"data": [{"username": "bob", "role": "VIEWER"}]}),
        )
        .await;
    expect_json(resp, StatusCode::OK).await;
    let resp = server
        .put_training_data(
            &bob,
            "diabetes-model",
            "0.1.0",
            json!({"dataset_id": id(&training)}),
        )
        .await;
    assert_error(resp, 403, "FORBIDDEN").await;

    // In use: no deleting.
    let resp = server
        .as_user(&alice)
        .delete(&format!("/api/v1/datasets/{}", id(&training)))
        .await;
    let body = assert_error(resp, 409, "DATASET_IN_USE").await;
    assert!(
        body["error_msg"]
            .as_str()
            .expect("message")
            .contains("diabetes-model 0.1.0 (training)"),
        "{body}"
    );

    let resp = server
        .as_user(&alice)
        .delete("/api/v1/models/diabetes-model/versions/0.1.0/training-data")
        .await;
    let cleared = expect_json(resp, StatusCode::OK).await;
    assert_eq!(cleared["training_dataset"], Value::Null);
    assert_eq!(cleared["holdout_dataset"], Value::Null);
    let resp = server
        .as_user(&alice)
        .delete(&format!("/api/v1/datasets/{}", id(&training)))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let events = server
        .get_json(
            "/api/v1/audit?model=diabetes-model&action=version.training_data",
            &alice,
        )
        .await;
    assert_eq!(events["total_count"], 2, "{events}");
}

#[tokio::test]
async fn a_dataset_is_seen_by_its_uploader_admins_and_viewers_of_models_that_use_it() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    let bob = server.user_with_token("bob", false);
    let admin = server.user_with_token("root", true);
    let dataset = upload(
        &server,
        &alice,
        None,
        "diabetes.csv",
        &fixture("diabetes.csv"),
    )
    .await;
    let path = format!("/api/v1/datasets/{}", id(&dataset));

    let resp = server.as_user(&bob).get(&path).await;
    assert_error(resp, 404, "DATASET_NOT_FOUND").await;
    // Its page is a 404 page too.
    let bob_cookie = server
        .login_cookie("bob", &common::default_password("bob"))
        .await;
    let page = server
        .with_cookie(
            server.get(&format!("/datasets/{}", id(&dataset))),
            &bob_cookie,
        )
        .send()
        .await
        .expect("the dataset page");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("Dataset not found")
    );
    assert_eq!(
        server.get_json("/api/v1/datasets", &bob).await["total_count"],
        0
    );
    let resp = server.as_user(&bob).delete(&path).await;
    assert_error(resp, 404, "DATASET_NOT_FOUND").await;
    server.get_json(&path, &admin).await;

    // Bob cannot use what he cannot see, even on his own model.
    model_with_version(&server, &bob, "bobs-model", "target", "private").await;
    let resp = server
        .put_training_data(
            &bob,
            "bobs-model",
            "0.1.0",
            json!({"dataset_id": id(&dataset)}),
        )
        .await;
    assert_invalid(resp, "DATASET_NOT_FOUND", "dataset_id").await;

    // Once a model Bob can see uses it, he can see it (but not delete it).
    model_with_version(&server, &alice, "team-model", "target", "internal").await;
    let resp = server
        .put_training_data(
            &alice,
            "team-model",
            "0.1.0",
            json!({"dataset_id": id(&dataset)}),
        )
        .await;
    expect_json(resp, StatusCode::OK).await;
    let seen = server.get_json(&path, &bob).await;
    assert_eq!(seen["used_by"][0]["model"], "team-model");
    assert_eq!(
        server.get_json("/api/v1/datasets", &bob).await["total_count"],
        1
    );
    let resp = server.as_user(&bob).delete(&path).await;
    assert_error(resp, 403, "FORBIDDEN").await;
    let resp = server
        .put_training_data(
            &bob,
            "bobs-model",
            "0.1.0",
            json!({"dataset_id": id(&dataset)}),
        )
        .await;
    expect_json(resp, StatusCode::OK).await;

    // Alice sees only the uses she can see when she tries to delete it.
    let resp = server.as_user(&alice).delete(&path).await;
    let body = assert_error(resp, 409, "DATASET_IN_USE").await;
    let msg = body["error_msg"].as_str().expect("message");
    assert!(msg.contains("team-model 0.1.0 (training)"), "{msg}");
    assert!(
        msg.contains("1 version of models you cannot see") && !msg.contains("bobs-model"),
        "{msg}"
    );
}

#[tokio::test]
async fn datasets_and_training_data_survive_a_restart() {
    let mut server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    model_with_version(&server, &token, "churn", "target", "private").await;
    let dataset = upload(
        &server,
        &token,
        None,
        "diabetes.csv",
        &fixture("diabetes.csv"),
    )
    .await;
    let resp = server
        .put_training_data(
            &token,
            "churn",
            "0.1.0",
            json!({"dataset_id": id(&dataset)}),
        )
        .await;
    expect_json(resp, StatusCode::OK).await;

    server.restart().await;
    let fetched = server
        .get_json(&format!("/api/v1/datasets/{}", id(&dataset)), &token)
        .await;
    assert_eq!(fetched["row_count"], 442);
    assert_eq!(fetched["preview"], dataset["preview"]);
    let version = server
        .get_json("/api/v1/models/churn/versions/0.1.0", &token)
        .await;
    assert_eq!(version["training_dataset"]["id"], dataset["id"]);

    // A copy of the model keeps its versions' training data.
    let resp = server
        .as_user(&token)
        .post("/api/v1/models/churn/copy", json!({"name": "churn-copy"}))
        .await;
    expect_json(resp, StatusCode::CREATED).await;
    let copied = server
        .get_json("/api/v1/models/churn-copy/versions/0.1.0", &token)
        .await;
    assert_eq!(copied["training_dataset"]["name"], "diabetes");

    // The sweep keeps the file a dataset uses.
    let out = server.cli(&["storage", "sweep", "--grace-seconds", "0"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // (In a bucket the same is checked by the storage tests of the S3 backend.)
    if !common::local_storage() {
        return;
    }
    let sha = dataset["sha256"].as_str().expect("sha256");
    let stored = server
        .data_dir()
        .join("blobs")
        .join(&sha[..2])
        .join(&sha[2..]);
    assert!(stored.exists(), "the dataset's file is still stored");
}

#[tokio::test]
async fn the_upload_form_works_without_javascript() {
    let server = TestServer::start().await;
    server.add_user("alice", &common::default_password("alice"), false);
    let cookie = server
        .login_cookie("alice", &common::default_password("alice"))
        .await;

    let resp = server
        .post("/datasets")
        .header(ORIGIN, server.origin())
        .multipart(csv_form(Some(""), "diabetes.csv", &fixture("diabetes.csv")))
        .send()
        .await
        .expect("anonymous form post");
    assert!(resp.status().is_redirection());
    assert_eq!(resp.headers()[LOCATION], "/login");

    let resp = server
        .with_cookie(server.post("/datasets"), &cookie)
        .multipart(csv_form(Some(""), "diabetes.csv", &fixture("diabetes.csv")))
        .send()
        .await
        .expect("form post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let id = location
        .strip_prefix("/datasets/")
        .expect("the new dataset's page");
    let page = server
        .with_cookie(server.get(&location), &cookie)
        .send()
        .await
        .expect("the dataset page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("diabetes") && html.contains("442"),
        "the page shows the dataset"
    );
    assert!(html.contains(&format!("/datasets/{id}")) || html.contains("bmi"));

    let resp = server
        .with_cookie(server.post("/datasets"), &cookie)
        .multipart(csv_form(None, "bad.csv", b"a,b\n1\n"))
        .send()
        .await
        .expect("form post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with("/datasets?error=Line+2"), "{location}");
    assert!(location.contains("field=file"), "{location}");
    let page = server
        .with_cookie(server.get(&location), &cookie)
        .send()
        .await
        .expect("the list page");
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Line 2 has 1 field, the header has 2."),
        "the error is shown"
    );
}
