//! `modelyard demo`: loads two real models into a registry so a newcomer sees the product at
//! once — scikit-learn models exported to ONNX (diabetes regression, breast-cancer
//! classification), several versions each with metrics, their training data, and feature impact
//! computed by the same job the server runs.

use crate::domain::feature_impact::FeatureImpactRequest;
use crate::domain::model::NewModel;
use crate::domain::model::Patch;
use crate::domain::version::{Framework, Metric, NewVersion, Registration, SetAlias, VersionPatch};
use crate::server::auth::{AuthMethod, Caller};
use crate::server::error::{AppError, AppResult};
use crate::server::jobs::{JobRunner, JobTimings};
use crate::server::services::feature_impact_runs::{self, FeatureImpactJob};
use crate::server::services::versions::aliases;
use crate::server::services::{datasets, models, users, versions};
use crate::server::state::{AppState, StateParts};
use std::sync::Arc;
use std::time::Duration;

/// A demo model: its name, what it predicts, its training data and its versions (the ONNX
/// file, the scikit-learn estimator, a description).
struct DemoModel {
    name: &'static str,
    description: &'static str,
    readme: &'static str,
    target_type: &'static str,
    class_labels: Option<&'static [&'static str]>,
    dataset: (&'static str, &'static [u8]),
    versions: &'static [(&'static [u8], &'static str, &'static str)],
}

const FIXTURES: [DemoModel; 2] = [
    DemoModel {
        name: "diabetes-progression",
        description: "Disease progression one year after baseline, from ten measurements.",
        readme: "---\nlicense: bsd-3-clause\ndatasets: [sklearn-diabetes]\nlanguage: en\ntags: [tabular-regression]\nmetrics: [rmse]\n---\n# Diabetes progression\n\nRegression on scikit-learn's diabetes data set \
                 (442 patients, ten baseline variables such as `bmi`, blood pressure `bp` and six \
                 blood serum measurements `s1`–`s6`). The target is a quantitative measure of \
                 disease progression one year later.\n\nEach version is a different scikit-learn \
                 model exported to ONNX with skl2onnx. Open a version to see its feature impact, \
                 or compare two versions.",
        target_type: "regression",
        class_labels: None,
        dataset: (
            "diabetes.csv",
            include_bytes!("../../fixtures/feature_impact/diabetes.csv"),
        ),
        versions: &[
            (
                include_bytes!("../../fixtures/feature_impact/diabetes_linear.onnx"),
                "LinearRegression",
                "Linear regression baseline.",
            ),
            (
                include_bytes!("../../fixtures/feature_impact/diabetes_random_forest.onnx"),
                "RandomForestRegressor",
                "Random forest: non-linear effects of bmi and s5.",
            ),
            (
                include_bytes!("../../fixtures/feature_impact/diabetes_gradient_boosting.onnx"),
                "GradientBoostingRegressor",
                "Gradient boosting, the current candidate.",
            ),
        ],
    },
    DemoModel {
        name: "breast-cancer-screening",
        description: "Malignant or benign, from 30 features of a breast mass's cell nuclei.",
        readme: "---\nlicense: bsd-3-clause\ndatasets: [sklearn-breast-cancer]\nlanguage: en\ntags: [tabular-classification]\nmetrics: [log_loss]\n---\n# Breast cancer screening\n\nBinary classification on scikit-learn's breast \
                 cancer data set (569 samples, 30 features computed from images of a fine \
                 needle aspirate). `target` is 1 for benign.\n\nMany of the features are \
                 strongly correlated (radius, perimeter and area), which the feature-impact \
                 chart marks as redundant.",
        target_type: "binary",
        // `target` is 0 for malignant and 1 for benign; the second label is the positive class.
        class_labels: Some(&["malignant", "benign"]),
        dataset: (
            "breast_cancer.csv",
            include_bytes!("../../fixtures/feature_impact/breast_cancer.csv"),
        ),
        versions: &[
            (
                include_bytes!("../../fixtures/feature_impact/breast_cancer_scaled_logistic.onnx"),
                "Pipeline(StandardScaler, LogisticRegression)",
                "Scaled logistic regression.",
            ),
            (
                include_bytes!("../../fixtures/feature_impact/breast_cancer_random_forest.onnx"),
                "RandomForestClassifier",
                "Random forest.",
            ),
        ],
    },
];

