//! What hostile or careless input found, each with the check that would have caught it: model
//! files that ask for gigabytes, paging past any end, JSON that is not an object, bytes of
//! refused uploads, 413s that must arrive while the client is still sending, copies of models by
//! mere viewers, and whole numbers written as floats. (Versions cut off by a kill:
//! `storage_recovery.rs`.)

mod common;

use common::{TestServer, assert_error, expect_json};
use prost::Message;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{Dimension, dimension};
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, type_proto,
};

/// Stored blobs under the data directory (not uploads in flight).
fn blob_files(data_dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(data_dir.join("blobs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = dir.file_name().to_string_lossy().into_owned();
        if name == "tmp" || !dir.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            found.push(format!("{name}{}", file.file_name().to_string_lossy()));
        }
    }
    found.sort();
    found
}

// ---------------------------------------------------------------------------------------------
// Uploaded models cannot make the server allocate: a graph that builds a huge constant is
// refused by name before anything is allocated, one that hides its size is stopped by the memory
// limit of the process it runs in, and so is one that only grows when it predicts. The server's
// own memory stays small throughout. The model files are built here from a few lines of protobuf.

/// The memory a model may use in these tests.
const BUDGET: &str = "268435456";

/// More than any test server needs for itself; far less than the models below ask for.
const SERVER_PEAK_BYTES: u64 = 400 * 1024 * 1024;

fn node(op_type: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op_type.to_owned(),
        name: format!("{op_type}_{output}"),
        input: inputs.iter().map(|s| (*s).to_owned()).collect(),
        output: vec![output.to_owned()],
        attribute,
        ..Default::default()
    }
}

fn tensor_attribute(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Tensor as i32,
        t: Some(t),
        ..Default::default()
    }
}

fn int_attribute(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Int as i32,
        i: value,
        ..Default::default()
    }
}

/// A `Constant` node holding int64 `values`.
fn ints(output: &str, values: &[i64]) -> NodeProto {
    let t = TensorProto {
        dims: vec![values.len() as i64],
        data_type: DataType::Int64 as i32,
        int64_data: values.to_vec(),
        ..Default::default()
    };
    node("Constant", &[], output, vec![tensor_attribute("value", t)])
}

/// A `Constant` node holding one float (a scalar).
fn float(output: &str, value: f32) -> NodeProto {
    let t = TensorProto {
        dims: Vec::new(),
        data_type: DataType::Float as i32,
        float_data: vec![value],
        ..Default::default()
    };
    node("Constant", &[], output, vec![tensor_attribute("value", t)])
}

/// `ConstantOfShape` of ones.
fn ones(shape: &str, output: &str) -> NodeProto {
    let one = TensorProto {
        dims: vec![1],
        data_type: DataType::Float as i32,
        float_data: vec![1.0],
        ..Default::default()
    };
    node(
        "ConstantOfShape",
        &[shape],
        output,
        vec![tensor_attribute("value", one)],
    )
}

