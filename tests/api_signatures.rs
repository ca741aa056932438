//! A version's signature over HTTP: read from an uploaded ONNX graph or MLflow `MLmodel` file,
//! recomputed when a draft's files change, null with a note for a malformed file (the upload
//! still succeeds), shown and compared on the pages, and used to refuse feature impact on
//! training data that lacks the model's input columns.

mod common;

use common::{TestServer, assert_error, default_password, expect_json};
use prost::Message;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{Dimension, dimension};
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorShapeProto,
    TypeProto, ValueInfoProto, type_proto,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/feature_impact");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// An `MLmodel` file as MLflow writes it for a scikit-learn model with a column-based signature.
fn mlmodel(columns: &[&str]) -> Vec<u8> {
    let inputs: Vec<Value> = columns
        .iter()
        .map(|c| json!({"type": "double", "name": c, "required": true}))
        .collect();
    format!(
        "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n\
         mlflow_version: 2.9.2\nsignature:\n  inputs: '{}'\n  outputs: '{}'\n  params: null\n",
        Value::Array(inputs),
        json!([{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]),
    )
    .into_bytes()
}

fn float_value(name: &str, dims: &[dimension::Value]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.to_owned(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| Dimension {
                            value: Some(d.clone()),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An ONNX graph with one `[N, 1]` float input per column, concatenated into `features`.
fn per_column_onnx(columns: &[&str]) -> Vec<u8> {
    use dimension::Value::{DimParam, DimValue};
    let column = |name: &&str| float_value(name, &[DimParam("N".to_owned()), DimValue(1)]);
    let graph = GraphProto {
        name: "per_column".to_owned(),
        node: vec![NodeProto {
            op_type: "Concat".to_owned(),
            input: columns.iter().map(|c| (*c).to_owned()).collect(),
            output: vec!["features".to_owned()],
            attribute: vec![AttributeProto {
                name: "axis".to_owned(),
                r#type: tract_onnx::pb::attribute_proto::AttributeType::Int as i32,
                i: 1,
                ..Default::default()
            }],
            ..Default::default()
        }],
        input: columns.iter().map(column).collect(),
        output: vec![float_value(
            "features",
            &[DimParam("N".to_owned()), DimValue(columns.len() as i64)],
        )],
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 15,
        }],
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

async fn get_version(server: &TestServer, token: &str, model: &str, version: &str) -> Value {
    server
        .get_json(&format!("/api/v1/models/{model}/versions/{version}"), token)
        .await
}

fn names(fields: &Value) -> Vec<&str> {
    fields
        .as_array()
        .unwrap_or_else(|| panic!("a list of fields, not {fields}"))
        .iter()
        .map(|f| f["name"].as_str().unwrap_or("(unnamed)"))
        .collect()
}

#[tokio::test]
async fn an_onnx_upload_shows_its_graph_inputs_and_outputs() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(&token, json!({"name": "diabetes"}))
        .await;
    let created = server
        .upload_version(
            &token,
            "diabetes",
            &[("model.onnx", &fixture("diabetes_linear.onnx"))],
        )
        .await;
    // The version answered at creation already carries it.
    assert_eq!(created["signature"]["source"], "onnx");

    let version = get_version(&server, &token, "diabetes", "0.1.0").await;
    let signature = &version["signature"];
    assert_eq!(signature["source"], "onnx", "{version}");
    assert_eq!(signature["kind"], "tensors");
    assert_eq!(signature["inputs"].as_array().map(Vec::len), Some(1));
    let input = &signature["inputs"][0];
    assert_eq!(input["name"], "input");
    assert_eq!(input["type"], "float32");
    assert_eq!(input["shape"], json!([null, 10]));
    assert_eq!(names(&signature["outputs"]), ["variable"]);
    assert_eq!(signature["outputs"][0]["type"], "float32");
    assert_eq!(version["signature_note"], Value::Null);

    // Per-column inputs keep their symbolic dimension's name.
    server
        .upload_version(
            &token,
            "diabetes",
            &[("model.onnx", &per_column_onnx(&["age", "bmi"]))],
        )
        .await;
    let version = get_version(&server, &token, "diabetes", "0.2.0").await;
    assert_eq!(names(&version["signature"]["inputs"]), ["age", "bmi"]);
    assert_eq!(version["signature"]["inputs"][1]["shape"], json!(["N", 1]));
    assert_eq!(version["signature"]["outputs"][0]["shape"], json!(["N", 2]));
}

#[tokio::test]
async fn an_mlmodel_signature_is_read_and_wins_over_the_onnx_graph() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "iris"})).await;
    server
        .upload_version(
            &token,
            "iris",
            &[
                (
                    "model/MLmodel",
                    &mlmodel(&["sepal length (cm)", "petal width (cm)"]),
                ),
                ("model/model.onnx", &fixture("diabetes_linear.onnx")),
            ],
        )
        .await;
    let version = get_version(&server, &token, "iris", "0.1.0").await;
    let signature = &version["signature"];
    assert_eq!(signature["source"], "mlmodel", "{version}");
    assert_eq!(signature["kind"], "columns");
    assert_eq!(
        signature["inputs"],
        json!([
            {"name": "sepal length (cm)", "type": "double", "shape": null},
            {"name": "petal width (cm)", "type": "double", "shape": null}
        ])
    );
    assert_eq!(
        signature["outputs"],
        json!([{"name": null, "type": "float64", "shape": [null]}])
    );
}