/// The demo's owner: the first active admin, or a new admin `demo` whose password is printed.
async fn demo_owner(state: &AppState) -> AppResult<Caller> {
    let admin: Option<(String, String, String)> = sqlx::query_as(
        "SELECT id, username, display_name FROM users WHERE is_admin = 1 AND is_active = 1
         ORDER BY created_at LIMIT 1",
    )
    .fetch_optional(&state.db)
    .await?;
    let (user_id, username, display_name) = match admin {
        Some(found) => found,
        None => {
            let password = crate::server::auth::random_secret(12);
            let id = users::create_user(
                &state.db,
                users::NewUser {
                    username: "demo".to_owned(),
                    display_name: "Demo admin".to_owned(),
                    password: password.clone(),
                    is_admin: true,
                },
                None,
            )
            .await?;
            println!("Created the admin 'demo' with the password: {password}");
            (id, "demo".to_owned(), "Demo admin".to_owned())
        }
    };
    Ok(Caller {
        user_id,
        username,
        display_name,
        is_admin: true,
        method: AuthMethod::Token,
    })
}

async fn store_bytes(
    state: &AppState,
    bytes: &'static [u8],
) -> AppResult<crate::server::storage::StoredBlob> {
    let stream =
        futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(bytes))]);
    state
        .blobs
        .put_stream(stream, state.settings.max_upload_bytes)
        .await
        .map_err(|e| AppError::Internal(format!("storing a demo file: {e:?}")))
}

/// Loads the demo models (skipping any that exist) and computes their feature impact, with a
/// job runner of its own (the command runs beside, or instead of, the server). Answers the names
/// loaded.
pub async fn load(state: &AppState) -> AppResult<Vec<String>> {
    let owner = demo_owner(state).await?;
    let runner = JobRunner::new(
        state.db.clone(),
        vec![Arc::new(FeatureImpactJob::new(
            state.db.clone(),
            state.blobs.clone(),
            state.settings.model_limits.clone(),
        ))],
        JobTimings::default(),
    );
    let state = AppState::new(StateParts {
        jobs: runner.clone(),
        ..StateParts::clone(state)
    });
    runner.spawn_workers(1);
    let loaded = populate(&state, &owner).await;
    runner.shutdown(Duration::from_secs(5)).await;
    loaded
}

/// Creates the demo models for `owner` with the state's own job runner (the server's, when an
/// admin ticks "Load the demo models" on the setup page): versions are drafts until their
/// feature impact is computed, whose baseline score on the training data becomes the version's
/// metric; then they are published, and `production` (protected) and `staging` name two of
/// them. Models that exist are left alone.
pub async fn populate(state: &AppState, owner: &Caller) -> AppResult<Vec<String>> {
    let mut loaded = Vec::new();
    for demo in &FIXTURES {
        if models::find_model(&state.db, Some(owner), demo.name)
            .await
            .is_ok()
        {
            println!("'{}' is already there; left as it is.", demo.name);
            continue;
        }
        create_demo(state, owner, demo).await?;
        loaded.push(demo.name.to_owned());
    }
    Ok(loaded)
}

