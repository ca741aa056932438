//! The engine against scikit-learn's `permutation_importance` on the fixture models, and its
//! sampling, reproducibility, errors and prediction-server backend.

use std::io::Cursor;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::server::predict::serve::{PredictionService, router};
use crate::server::predict::{OnnxModel, PredictError, RemoteOptions, RemotePredictor};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/feature_impact");

fn expected() -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn load(name: &str) -> OnnxModel {
    let bytes = std::fs::read(format!("{FIXTURES}/{name}.onnx")).unwrap();
    OnnxModel::load(&bytes).unwrap()
}

fn csv_of(model: &str) -> &'static str {
    if model.starts_with("diabetes") {
        "diabetes.csv"
    } else {
        "breast_cancer.csv"
    }
}

fn task_of(model: &str) -> Task {
    if model.starts_with("diabetes") {
        Task::Regression
    } else {
        Task::Binary
    }
}

fn all_rows(seed: u64) -> Settings {
    Settings {
        row_count: 100_000,
        seed,
        n_repeats: 5,
    }
}

fn fixture_table(model: &str, settings: &Settings) -> TrainingTable {
    let path = std::path::PathBuf::from(format!("{FIXTURES}/{}", csv_of(model)));
    read_table(&path, "target", task_of(model), settings).unwrap()
}

fn quietly(_: Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

fn run(model: &dyn Predictor, table: &TrainingTable, settings: &Settings) -> Computed {
    compute(model, table, settings, &mut quietly).unwrap()
}

fn impact_of<'a>(computed: &'a Computed, feature: &str) -> &'a FeatureImpactItem {
    computed
        .items
        .iter()
        .find(|i| i.feature_name == feature)
        .unwrap()
}

/// scikit-learn's result for one model: per feature (mean, std over the 5 repeats), its
/// ranking and its baseline score.
struct Reference {
    means: std::collections::HashMap<String, (f64, f64)>,
    ranking: Vec<String>,
    baseline: f64,
    metric: String,
}

fn reference(model: &str) -> Reference {
    let all = expected();
    let m = all["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == model)
        .unwrap();
    Reference {
        means: m["permutation_importance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["feature"].as_str().unwrap().to_owned(),
                    (f["mean"].as_f64().unwrap(), f["std"].as_f64().unwrap()),
                )
            })
            .collect(),
        ranking: m["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        baseline: m["baseline_score"]["value"].as_f64().unwrap(),
        metric: m["baseline_score"]["metric"].as_str().unwrap().to_owned(),
    }
}

const MODELS: [&str; 8] = [
    "diabetes_linear",
    "diabetes_scaled_linear",
    "diabetes_random_forest",
    "diabetes_gradient_boosting",
    "breast_cancer_logistic",
    "breast_cancer_scaled_logistic",
    "breast_cancer_random_forest",
    "breast_cancer_gradient_boosting",
];

/// Our shuffles are not scikit-learn's (numpy's generator), so the means differ by chance:
/// each is a mean of 5 shuffles, so the difference of two independent means has a standard
/// deviation of about 0.63 × the per-shuffle std. The noisiest top features here have a std of
/// about 7% of the top impact, so a difference within [`IMPACT_TOLERANCE`] × the top impact
/// is about 3.3 standard deviations: loose enough to be stable, tight enough to catch a wrong
/// metric, a wrong class or a shuffle that is not a permutation. The largest difference seen
/// is 9.4% (`s5` of `diabetes_linear`).
const IMPACT_TOLERANCE: f64 = 0.15;

/// The baselines differ only by the float32 model run against scikit-learn's float64 model
/// (largest seen: 7.0e-7 relative, `breast_cancer_scaled_logistic`). The runtime's sigmoid
/// clamp (probabilities ≥ 4.8e-7) does not come into play: no row is that confidently wrong
/// before shuffling.
const BASELINE_TOLERANCE: f64 = 1e-6;

