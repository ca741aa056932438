//! Computing feature impact over HTTP: starting the job, following it, the refusals before it is
//! queued, prediction servers (one run by this test, so its speed and failures are controlled),
//! cancelling, and a job that survives the server being killed.

mod common;

use common::{TestServer, assert_error, assert_invalid, expect_json};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/feature_impact");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// sklearn's ranking of a fixture model's features (most important first).
fn sklearn_ranking(model: &str) -> Vec<String> {
    let expected: Value = serde_json::from_slice(&fixture("expected.json")).expect("expected.json");
    let entry = expected["models"]
        .as_array()
        .and_then(|models| models.iter().find(|m| m["name"] == model))
        .expect("fixture model");
    entry["ranking"]
        .as_array()
        .expect("ranking")
        .iter()
        .map(|s| s.as_str().expect("a feature name").to_owned())
        .collect()
}

struct Setup {
    token: String,
    model: String,
}

fn fi_url(model: &str, version: &str) -> String {
    format!("/api/v1/models/{model}/versions/{version}/feature-impact")
}

async fn upload_dataset(server: &TestServer, token: &str, name: &str) -> String {
    let dataset = server.upload_dataset(token, name, &fixture(name)).await;
    dataset["id"].as_str().expect("dataset id").to_owned()
}

async fn assign(server: &TestServer, token: &str, model: &str, version: &str, dataset: &str) {
    let body = json!({"dataset_id": dataset});
    let resp = server.put_training_data(token, model, version, body).await;
    expect_json(resp, StatusCode::OK).await;
}

/// A regression model on the diabetes data with version 0.1.0 holding `onnx` (if any) and the
/// data assigned as training data.
async fn diabetes(server: &TestServer, name: &str, onnx: Option<&str>) -> Setup {
    let token = server.user_with_token(&format!("{name}-owner"), false);
    server
        .create_model(
            &token,
            json!({"name": name, "target_type": "regression", "target_name": "target"}),
        )
        .await;
    let (path, bytes) = match onnx {
        Some(file) => ("model.onnx", fixture(file)),
        None => ("README.md", b"no model here".to_vec()),
    };
    server.upload_version(&token, name, &[(path, &bytes)]).await;
    let dataset = upload_dataset(server, &token, "diabetes.csv").await;
    assign(server, &token, name, "0.1.0", &dataset).await;
    Setup {
        token,
        model: name.to_owned(),
    }
}

async fn start(server: &TestServer, setup: &Setup, body: Value) -> reqwest::Response {
    server
        .as_user(&setup.token)
        .post(&fi_url(&setup.model, "0.1.0"), body)
        .await
}

async fn started(server: &TestServer, setup: &Setup, body: Value) -> String {
    let resp = start(server, setup, body).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
        .expect("Location header");
    let body: Value = resp.json().await.expect("json");
    let id = body["job_id"].as_str().expect("job_id").to_owned();
    assert_eq!(location, format!("/api/v1/jobs/{id}"));
    id
}

async fn job(server: &TestServer, token: &str, id: &str) -> Value {
    server.get_json(&format!("/api/v1/jobs/{id}"), token).await
}

async fn until<F: Fn(&Value) -> bool>(
    server: &TestServer,
    token: &str,
    id: &str,
    done: F,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let j = job(server, token, id).await;
        if done(&j) {
            return j;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} never got there: {j}\n--- server log ---\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn finished(server: &TestServer, token: &str, id: &str) -> Value {
    until(server, token, id, |j| {
        ["succeeded", "failed", "canceled"].contains(&j["state"].as_str().unwrap_or(""))
    })
    .await
}

/// A prediction server for the custom-model protocol, answering `bmi * 100 + s5 * 50` for each
/// row (so `bmi` drives the predictions most), after waiting `delay_ms` per prediction request.
struct PredictionServer {
    url: String,
    delay_ms: Arc<AtomicU64>,
    requests: Arc<AtomicUsize>,
}

impl PredictionServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (delay, count) = (delay_ms.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (delay, count) = (delay.clone(), count.clone());
                tokio::spawn(async move {
                    let _ = serve_one(socket, delay, count).await;
                });
            }
        });
        Self {
            url,
            delay_ms,
            requests,
        }
    }
}