#[tokio::test]
async fn a_malformed_mlmodel_gives_no_signature_and_a_note_but_the_upload_succeeds() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "broken"})).await;
    let text = "signature:\n  inputs: '[{\"type\": \"double\", \"name\": '\n";
    let created = server
        .upload_version(&token, "broken", &[("MLmodel", text.as_bytes())])
        .await;
    assert_eq!(created["registration"], "ready");
    assert_eq!(created["files"].as_array().map(Vec::len), Some(1));
    let version = get_version(&server, &token, "broken", "0.1.0").await;
    assert_eq!(version["signature"], Value::Null, "{version}");
    let note = version["signature_note"].as_str().unwrap_or_default();
    assert!(note.contains("MLmodel"), "{note}");
    assert!(note.contains("inputs cannot be read"), "{note}");
    assert!(note.contains("not valid JSON"), "{note}");

    // Not YAML at all, and binary garbage: the same.
    for garbage in [
        b"signature: [unclosed".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x9c],
    ] {
        let created = server
            .upload_version(&token, "broken", &[("MLmodel", &garbage)])
            .await;
        assert_eq!(created["signature"], Value::Null);
        assert!(
            created["signature_note"]
                .as_str()
                .is_some_and(|n| n.contains("could not be read")),
            "{created}"
        );
    }
}

#[tokio::test]
async fn changing_a_drafts_files_reads_its_signature_again() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "draft"})).await;
    let created = server
        .as_user(&token)
        .post("/api/v1/models/draft/versions", json!({}))
        .await;
    let created = expect_json(created, StatusCode::CREATED).await;
    assert_eq!(created["signature"], Value::Null);

    let file_url = "/api/v1/models/draft/versions/0.1.0/files/MLmodel";
    let put = |bytes: Vec<u8>| server.put(file_url).bearer_auth(&token).body(bytes).send();
    let resp = put(mlmodel(&["age"])).await.expect("PUT MLmodel");
    assert!(resp.status().is_success(), "{}", resp.status());
    let version = get_version(&server, &token, "draft", "0.1.0").await;
    assert_eq!(names(&version["signature"]["inputs"]), ["age"]);

    let resp = put(mlmodel(&["age", "bmi"])).await.expect("PUT MLmodel");
    assert!(resp.status().is_success(), "{}", resp.status());
    let version = get_version(&server, &token, "draft", "0.1.0").await;
    assert_eq!(names(&version["signature"]["inputs"]), ["age", "bmi"]);

    let resp = server.as_user(&token).delete(file_url).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let version = get_version(&server, &token, "draft", "0.1.0").await;
    assert_eq!(version["signature"], Value::Null);
    assert_eq!(version["signature_note"], Value::Null);
}

async fn diabetes_training_data(server: &TestServer, token: &str, model: &str, version: &str) {
    let dataset = server
        .upload_dataset(token, "diabetes.csv", &fixture("diabetes.csv"))
        .await;
    let body = json!({"dataset_id": dataset["id"]});
    let resp = server.put_training_data(token, model, version, body).await;
    expect_json(resp, StatusCode::OK).await;
}