async fn create_demo(state: &AppState, owner: &Caller, demo: &DemoModel) -> AppResult<()> {
    models::create_model(
        &state.db,
        owner,
        NewModel {
            name: demo.name.to_owned(),
            description: Some(demo.description.to_owned()),
            readme: Some(demo.readme.to_owned()),
            target_type: Some(demo.target_type.to_owned()),
            target_name: Some("target".to_owned()),
            class_labels: demo
                .class_labels
                .map(|labels| labels.iter().map(|l| (*l).to_owned()).collect()),
            tags: Some(vec!["demo".to_owned(), "scikit-learn".to_owned()]),
            visibility: Some("internal".to_owned()),
            ..Default::default()
        },
    )
    .await?;
    let (file_name, csv) = demo.dataset;
    let blob = store_bytes(state, csv).await?;
    let dataset =
        datasets::create_from_blob(state, owner, file_name.trim_end_matches(".csv"), blob).await?;
    let mut jobs = Vec::new();
    for (onnx, library, description) in demo.versions {
        let new = NewVersion {
            description: Some((*description).to_owned()),
            framework: Some(Framework {
                library_name: Some("scikit-learn".to_owned()),
                pipeline_tag: Some((*library).to_owned()),
                base_model: None,
            }),
            tags: Some(vec!["onnx".to_owned()]),
            ..Default::default()
        };
        let pending =
            versions::begin_version(state, owner, demo.name, &new, Registration::Pending).await?;
        let upload = versions::Upload {
            path: "model.onnx".to_owned(),
            blob: store_bytes(state, onnx).await?,
        };
        versions::finish_version(state, &pending, &new, vec![upload]).await?;
        let number = pending.number.to_string();
        datasets::set_training_data(
            state,
            owner,
            demo.name,
            &number,
            crate::domain::dataset::TrainingDataRequest {
                dataset_id: dataset.id.clone(),
                holdout_dataset_id: None,
            },
        )
        .await?;
        let job = feature_impact_runs::start(
            state,
            owner,
            demo.name,
            &number,
            &FeatureImpactRequest::default(),
        )
        .await?;
        jobs.push((number, job));
    }
    let mut published = Vec::new();
    for (number, id) in jobs {
        let job = finished(state, &id).await?;
        let what = format!("{} {number}", demo.name);
        match (&job.error, &job.result) {
            (Some(error), _) => println!("Feature impact of {what}: {error}"),
            (None, Some(result)) => {
                println!("Feature impact of {what}: {}", job.state.as_str());
                record_training_score(state, owner, demo.name, &number, result).await?;
            }
            (None, None) => println!("Feature impact of {what}: {}", job.state.as_str()),
        }
        versions::publish_version(state, owner, demo.name, &number).await?;
        published.push(number);
    }
    // The second version is in production, the newest is being tried in staging.
    let names = [
        ("production", 1, true),
        ("staging", published.len().saturating_sub(1), false),
    ];
    for (alias, index, protected) in names {
        if let Some(number) = published.get(index) {
            aliases::set_alias(
                state,
                owner,
                demo.name,
                alias,
                SetAlias {
                    version: number.clone(),
                    protected: Some(protected),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Waits for a job to end.
async fn finished(state: &AppState, id: &str) -> AppResult<crate::domain::job::Job> {
    loop {
        let job = state.jobs.get(id).await?;
        if job.state.is_finished() {
            return Ok(job);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The baseline score feature impact measured on the training data, as the version's metric
/// (`train_rmse`, `train_log_loss`): a real figure of each version, comparable across them.
async fn record_training_score(
    state: &AppState,
    owner: &Caller,
    model: &str,
    number: &str,
    result: &serde_json::Value,
) -> AppResult<()> {
    let (Some(metric), Some(score)) = (
        result.get("metric").and_then(|m| m.as_str()),
        result.get("base_score").and_then(|s| s.as_f64()),
    ) else {
        return Ok(());
    };
    let patch = VersionPatch {
        metrics: Patch::Set(vec![Metric {
            key: format!("train_{metric}"),
            value: score,
            step: None,
            timestamp: None,
        }]),
        ..VersionPatch::default()
    };
    versions::update_version(state, owner, model, number, patch).await?;
    Ok(())
}