fn float_value(name: &str) -> ValueInfoProto {
    let dim = [None, Some(1)]
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n),
                None => dimension::Value::DimParam("N".to_owned()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.to_owned(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A regression model from input `X` `[N, 1]` to output `Y` `[N, 1]` through `nodes`.
fn model(nodes: Vec<NodeProto>) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(GraphProto {
            name: "budget".to_owned(),
            node: nodes,
            input: vec![float_value("X")],
            output: vec![float_value("Y")],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// `Y = X + sum(ones(shape))`, where the nodes before produce `shape`.
fn sum_of_ones(mut shape_nodes: Vec<NodeProto>) -> Vec<u8> {
    shape_nodes.extend([
        ones("shape", "big"),
        node(
            "ReduceSum",
            &["big"],
            "total",
            vec![int_attribute("keepdims", 0)],
        ),
        node("Add", &["X", "total"], "Y", Vec::new()),
    ]);
    model(shape_nodes)
}

async fn upload_model(server: &TestServer, token: &str, model: &str, onnx: Vec<u8>) -> Value {
    server
        .create_model(
            token,
            json!({"name": model, "target_type": "regression", "target_name": "target"}),
        )
        .await;
    let form = Form::new().part("files", Part::bytes(onnx).file_name("model.onnx"));
    let resp = server
        .as_user(token)
        .post_form(&format!("/api/v1/models/{model}/versions"), form)
        .await;
    let version = expect_json(resp, StatusCode::CREATED).await;
    version["files"][0]["model_check"].clone()
}

fn assert_server_stayed_small(server: &TestServer) {
    let peak = server.peak_memory_bytes();
    assert!(
        peak < SERVER_PEAK_BYTES,
        "the server's memory peaked at {peak} bytes"
    );
}

#[tokio::test]
async fn a_model_building_a_huge_constant_is_refused_by_name_before_allocating() {
    let server = TestServer::start_with_env(&[("MODELYARD_MODEL_MEMORY_BYTES", BUDGET)]).await;
    let token = server.user_with_token("owner", false);
    // 259 bytes that ask for 25,000 × 25,000 floats (2.5 GB), and 200,000 × 200,000 (160 GB).
    for (name, side) in [("large", 25_000), ("huge", 200_000)] {
        let onnx = sum_of_ones(vec![ints("shape", &[side, side])]);
        assert!(onnx.len() < 300, "{} bytes", onnx.len());
        let check = upload_model(&server, &token, name, onnx).await;
        assert_eq!(check["status"], "unsupported", "{check}");
        let message = check["message"].as_str().unwrap_or_default();
        assert!(message.contains("ConstantOfShape"), "{message}");
        assert!(message.contains(&format!("{side} × {side}")), "{message}");
        assert!(message.contains("256 MiB"), "{message}");
    }
    assert_server_stayed_small(&server);
}

#[tokio::test]
async fn a_model_hiding_the_size_of_its_constant_is_stopped_by_the_memory_limit() {
    let server = TestServer::start_with_env(&[("MODELYARD_MODEL_MEMORY_BYTES", BUDGET)]).await;
    let token = server.user_with_token("owner", false);
    // The shape is computed (a Concat of two constants), so only running it shows its size.
    let onnx = sum_of_ones(vec![
        ints("rows", &[25_000]),
        ints("columns", &[25_000]),
        node(
            "Concat",
            &["rows", "columns"],
            "shape",
            vec![int_attribute("axis", 0)],
        ),
    ]);
    let check = upload_model(&server, &token, "hidden", onnx).await;
    assert_eq!(check["status"], "unsupported", "{check}");
    let message = check["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("needed more than the 256 MiB of memory"),
        "{message}"
    );
    assert_server_stayed_small(&server);

    // The server goes on serving, and the model that fits runs.
    let fine = sum_of_ones(vec![ints("shape", &[10, 10])]);
    let check = upload_model(&server, &token, "fine", fine).await;
    assert_eq!(check["status"], "ok", "{check}");
}

#[tokio::test]
async fn a_model_that_grows_while_predicting_fails_its_job_not_the_server() {
    let server = TestServer::start_with_env(&[("MODELYARD_MODEL_MEMORY_BYTES", BUDGET)]).await;
    let token = server.user_with_token("owner", false);
    // Each row is added to 0, 1, …, 1,999,999 before being summed: 8 MB a row, 800 MB for
    // 100 rows, though loading the model needs only the 8 MB of the range.
    let onnx = model(vec![
        float("start", 0.0),
        float("limit", 2_000_000.0),
        float("delta", 1.0),
        node("Range", &["start", "limit", "delta"], "steps", Vec::new()),
        node("Add", &["X", "steps"], "spread", Vec::new()),
        ints("axes", &[1]),
        node(
            "ReduceSum",
            &["spread", "axes"],
            "Y",
            vec![int_attribute("keepdims", 1)],
        ),
    ]);
    let check = upload_model(&server, &token, "wide", onnx).await;
    assert_eq!(check["status"], "ok", "{check}");

    let mut csv = String::from("x,target\n");
    for i in 0..100 {
        csv.push_str(&format!("{i},{}\n", i * 2));
    }
    let form = Form::new().part("file", Part::bytes(csv.into_bytes()).file_name("rows.csv"));
    let resp = server
        .as_user(&token)
        .post_form("/api/v1/datasets", form)
        .await;
    let dataset = expect_json(resp, StatusCode::CREATED).await;
    let resp = server
        .as_user(&token)
        .put(
            "/api/v1/models/wide/versions/0.1.0/training-data",
            json!({"dataset_id": dataset["id"]}),
        )
        .await;
    expect_json(resp, StatusCode::OK).await;
    let resp = server
        .as_user(&token)
        .post(
            "/api/v1/models/wide/versions/0.1.0/feature-impact",
            json!({}),
        )
        .await;
    let started = expect_json(resp, StatusCode::ACCEPTED).await;
    let job_url = format!(
        "/api/v1/jobs/{}",
        started["job_id"].as_str().unwrap_or_default()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let job = loop {
        let job = server.get_json(&job_url, &token).await;
        if ["succeeded", "failed", "canceled"].contains(&job["state"].as_str().unwrap_or("")) {
            break job;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(job["state"], "failed", "{job}");
    let error = job["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("Predicting needed more than the 256 MiB of memory"),
        "{job}"
    );
    assert_server_stayed_small(&server);
}

// ---------------------------------------------------------------------------------------------
// Requests

#[tokio::test]
async fn paging_is_bounded_and_next_is_null_past_the_end_of_every_list() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    server.create_model(&admin, json!({"name": "paged"})).await;
    let lists = [
        "/api/v1/models",
        "/api/v1/models/paged/versions",
        "/api/v1/datasets",
        "/api/v1/audit",
        "/api/v1/users",
        "/api/v1/teams",
        "/api/v1/tokens?all=true",
    ];
    for list in lists {
        let sep = if list.contains('?') { '&' } else { '?' };
        for offset in ["9223372036854775807", "1000000001", "-1"] {
            let resp = server
                .as_user(&admin)
                .get(&format!("{list}{sep}offset={offset}"))
                .await;
            let error = assert_error(resp, 422, "INVALID_PAGING").await;
            assert_eq!(error["field"], "offset", "{list}: {error}");
        }
        let page = server
            .get_json(&format!("{list}{sep}offset=1000000000&limit=1000"), &admin)
            .await;
        assert_eq!(page["next"], Value::Null, "{list}: {page}");
        assert_eq!(page["count"], 0, "{list}: {page}");
        let page = server
            .get_json(&format!("{list}{sep}offset=0&limit=1000"), &admin)
            .await;
        assert_eq!(page["next"], Value::Null, "{list}: {page}");
    }
}

#[tokio::test]
async fn json_bodies_that_are_not_objects_are_refused_everywhere() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    server.create_model(&admin, json!({"name": "target"})).await;

    // The two that used to create something.
    let resp = server
        .as_user(&admin)
        .post("/api/v1/models", json!(["arraymodel", "desc"]))
        .await;
    let error = assert_error(resp, 422, "BODY_NOT_AN_OBJECT").await;
    assert!(
        error["error_msg"]
            .as_str()
            .unwrap_or_default()
            .contains("an array"),
        "{error}"
    );
    let resp = server
        .as_user(&admin)
        .get("/api/v1/models/arraymodel")
        .await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = server
        .as_user(&admin)
        .post("/api/v1/models/target/versions", json!([null, null]))
        .await;
    assert_error(resp, 422, "BODY_NOT_AN_OBJECT").await;
    let model = server.get_json("/api/v1/models/target", &admin).await;
    assert_eq!(model["version_count"], 0);

    // Every operation the document says takes a JSON body.
    let doc = server.get_json("/api/v1/openapi.json", &admin).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["post", "put", "patch"] {
            let Some(op) = item.get(method) else { continue };
            if op
                .pointer("/requestBody/content/application~1json")
                .is_none()
            {
                continue;
            }
            let url = path
                .replace("{model}", "target")
                .replace("{version}", "0.1.0")
                .replace("{username}", "root")
                .replace("{alias}", "production")
                .replace("{team}", "team")
                .replace("{id}", "some-id");
            for (body, status, code) in [
                ("[1, 2]", 422, "BODY_NOT_AN_OBJECT"),
                ("\"text\"", 422, "BODY_NOT_AN_OBJECT"),
                ("7", 422, "BODY_NOT_AN_OBJECT"),
                ("null", 422, "BODY_NOT_AN_OBJECT"),
                ("{\"unclosed\": ", 400, "MALFORMED_JSON"),
            ] {
                let resp = server
                    .client
                    .request(
                        method.to_uppercase().parse().expect("method"),
                        server.url(&url),
                    )
                    .bearer_auth(&admin)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("send");
                let documented = op["responses"][status.to_string()]["description"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(code);
                assert!(
                    documented,
                    "{method} {path}: {status} {code} is not documented"
                );
                let got = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                assert_eq!(got, status, "{method} {url} with {body}: {text}");
                assert!(text.contains(code), "{method} {url} with {body}: {text}");
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} operations take JSON");
}

#[tokio::test]
async fn refused_uploads_take_their_bytes_with_them() {
    let server =
        TestServer::start_local_with_env(&[("MODELYARD_MAX_FILES_PER_VERSION", "1")]).await;
    let token = server.user_with_token("ada", false);
    server.create_model(&token, json!({"name": "churn"})).await;
    let data = server.data_dir();

    // A CSV whose second line is longer than a dataset row may be.
    let mut csv = b"a,b\n".to_vec();
    csv.extend(std::iter::repeat_n(b'x', 17 * 1024 * 1024));
    csv.extend_from_slice(b",1\n");
    let form = Form::new().part("file", Part::bytes(csv).file_name("wide.csv"));
    let resp = server
        .as_user(&token)
        .post_form("/api/v1/datasets", form)
        .await;
    assert_error(resp, 422, "DATASET_ROW_TOO_LONG").await;
    assert_eq!(blob_files(&data), Vec::<String>::new());

    // A version upload refused after its first file was stored.
    let two_files = |first: &'static [u8], second: &'static [u8]| {
        let form = Form::new()
            .part("files", Part::bytes(first).file_name("a.txt"))
            .part("files", Part::bytes(second).file_name("b.txt"));
        server
            .post("/api/v1/models/churn/versions")
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };
    let resp = two_files(b"first", b"second")
        .await
        .expect("POST a version");
    assert_error(resp, 413, "TOO_MANY_FILES").await;
    assert_eq!(blob_files(&data), Vec::<String>::new());

    // A single file refused once its bytes arrived; the file kept before stays.
    let resp = server
        .as_user(&token)
        .post("/api/v1/models/churn/versions", json!({}))
        .await;
    let draft = expect_json(resp, StatusCode::CREATED).await;
    let version = draft["version"].as_str().expect("version").to_owned();
    let put = |path: &str, bytes: &'static [u8]| {
        server
            .put(&format!(
                "/api/v1/models/churn/versions/{version}/files/{path}"
            ))
            .bearer_auth(&token)
            .body(bytes)
            .send()
    };
    expect_json(
        put("kept.txt", b"kept").await.expect("PUT"),
        StatusCode::CREATED,
    )
    .await;
    let kept = blob_files(&data);
    assert_eq!(kept.len(), 1);
    let resp = put("refused.txt", b"refused").await.expect("PUT");
    assert_error(resp, 413, "TOO_MANY_FILES").await;
    assert_eq!(blob_files(&data), kept);

    // Bytes a kept file holds are not taken by a refused upload of the same bytes.
    let resp = two_files(b"kept", b"other").await.expect("POST a version");
    assert_error(resp, 413, "TOO_MANY_FILES").await;
    assert_eq!(blob_files(&data), kept);
    let resp = server
        .as_user(&token)
        .get(&format!(
            "/api/v1/models/churn/versions/{version}/files/kept.txt"
        ))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.expect("body").as_ref(), b"kept");
}

#[tokio::test]
async fn oversized_json_bodies_get_their_413_even_under_load() {
    let server = TestServer::start().await;
    let token = server.user_with_token("ada", false);
    let big = format!(
        "{{\"name\": \"x\", \"description\": \"{}\"}}",
        "d".repeat(20 * 1024 * 1024)
    );
    let big = bytes::Bytes::from(big);
    let mut sends = Vec::new();
    for i in 0..16 {
        let request = if i % 2 == 0 {
            // Declared length.
            server
                .post("/api/v1/models")
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(big.clone())
        } else {
            // Chunked, no length: found out while reading.
            let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = big
                .chunks(256 * 1024)
                .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
                .collect();
            server
                .post("/api/v1/models")
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                    chunks,
                )))
        };
        sends.push(tokio::spawn(request.send()));
    }
    // A server function's body is bounded the same way.
    let cookie = server
        .login_cookie("ada", &common::default_password("ada"))
        .await;
    let fn_call = server
        .with_cookie(server.post("/fn/create_model"), &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={}", "n".repeat(20 * 1024 * 1024)))
        .send();
    sends.push(tokio::spawn(fn_call));
    for send in sends {
        let resp = send
            .await
            .expect("join")
            .expect("the 413 arrives instead of a broken connection");
        assert_error(resp, 413, "BODY_TOO_LARGE").await;
    }
    // The server is fine and nothing was created.
    let models = server.get_json("/api/v1/models", &token).await;
    assert_eq!(models["total_count"], 0);
}

#[tokio::test]
async fn copying_needs_editor_and_the_copy_says_where_it_came_from() {
    let server = TestServer::start().await;
    let owner = server.user_with_token("owner", false);
    let viewer = server.user_with_token("viewer", false);
    let editor = server.user_with_token("editor", false);
    server
        .create_model(&owner, json!({"name": "vault", "visibility": "private"}))
        .await;
    for _ in 0..2 {
        let resp = server
            .as_user(&owner)
            .post("/api/v1/models/vault/versions", json!({}))
            .await;
        expect_json(resp, StatusCode::CREATED).await;
    }
    let resp = server
        .as_user(&owner)
        .patch(
            "/api/v1/models/vault/access",
            json!({"data": [
                {"username": "viewer", "role": "VIEWER"},
                {"username": "editor", "role": "EDITOR"}
            ]}),
        )
        .await;
    expect_json(resp, StatusCode::OK).await;

    let copy = |token: &str, name: &str| {
        server
            .post("/api/v1/models/vault/copy")
            .bearer_auth(token)
            .json(&json!({"name": name}))
            .send()
    };
    assert_error(copy(&viewer, "leak").await.expect("copy"), 403, "FORBIDDEN").await;
    let resp = server.as_user(&viewer).get("/api/v1/models/leak").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;

    let made = expect_json(
        copy(&editor, "vault-copy").await.expect("copy"),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made["copied_from"]["model_name"], "vault", "{made}");
    assert_eq!(
        made["copied_from"]["versions"],
        json!(["0.1.0", "0.2.0"]),
        "{made}"
    );
    let audit = server
        .get_json("/api/v1/audit?model=vault-copy", &editor)
        .await;
    let event = audit["data"]
        .as_array()
        .and_then(|events| events.iter().find(|e| e["action"] == "model.copy"))
        .cloned()
        .unwrap_or_else(|| panic!("no model.copy event in {audit}"));
    assert_eq!(event["details"]["source"], "vault", "{event}");
    assert_eq!(
        event["details"]["versions"],
        json!(["0.1.0", "0.2.0"]),
        "{event}"
    );

    // The copy's page says so.
    let cookie = server
        .login_cookie("editor", &common::default_password("editor"))
        .await;
    let page = server
        .with_cookie(server.get("/models/vault-copy"), &cookie)
        .send()
        .await
        .expect("GET the page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Copied from"), "{page}");
    assert!(page.contains("versions 0.1.0, 0.2.0"), "{page}");
}

#[tokio::test]
async fn whole_numbers_may_be_written_as_floats() {
    let server = TestServer::start().await;
    let token = server.user_with_token("ada", false);
    server
        .create_model(&token, json!({"name": "imported"}))
        .await;
    let resp = server
        .as_user(&token)
        .post("/api/v1/models/imported/versions", json!({}))
        .await;
    expect_json(resp, StatusCode::CREATED).await;
    let import = |row_count: Value| {
        server
            .put("/api/v1/models/imported/versions/0.1.0/feature-impact")
            .bearer_auth(&token)
            .json(&json!({
                "feature_impacts": [{"feature_name": "age", "impact_unnormalized": 0.5}],
                "row_count": row_count
            }))
            .send()
    };
    let stored = expect_json(import(json!(1326.0)).await.expect("PUT"), StatusCode::OK).await;
    assert_eq!(stored["row_count"], 1326, "{stored}");
    let resp = import(json!(1326.5)).await.expect("PUT");
    let error = assert_error(resp, 422, "INVALID_FIELD").await;
    assert_eq!(error["field"], "row_count", "{error}");

    let resp = server
        .as_user(&token)
        .post(
            "/api/v1/tokens",
            json!({"name": "ci", "expires_in_days": 30.0}),
        )
        .await;
    expect_json(resp, StatusCode::CREATED).await;
}