#[test]
fn matches_scikit_learn_on_every_fixture_model() {
    for name in MODELS {
        let model = load(name);
        let settings = all_rows(0);
        let table = fixture_table(name, &settings);
        let computed = run(&model, &table, &settings);
        let reference = reference(name);
        assert_eq!(computed.metric, reference.metric, "{name}");
        assert_eq!(computed.row_count, table.rows_in_file() as usize);

        let relative = (computed.base_score - reference.baseline).abs() / reference.baseline;
        assert!(
            relative <= BASELINE_TOLERANCE,
            "{name}: baseline {} vs scikit-learn's {} ({relative:.1e} relative)",
            computed.base_score,
            reference.baseline
        );

        // Every fixture's top three are far enough apart to come out in scikit-learn's order.
        let ours: Vec<&str> = computed
            .items
            .iter()
            .take(3)
            .map(|i| i.feature_name.as_str())
            .collect();
        assert_eq!(ours, reference.ranking[..3], "{name}");

        let top = reference.means[&reference.ranking[0]].0;
        for item in &computed.items {
            let (mean, _) = reference.means[&item.feature_name];
            let difference = (item.impact_unnormalized - mean).abs() / top;
            assert!(
                difference <= IMPACT_TOLERANCE,
                "{name}: '{}' has {} here and {mean} in scikit-learn ({:.1}% of the top impact)",
                item.feature_name,
                item.impact_unnormalized,
                difference * 100.0
            );
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_numbers_and_another_seed_other_shuffles() {
    let model = load("diabetes_random_forest");
    let settings = Settings {
        row_count: 200,
        seed: 7,
        n_repeats: 3,
    };
    let table = fixture_table("diabetes_random_forest", &settings);
    let first = run(&model, &table, &settings);
    let again = run(
        &model,
        &fixture_table("diabetes_random_forest", &settings),
        &settings,
    );
    assert_eq!(first, again);

    // Another seed: the same sample size, other rows and other shuffles.
    let other = Settings {
        seed: 8,
        ..settings
    };
    let other_table = fixture_table("diabetes_random_forest", &other);
    assert_ne!(other_table.column(2), table.column(2));
    let different = run(&model, &other_table, &other);
    assert_ne!(first.items, different.items);
    // Only the shuffles differ when the sample is the whole file.
    let whole = all_rows(1);
    let whole_table = fixture_table("diabetes_random_forest", &whole);
    let a = run(&model, &whole_table, &whole);
    let b = run(&model, &whole_table, &Settings { seed: 2, ..whole });
    assert_eq!(a.base_score, b.base_score);
    assert_ne!(
        impact_of(&a, "bmi").impact_unnormalized,
        impact_of(&b, "bmi").impact_unnormalized
    );
}

#[test]
fn sampling_respects_the_row_count_and_keeps_file_order() {
    let settings = Settings {
        row_count: 100,
        seed: 3,
        n_repeats: 5,
    };
    let table = fixture_table("diabetes_linear", &settings);
    assert_eq!(table.n_rows(), 100);
    assert_eq!(table.rows_in_file(), 442);
    assert_eq!(table.n_features(), 10);
    assert_eq!(table.feature_names()[0], "age");
    assert_eq!(table.skipped_missing_target(), 0);
    // The sampled rows are distinct rows of the file, in file order: match them back.
    let full = fixture_table("diabetes_linear", &all_rows(0));
    let positions: Vec<usize> = (0..table.n_rows())
        .map(|r| {
            (0..full.n_rows())
                .find(|&f| (0..10).all(|c| full.column(c)[f] == table.column(c)[r]))
                .unwrap()
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    // Rows are spread over the file, not its first hundred.
    assert!(*positions.last().unwrap() > 300);

    let small = Settings {
        row_count: 5000,
        ..settings
    };
    assert_eq!(fixture_table("diabetes_linear", &small).n_rows(), 442);
}

fn table_from(csv: &str, target: &str, task: Task) -> Result<TrainingTable, FeatureImpactError> {
    read_table_from(
        Cursor::new(csv.to_owned()),
        target,
        task,
        &Settings::default(),
    )
}

#[test]
fn rows_without_a_target_are_skipped_and_counted() {
    let csv = "a,b,y\n1,2,3\n4,5,\n7,8,NA\n1,1,2\n";
    let table = table_from(csv, "y", Task::Regression).unwrap();
    assert_eq!(table.n_rows(), 2);
    assert_eq!(table.rows_in_file(), 4);
    assert_eq!(table.skipped_missing_target(), 2);
    assert_eq!(table.column(0), &[1.0, 1.0]);
    assert!(
        table
            .summary()
            .contains("2 rows without a value in the target 'y' skipped")
    );
    let none = table_from("a,y\n1,\n2,\n", "y", Task::Regression).unwrap_err();
    assert_eq!(none.error_code(), "NO_ROWS_WITH_TARGET");
}

#[test]
fn columns_are_typed_like_datasets() {
    let csv = "n,flag,colour,y\n1.5,yes,red,a\n,no,blue,b\n3,,red,a\n";
    let table = table_from(csv, "y", Task::Binary).unwrap();
    assert_eq!(table.feature_kind(0), Some(ColumnType::Numeric));
    assert!(table.column(0)[1].is_nan());
    assert_eq!(table.feature_kind(1), Some(ColumnType::Boolean));
    assert_eq!(&table.column(1)[..2], &[1.0, 0.0]);
    assert!(table.column(1)[2].is_nan());
    assert_eq!(table.feature_kind(2), Some(ColumnType::Categorical));
    assert_eq!(
        table.categories(2).unwrap(),
        &["blue".to_owned(), "red".to_owned()]
    );
    assert_eq!(table.column(2), &[1.0, 0.0, 1.0]);
    assert_eq!(table.class_labels(), &["a".to_owned(), "b".to_owned()]);
}

#[test]
fn classes_sort_like_scikit_learn() {
    let csv = "x,y\n1,10\n2,2\n3,1\n4,2.0\n5,10\n";
    let table = table_from(csv, "y", Task::Multiclass).unwrap();
    assert_eq!(table.class_labels(), &["1", "2", "10"]);
    let super::table::Target::Classes { indices, .. } = &table.target else {
        panic!("classification target expected");
    };
    assert_eq!(indices, &[2, 1, 0, 1, 2]);
    let words = table_from("x,y\n1,dog\n2,cat\n3,emu\n", "y", Task::Multiclass).unwrap();
    assert_eq!(words.class_labels(), &["cat", "dog", "emu"]);
}

#[test]
fn unusable_files_are_named_errors() {
    let ragged = table_from("a,b,y\n1,2,3\n4,5\n", "y", Task::Regression).unwrap_err();
    assert_eq!(
        ragged.to_string(),
        "Line 3 of the training data has 2 cells; the header has 3."
    );
    assert_eq!(ragged.error_code(), "RAGGED_CSV_ROW");

    let three = table_from("a,y\n1,0\n2,1\n3,2\n", "y", Task::Binary).unwrap_err();
    assert_eq!(
        three.to_string(),
        "Line 4: the target 'y' holds a third class '2' (besides '0', '1'); a binary target \
         has exactly two classes."
    );
    let one = table_from("a,y\n1,0\n2,0\n", "y", Task::Binary).unwrap_err();
    assert!(one.to_string().contains("has 1 class ('0')"), "{one}");

    let missing = table_from("a,b\n1,2\n", "target", Task::Regression).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "The training data has no column named 'target' (its columns: 'a', 'b')."
    );
    let text = table_from("a,y\n1,2\n2,high\n", "y", Task::Regression).unwrap_err();
    assert_eq!(
        text.to_string(),
        "Line 3: the target 'y' holds 'high', which is not a number."
    );
    assert_eq!(
        table_from("a,a,y\n1,2,3\n", "y", Task::Regression)
            .unwrap_err()
            .error_code(),
        "INVALID_CSV_HEADER"
    );
    assert_eq!(
        table_from("", "y", Task::Regression)
            .unwrap_err()
            .error_code(),
        "INVALID_CSV_HEADER"
    );
    assert_eq!(
        table_from("y\n1\n", "y", Task::Regression)
            .unwrap_err()
            .error_code(),
        "NO_FEATURES"
    );
    let bytes = b"a,y\n1,2\n\xff\xfe,3\n".to_vec();
    let not_utf8 = read_table_from(
        Cursor::new(bytes),
        "y",
        Task::Regression,
        &Settings::default(),
    )
    .unwrap_err();
    assert_eq!(not_utf8.error_code(), "INVALID_CSV");
    assert!(not_utf8.to_string().contains("line 3"), "{not_utf8}");
    let api = crate::domain::error::ApiError::from(ragged);
    assert_eq!(api.status, 422);
}

#[test]
fn models_refuse_tables_they_cannot_take() {
    let model = load("diabetes_linear");
    let settings = Settings::default();
    // A categorical column: named before any prediction.
    let mut csv = String::from("age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target\n");
    for i in 0..30 {
        let colour = ["red", "green", "blue"][i % 3];
        csv.push_str(&format!("1,2,3,4,5,6,7,8,9,{colour},{i}\n"));
    }
    let table = read_table_from(Cursor::new(csv), "target", Task::Regression, &settings).unwrap();
    let error = compute(&model, &table, &settings, &mut quietly).unwrap_err();
    assert_eq!(
        error.to_string(),
        "The feature 's6' holds categorical values; the model can only be given numbers (an \
         ONNX model takes numeric features)."
    );
    assert_eq!(error.error_code(), "NON_NUMERIC_FEATURE");

    // One column too many.
    let wide =
        "a,b,c,d,e,f,g,h,i,j,k,target\n".to_owned() + &"1,2,3,4,5,6,7,8,9,10,11,12\n".repeat(12);
    let table = read_table_from(Cursor::new(wide), "target", Task::Regression, &settings).unwrap();
    let error = compute(&model, &table, &settings, &mut quietly).unwrap_err();
    assert_eq!(
        error.to_string(),
        "The model takes 10 features, the training data has 11 feature columns (every column \
         except the target 'target')."
    );

    // A regression target for a classifier's probabilities.
    let classifier = load("breast_cancer_logistic");
    let table = fixture_table("breast_cancer_logistic", &Settings::default());
    let regression = read_table(
        &std::path::PathBuf::from(format!("{FIXTURES}/breast_cancer.csv")),
        "target",
        Task::Regression,
        &Settings::default(),
    )
    .unwrap();
    assert_eq!(
        compute(&classifier, &regression, &settings, &mut quietly)
            .unwrap_err()
            .error_code(),
        "UNUSABLE_PREDICTIONS"
    );
    assert!(compute(&classifier, &table, &settings, &mut quietly).is_ok());
}

/// Counts the predictions asked of a model.
struct Counting {
    inner: OnnxModel,
    calls: std::sync::atomic::AtomicUsize,
}

impl Predictor for Counting {
    fn predict(&self, features: &Features<'_>) -> Result<Predictions, PredictError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.predict(features)
    }

    fn input_width(&self) -> Option<usize> {
        self.inner.input_width()
    }
}

#[test]
fn a_cancel_is_seen_before_the_next_prediction_not_after_the_feature() {
    let settings = Settings {
        row_count: 100,
        seed: 1,
        n_repeats: 5,
    };
    let table = fixture_table("diabetes_gradient_boosting", &settings);
    let model = Counting {
        inner: load("diabetes_gradient_boosting"),
        calls: Default::default(),
    };
    let calls = || model.calls.load(std::sync::atomic::Ordering::SeqCst);
    // Asked to stop once the baseline and two shuffles are predicted: one feature has five
    // repeats, so stopping only between features would take three more predictions per thread.
    let error = compute_until(&model, &table, &settings, &|| calls() >= 3, &mut quietly)
        .expect_err("canceled");
    assert!(error.is_canceled(), "{error}");
    assert!(
        calls() < 3 + worker_threads(),
        "{} predictions after the cancel",
        calls() - 3
    );
}

#[test]
fn progress_is_reported_and_cancel_stops_the_work() {
    let model = load("diabetes_gradient_boosting");
    let settings = Settings {
        row_count: 100,
        seed: 1,
        n_repeats: 2,
    };
    let table = fixture_table("diabetes_gradient_boosting", &settings);
    let mut seen = Vec::new();
    compute(&model, &table, &settings, &mut |p| {
        seen.push(p);
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(seen.len(), 12);
    assert!(seen[0].message.starts_with("Baseline rmse: "), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].fraction < w[1].fraction));
    assert_eq!(seen.last().unwrap().fraction, 1.0);
    assert!(seen[3].message.ends_with("(3/10)"), "{}", seen[3].message);

    let mut calls = 0;
    let error = compute(&model, &table, &settings, &mut |_| {
        calls += 1;
        if calls == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap_err();
    assert!(error.is_canceled());
    assert_eq!(calls, 2);
}

#[test]
fn redundant_features_point_to_a_more_important_correlated_one() {
    let model = load("breast_cancer_random_forest");
    let settings = all_rows(0);
    let table = fixture_table("breast_cancer_random_forest", &settings);
    let computed = run(&model, &table, &settings);
    assert!(computed.ran_redundancy_detection);
    let associations = redundancy::associations(&table).unwrap();
    let index = |name: &str| {
        table
            .feature_names()
            .iter()
            .position(|n| n == name)
            .unwrap()
    };
    let mut flagged = 0;
    for item in &computed.items {
        let Some(other) = &item.redundant_with else {
            continue;
        };
        flagged += 1;
        assert!(impact_of(&computed, other).impact_unnormalized > item.impact_unnormalized);
        assert!(
            associations[index(&item.feature_name)][index(other)]
                >= redundancy::REDUNDANCY_THRESHOLD
        );
    }
    // Radius, perimeter and area measure one thing three ways.
    assert!(flagged >= 3, "{flagged}");
    assert!(computed.items[0].redundant_with.is_none());
    assert_eq!(computed.items[0].impact_normalized, 1.0);
}

// The prediction-server backend, against `serve-predictions`' router in this process.

async fn start(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

async fn serve_fixture(name: &str, prefix: &str) -> String {
    let service = PredictionService::onnx(load(name), Vec::new()).unwrap();
    start(router(service, prefix)).await
}

async fn computed_remotely(
    url: String,
    table: TrainingTable,
    settings: Settings,
) -> Result<Computed, FeatureImpactError> {
    let options = RemoteOptions {
        class_labels: table.class_labels().to_vec(),
        batch_rows: 200,
        ..RemoteOptions::default()
    };
    let remote = RemotePredictor::connect(&url, options).await?;
    tokio::task::spawn_blocking(move || compute(&remote, &table, &settings, &mut quietly))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prediction_server_gives_the_same_impacts_as_the_model_in_process() {
    for (name, prefix) in [
        ("diabetes_random_forest", "/"),
        ("breast_cancer_gradient_boosting", "/models/bc"),
    ] {
        let base = serve_fixture(name, prefix).await;
        let settings = Settings {
            row_count: 300,
            seed: 11,
            n_repeats: 2,
        };
        let table = fixture_table(name, &settings);
        let local = run(&load(name), &table, &settings);
        let url = format!("{base}{}", prefix.trim_end_matches('/'));
        let remote = computed_remotely(url, table, settings).await.unwrap();
        // Numbers cross JSON twice; serde_json's parser may round the last bit of a 17-digit
        // number differently, so equal means equal to 1e-12 relative.
        assert!(
            (remote.base_score - local.base_score).abs() / local.base_score < 1e-12,
            "{name}"
        );
        assert_eq!(remote.row_count, local.row_count);
        let names = |c: &Computed| {
            c.items
                .iter()
                .map(|i| (i.feature_name.clone(), i.redundant_with.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&remote), names(&local), "{name}");
        for (r, l) in remote.items.iter().zip(&local.items) {
            let scale = l.impact_unnormalized.abs().max(1e-9);
            assert!(
                (r.impact_unnormalized - l.impact_unnormalized).abs() / scale < 1e-12,
                "{name}: {r:?} vs {l:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categorical_columns_are_sent_as_text() {
    use axum::routing::{get, post};
    let received = Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let app = axum::Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/predict_no_state/",
            post({
                let received = Arc::clone(&received);
                move |axum::Json(body): axum::Json<Value>| async move {
                    let rows = body["X"]["n"].as_array().map_or(0, Vec::len);
                    received.lock().unwrap().push(body);
                    axum::Json(serde_json::json!({"predictions": vec![1.0; rows]}))
                }
            }),
        );
    let base = start(app).await;
    let table = table_from(
        "n,colour,y\n1.5,red,1\n,blue,2\n3,,3\n",
        "y",
        Task::Regression,
    )
    .unwrap();
    let remote = RemotePredictor::connect(&base, RemoteOptions::default())
        .await
        .unwrap();
    let computed = tokio::task::spawn_blocking(move || {
        compute(&remote, &table, &Settings::default(), &mut quietly)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(computed.items.len(), 2);
    let first = received.lock().unwrap()[0].clone();
    assert_eq!(
        first,
        serde_json::json!({"X": {"n": [1.5, null, 3.0], "colour": ["red", "blue", null]}})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prediction_server_failures_are_readable() {
    use axum::http::StatusCode;
    use axum::routing::{get, post};

    // Nothing listens: a port that was just free.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = RemotePredictor::connect(
        &format!("http://user:secret@127.0.0.1:{port}/?token=abc"),
        RemoteOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Could not connect to http://127.0.0.1:{port}/: connection refused — start the \
             prediction server or check the URL."
        )
    );
    assert_eq!(error.error_code(), "PREDICTION_SERVER_UNREACHABLE");

    let invalid = RemotePredictor::connect("ftp://example.com/", RemoteOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(invalid, PredictError::InvalidUrl(_)), "{invalid}");

    // Not ready.
    let base = start(axum::Router::new().route(
        "/",
        get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "loading the model") }),
    ))
    .await;
    let error = RemotePredictor::connect(&base, RemoteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "The prediction server at {base}/ is not ready: it answered 503 Service Unavailable: \
             loading the model."
        )
    );

    // Answers that are not predictions.
    let answers = axum::Router::new()
        .route("/{case}/", get(|| async { "ok" }))
        .route(
            "/{case}/predict_no_state/",
            post(
                |axum::extract::Path(case): axum::extract::Path<String>| async move {
                    match case.as_str() {
                        "slow" => {
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            (StatusCode::OK, "{}".to_owned())
                        }
                        "garbage" => (StatusCode::OK, "<html>oops</html>".to_owned()),
                        "short" => (StatusCode::OK, r#"{"predictions": [1, 2]}"#.to_owned()),
                        "words" => (
                            StatusCode::OK,
                            r#"{"predictions": ["a", "b", "c"]}"#.to_owned(),
                        ),
                        _ => (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "Traceback: KeyError 'bmi'".to_owned(),
                        ),
                    }
                },
            ),
        );
    let base = start(answers).await;
    let predict = |case: &'static str, base: String| async move {
        let options = RemoteOptions {
            request_timeout: Duration::from_millis(300),
            ..RemoteOptions::default()
        };
        let remote = RemotePredictor::connect(&format!("{base}/{case}"), options)
            .await
            .unwrap();
        tokio::task::spawn_blocking(move || {
            let names = ["a".to_owned()];
            let column = [1.0, 2.0, 3.0];
            let features = crate::server::predict::Features::new(&names, vec![&column]).unwrap();
            remote.predict(&features).unwrap_err()
        })
        .await
        .unwrap()
    };
    let slow = predict("slow", base.clone()).await;
    assert_eq!(
        slow.to_string(),
        format!("The prediction server at {base}/slow/ did not answer within 0.3 s.")
    );
    let garbage = predict("garbage", base.clone()).await;
    assert!(
        garbage.to_string().starts_with(&format!(
            "The prediction server at {base}/garbage/ answered with malformed JSON"
        )),
        "{garbage}"
    );
    assert!(
        garbage.to_string().ends_with(": <html>oops</html>."),
        "{garbage}"
    );
    assert_eq!(
        predict("short", base.clone()).await.to_string(),
        format!("The prediction server at {base}/short/ answered 2 predictions for 3 rows.")
    );
    assert!(
        predict("words", base.clone())
            .await
            .to_string()
            .contains("\"a\" for row 1, neither a number nor class probabilities")
    );
    assert_eq!(
        predict("failing", base.clone()).await.to_string(),
        format!(
            "The prediction server at {base}/failing/ answered 500 Internal Server Error to POST \
             predict_no_state/: Traceback: KeyError 'bmi'."
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prediction_server_answers_classes_by_label_and_refuses_text() {
    let base = serve_fixture("breast_cancer_logistic", "/").await;
    let client = reqwest::Client::new();
    let mut columns = serde_json::Map::new();
    let table = fixture_table("breast_cancer_logistic", &Settings::default());
    for (i, name) in table.feature_names().iter().enumerate() {
        columns.insert(name.clone(), serde_json::json!([table.column(i)[0]]));
    }
    let answer: Value = client
        .post(format!("{base}/predict_no_state/"))
        .json(&serde_json::json!({ "X": columns }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = &answer["predictions"][0];
    let total = row["0"].as_f64().unwrap() + row["1"].as_f64().unwrap();
    assert!((total - 1.0).abs() < 1e-6, "{answer}");

    columns.insert("mean radius".to_owned(), serde_json::json!(["big"]));
    let refused = client
        .post(format!("{base}/predict_no_state/"))
        .json(&serde_json::json!({ "X": columns }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Column 'mean radius' holds the text 'big'; this model takes numbers only."
    );
    let malformed = client
        .post(format!("{base}/predict_no_state/"))
        .body("{\"X\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}