async fn serve_one(
    mut socket: tokio::net::TcpStream,
    delay: Arc<AtomicU64>,
    count: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    loop {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if socket.read(&mut byte).await? == 0 {
                return Ok(());
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_string();
        let length = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        socket.read_exact(&mut body).await?;
        let answer = if head.starts_with("POST") && head.contains("/predict_no_state/") {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(delay.load(Ordering::SeqCst))).await;
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let column = |name: &str| -> Vec<f64> {
                request["X"][name]
                    .as_array()
                    .map(|v| v.iter().map(|x| x.as_f64().unwrap_or(0.0)).collect())
                    .unwrap_or_default()
            };
            let (bmi, s5) = (column("bmi"), column("s5"));
            let predictions: Vec<f64> = bmi
                .iter()
                .zip(&s5)
                .map(|(b, s)| b * 100.0 + s * 50.0)
                .collect();
            json!({ "predictions": predictions }).to_string()
        } else {
            "{}".to_owned()
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        socket.write_all(response.as_bytes()).await?;
    }
}

#[tokio::test]
async fn an_onnx_model_gets_the_feature_impact_sklearn_finds() {
    let server = TestServer::start().await;
    let setup = diabetes(&server, "forest", Some("diabetes_random_forest.onnx")).await;
    let resp = server
        .as_user(&setup.token)
        .get(&fi_url("forest", "0.1.0"))
        .await;
    assert_error(resp, 404, "FEATURE_IMPACT_NOT_FOUND").await;

    let id = started(&server, &setup, json!({})).await;
    let done = finished(&server, &setup.token, &id).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["progress"], 1.0);
    let impact = server
        .get_json(&fi_url("forest", "0.1.0"), &setup.token)
        .await;
    assert_eq!(impact["method"], "permutation");
    assert_eq!(
        impact["row_count"], 442,
        "default: every row of a small dataset"
    );
    assert_eq!(impact["shap_based"], false);
    assert_eq!(impact["count"], 10);
    let names: Vec<&str> = impact["feature_impacts"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["feature_name"].as_str().unwrap_or_default())
        .collect();
    let ranking = sklearn_ranking("diabetes_random_forest");
    assert_eq!(names[..2], [ranking[0].as_str(), ranking[1].as_str()]);
    assert_eq!(impact["feature_impacts"][0]["impact_normalized"], 1.0);
    let log = server
        .get_json(&format!("/api/v1/jobs/{id}/log"), &setup.token)
        .await;
    assert!(
        log["data"].as_array().is_some_and(|l| l.len() >= 10),
        "a line per feature at least: {log}"
    );

    // Same seed, same numbers; the result survives a restart.
    let mut server = server;
    server.restart().await;
    let again = started(&server, &setup, json!({"seed": 0})).await;
    assert_eq!(
        finished(&server, &setup.token, &again).await["state"],
        "succeeded"
    );
    let second = server
        .get_json(&fi_url("forest", "0.1.0"), &setup.token)
        .await;
    assert_eq!(second["feature_impacts"], impact["feature_impacts"]);
}