async fn start_feature_impact(
    server: &TestServer,
    token: &str,
    model: &str,
    version: &str,
) -> reqwest::Response {
    server
        .as_user(token)
        .post(
            &format!("/api/v1/models/{model}/versions/{version}/feature-impact"),
            json!({}),
        )
        .await
}

#[tokio::test]
async fn feature_impact_is_refused_on_data_lacking_the_signatures_columns() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(
            &token,
            json!({"name": "fi", "target_type": "regression", "target_name": "target"}),
        )
        .await;

    // 0.1.0: an MLmodel naming two columns diabetes.csv does not have.
    server
        .upload_version(
            &token,
            "fi",
            &[
                ("MLmodel", &mlmodel(&["age", "glucose", "bmi", "insulin"])),
                ("model.onnx", &fixture("diabetes_linear.onnx")),
            ],
        )
        .await;
    diabetes_training_data(&server, &token, "fi", "0.1.0").await;
    let body = assert_error(
        start_feature_impact(&server, &token, "fi", "0.1.0").await,
        422,
        "DATASET_COLUMNS_MISSING",
    )
    .await;
    let msg = body["error_msg"].as_str().unwrap_or_default();
    assert!(msg.contains("'glucose', 'insulin'"), "{msg}");
    assert!(msg.contains("diabetes"), "{msg}");
    assert!(!msg.contains("'age'"), "{msg}");
    let solution = body["solution_msg"].as_str().unwrap_or_default();
    assert!(solution.contains("training data"), "{solution}");

    // 0.2.0: an ONNX graph with one [N, 1] input per column, one of them missing.
    server
        .upload_version(
            &token,
            "fi",
            &[("model.onnx", &per_column_onnx(&["age", "bmi", "glucose"]))],
        )
        .await;
    diabetes_training_data(&server, &token, "fi", "0.2.0").await;
    let body = assert_error(
        start_feature_impact(&server, &token, "fi", "0.2.0").await,
        422,
        "DATASET_COLUMNS_MISSING",
    )
    .await;
    assert!(
        body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("a column") && m.contains("'glucose'")),
        "{body}"
    );

    // 0.3.0: a single [rows, features] input takes the columns by position: no refusal, and
    // the job is queued.
    server
        .upload_version(
            &token,
            "fi",
            &[("model.onnx", &fixture("diabetes_linear.onnx"))],
        )
        .await;
    diabetes_training_data(&server, &token, "fi", "0.3.0").await;
    let resp = start_feature_impact(&server, &token, "fi", "0.3.0").await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn the_version_page_shows_the_signature_and_the_compare_page_its_changes() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "paged"})).await;
    server
        .upload_version(&token, "paged", &[("MLmodel", &mlmodel(&["age", "bmi"]))])
        .await;
    server
        .upload_version(&token, "paged", &[("MLmodel", &mlmodel(&["bmi", "s5"]))])
        .await;
    let cookie = server
        .login_cookie("alice", &default_password("alice"))
        .await;
    let page = |path: &'static str| {
        let request = server.with_cookie(server.get(path), &cookie);
        async move {
            let resp = request.send().await.expect("GET a page");
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            resp.text().await.expect("the page")
        }
    };

    let html = page("/models/paged/versions/0.1.0").await;
    let start = html
        .find("aria-label=\"Signature\"")
        .unwrap_or_else(|| panic!("no signature table in {html}"));
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap_or(table.len())];
    assert!(html.contains("Read from the MLmodel file."), "{html}");
    for text in [">age<", ">bmi<", ">double<", ">float64<", ">[?]<"] {
        assert!(table.contains(text), "{text} missing in {table}");
    }
    assert!(
        table.contains(">input<") && table.contains(">output<"),
        "{table}"
    );

    let html = page("/models/paged/compare?a=0.1.0&b=0.2.0").await;
    let start = html
        .find("aria-label=\"Signature differences\"")
        .unwrap_or_else(|| panic!("no signature differences in {html}"));
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap_or(table.len())];
    let age = table.find(">age<").expect("age is listed");
    let s5 = table.find(">s5<").expect("s5 is listed");
    assert!(table[age..s5].contains("removed"), "{table}");
    assert!(table[s5..].contains("added"), "{table}");
    assert!(!table.contains(">bmi<"), "bmi did not change: {table}");
}