#[tokio::test]
async fn refusals_come_before_any_job_is_queued() {
    let server = TestServer::start().await;
    let setup = diabetes(&server, "checked", Some("diabetes_linear.onnx")).await;
    for (body, code, field) in [
        (json!({"row_count": 9}), "INVALID_ROW_COUNT", "row_count"),
        (
            json!({"row_count": 100_001}),
            "INVALID_ROW_COUNT",
            "row_count",
        ),
        (
            json!({"prediction_url": "ftp://example.com"}),
            "INVALID_PREDICTION_URL",
            "prediction_url",
        ),
        (
            json!({"prediction_url": "http://10.1.2.3:8080"}),
            "PREDICTION_HOST_NOT_ALLOWED",
            "prediction_url",
        ),
    ] {
        assert_invalid(start(&server, &setup, body).await, code, field).await;
    }
    assert_error(
        start(&server, &setup, json!({"rows": 10})).await,
        422,
        "INVALID_FIELD",
    )
    .await;

    // No training data.
    let token = &setup.token;
    server
        .create_model(
            token,
            json!({"name": "bare", "target_type": "regression", "target_name": "target"}),
        )
        .await;
    server
        .upload_version(
            token,
            "bare",
            &[("model.onnx", &fixture("diabetes_linear.onnx"))],
        )
        .await;
    let bare = Setup {
        token: token.clone(),
        model: "bare".into(),
    };
    assert_error(
        start(&server, &bare, json!({})).await,
        422,
        "NO_TRAINING_DATA",
    )
    .await;

    // No model file, and a file that is not a model.
    let none = diabetes(&server, "nofile", None).await;
    assert_error(
        start(&server, &none, json!({})).await,
        422,
        "NO_RUNNABLE_MODEL",
    )
    .await;
    let junk = Setup {
        token: token.clone(),
        model: "junk".into(),
    };
    server
        .create_model(
            token,
            json!({"name": "junk", "target_type": "regression", "target_name": "target"}),
        )
        .await;
    server
        .upload_version(token, "junk", &[("model.onnx", b"not onnx")])
        .await;
    let version = server
        .get_json("/api/v1/models/junk/versions/0.1.0", token)
        .await;
    assert_eq!(version["files"][0]["model_check"]["status"], "invalid");
    let dataset = upload_dataset(&server, token, "diabetes.csv").await;
    assign(&server, token, "junk", "0.1.0", &dataset).await;
    assert_error(
        start(&server, &junk, json!({})).await,
        422,
        "MODEL_CANNOT_RUN",
    )
    .await;

    // A model file that runs is reported as such on the version.
    let version = server
        .get_json("/api/v1/models/checked/versions/0.1.0", token)
        .await;
    assert_eq!(version["files"][0]["model_check"]["status"], "ok");
    assert_eq!(version["files"][0]["model_check"]["n_features"], 10);

    // Viewers may follow but not start.
    let viewer = server.user_with_token("onlooker", false);
    let resp = server
        .as_user(token)
        .patch(
            "/api/v1/models/checked/access",
            json!({"data": [{"username": "onlooker", "role": "VIEWER"}]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let as_viewer = Setup {
        token: viewer.clone(),
        model: "checked".into(),
    };
    assert_error(
        start(&server, &as_viewer, json!({})).await,
        403,
        "FORBIDDEN",
    )
    .await;
    let id = started(&server, &setup, json!({"row_count": 50})).await;
    let seen = job(&server, &viewer, &id).await;
    assert_eq!(seen["kind"], "feature_impact");
    let resp = server
        .as_user(&viewer)
        .delete(&format!("/api/v1/jobs/{id}"))
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let done = finished(&server, token, &id).await;
    assert_eq!(done["state"], "succeeded");
    assert_eq!(
        server.get_json(&fi_url("checked", "0.1.0"), token).await["row_count"],
        50
    );
    let resp = server
        .as_user(token)
        .delete(&format!("/api/v1/jobs/{id}"))
        .await;
    assert_error(resp, 409, "JOB_FINISHED").await;
    // Outsiders do not learn the job exists.
    let outsider = server.user_with_token("outsider", false);
    let resp = server
        .as_user(&outsider)
        .get(&format!("/api/v1/jobs/{id}"))
        .await;
    assert_error(resp, 404, "JOB_NOT_FOUND").await;
}

#[tokio::test]
async fn a_prediction_server_computes_and_can_be_canceled_or_down() {
    let server = TestServer::start().await;
    let setup = diabetes(&server, "remote", None).await;
    let predictions = PredictionServer::start().await;

    let id = started(
        &server,
        &setup,
        json!({"prediction_url": predictions.url, "row_count": 200}),
    )
    .await;
    let done = finished(&server, &setup.token, &id).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let impact = server
        .get_json(&fi_url("remote", "0.1.0"), &setup.token)
        .await;
    let items = impact["feature_impacts"].as_array().expect("items");
    assert_eq!(items[0]["feature_name"], "bmi");
    assert_eq!(items[1]["feature_name"], "s5");
    assert_eq!(
        items[2]["impact_unnormalized"], 0.0,
        "unused features do not matter"
    );

    // While one runs, a second is refused; cancelling stops it.
    predictions.delay_ms.store(300, Ordering::SeqCst);
    let id = started(&server, &setup, json!({"prediction_url": predictions.url})).await;
    let resp = start(&server, &setup, json!({"prediction_url": predictions.url})).await;
    assert_error(resp, 409, "JOB_ALREADY_RUNNING").await;
    // Once the baseline is scored it is shuffling, each batch taking 300 ms: a cancel now
    // waits for the batch in flight, and the answer says so.
    until(&server, &setup.token, &id, |j| {
        j["state"] == "running" && j["progress"].as_f64().is_some_and(|p| p > 0.0)
    })
    .await;
    let resp = server
        .as_user(&setup.token)
        .delete(&format!("/api/v1/jobs/{id}"))
        .await;
    let canceling = expect_json(resp, StatusCode::OK).await;
    assert_eq!(
        canceling["state"], "canceling",
        "the answer says at once that the job is stopping: {canceling}"
    );
    let done = finished(&server, &setup.token, &id).await;
    assert_eq!(done["state"], "canceled");
    let after = server
        .get_json(&fi_url("remote", "0.1.0"), &setup.token)
        .await;
    assert_eq!(
        after["job_id"], impact["job_id"],
        "a canceled run keeps the last result"
    );

    // A server that is down fails the job with a readable error.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let id = started(&server, &setup, json!({"prediction_url": dead})).await;
    let done = finished(&server, &setup.token, &id).await;
    assert_eq!(done["state"], "failed");
    let error = done["error"].as_str().unwrap_or_default();
    assert!(error.contains(&dead), "names the server: {error}");
}

#[tokio::test]
async fn a_job_running_when_the_server_is_killed_completes_after_restart() {
    let mut server = TestServer::start().await;
    let setup = diabetes(&server, "sturdy", None).await;
    let predictions = PredictionServer::start().await;
    predictions.delay_ms.store(150, Ordering::SeqCst);
    let id = started(&server, &setup, json!({"prediction_url": predictions.url})).await;
    until(&server, &setup.token, &id, |j| {
        j["state"] == "running" && j["progress"].as_f64().unwrap_or(0.0) > 0.1
    })
    .await;
    let before = predictions.requests.load(Ordering::SeqCst);
    server.crash_and_restart().await;
    let done = finished(&server, &setup.token, &id).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "taken up again after the crash");
    assert!(predictions.requests.load(Ordering::SeqCst) > before);
    let impact = server
        .get_json(&fi_url("sturdy", "0.1.0"), &setup.token)
        .await;
    assert_eq!(impact["feature_impacts"][0]["feature_name"], "bmi");
    assert_eq!(impact["job_id"], id);
}

/// Two instances on one PostgreSQL database and one bucket, as behind a load balancer: a session
/// opened on one works on the other, a model created on one is there on the other at once, each
/// job runs on exactly one of them, and a job whose instance died is taken over by the other.
#[tokio::test]
async fn two_instances_share_sessions_models_and_jobs() {
    if !common::shared_backends() {
        eprintln!(
            "two instances need a shared database and storage: this runs in the PostgreSQL + S3 \
             pass of scripts/test.sh"
        );
        return;
    }
    let env = [("MODELYARD_JOB_STALE_SECONDS", "5")];
    let mut a = TestServer::start_with_env(&env).await;
    let setup = diabetes(&a, "shared", None).await;
    let predictions = PredictionServer::start().await;

    // A job running on `a` (the only instance yet) when it dies.
    predictions.delay_ms.store(150, Ordering::SeqCst);
    let orphan = started(&a, &setup, json!({"prediction_url": predictions.url})).await;
    until(&a, &setup.token, &orphan, |j| {
        j["state"] == "running" && j["progress"].as_f64().unwrap_or(0.0) > 0.05
    })
    .await;
    let b = TestServer::start_sharing(&a, &env).await;

    // A session opened on `a` is good on `b`.
    a.add_user("ana", &common::default_password("ana"), false);
    let cookie = a
        .login_cookie("ana", &common::default_password("ana"))
        .await;
    let resp = b
        .with_cookie(b.get("/api/v1/me"), &cookie)
        .send()
        .await
        .expect("GET /me on b");
    let me = expect_json(resp, StatusCode::OK).await;
    assert_eq!(me["username"], "ana");

    // A model created on `a` is on `b` at once, and one created on `b` on `a`.
    let model = b.get_json("/api/v1/models/shared", &setup.token).await;
    assert_eq!(model["name"], "shared");
    b.create_model(&setup.token, json!({"name": "made-on-b"}))
        .await;
    let model = a.get_json("/api/v1/models/made-on-b", &setup.token).await;
    assert_eq!(model["name"], "made-on-b");

    // `a` dies; `b` takes its job over once the heartbeat is stale, and finishes it.
    a.crash();
    let done = finished(&b, &setup.token, &orphan).await;
    assert_eq!(done["state"], "succeeded", "{done}\n--- b ---\n{}", b.log());
    assert_eq!(done["attempts"], 2, "taken over after the crash: {done}");
    assert!(
        b.log().contains(&format!("job started job={orphan}")),
        "{}",
        b.log()
    );

    // With both up, each of several jobs started at once runs exactly once, on one instance.
    a.crash_and_restart().await; // `a` is down already: this starts it again
    predictions.delay_ms.store(5, Ordering::SeqCst);
    let mut jobs = Vec::new();
    for n in 0..6 {
        let name = format!("many-{n}");
        let s = diabetes(&a, &name, None).await;
        jobs.push(s);
    }
    let mut ids = Vec::new();
    for (n, s) in jobs.iter().enumerate() {
        let server = if n % 2 == 0 { &a } else { &b };
        ids.push(started(server, s, json!({"prediction_url": predictions.url})).await);
    }
    let logs = |id: &str| {
        let line = format!("job started job={id}");
        a.log().matches(&line).count() + b.log().matches(&line).count()
    };
    for (id, s) in ids.iter().zip(&jobs) {
        let done = finished(&a, &s.token, id).await;
        assert_eq!(done["state"], "succeeded", "{done}");
        assert_eq!(done["attempts"], 1, "{done}");
    }
    for id in &ids {
        assert_eq!(logs(id), 1, "job {id} started {} times", logs(id));
    }
}
