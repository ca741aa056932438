//! The command line: `serve`, `user add`, `token add`, `storage sweep`, `feature-impact`,
//! `serve-predictions`, and the hidden `routes`.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::identity::NewToken;
use crate::router::app;
use crate::server::config::{
    Cli, Command, ServeArgs, StorageCommand, StoreArgs, TokenCommand, UserCommand,
};
use crate::server::db;
use crate::server::error::AppError;
use crate::server::jobs::{JobKind, JobRunner, JobTimings};
use crate::server::metrics::{Metrics, MetricsMode};
use crate::server::services::feature_impact_runs::FeatureImpactJob;
use crate::server::services::sweep;
use crate::server::services::{tokens, users, versions};
use crate::server::state::{AppState, Settings, StateParts};
use crate::server::storage::{BlobStore, StorageUrlError};
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::User(UserCommand::Add {
            username,
            admin,
            display_name,
            store,
        }) => add_user(&store, username, admin, display_name).await,
        Command::Token(TokenCommand::Add {
            name,
            user,
            expires_in_days,
            store,
        }) => add_token(&store, name, &user, expires_in_days).await,
        Command::Storage(StorageCommand::Sweep {
            grace_seconds,
            store,
        }) => sweep_storage(&store, grace_seconds).await,
        Command::FeatureImpact(args) => crate::server::feature_impact::command::run(args).await,
        Command::ServePredictions(args) => {
            crate::server::predict::serve::run(args, shutdown_signal()).await
        }
        Command::Demo { store } => load_demo(&store).await,
        Command::Export { to, store } => export(&store, &to).await,
        Command::Import { from, store } => import(&store, &from).await,
        Command::Routes => {
            print_routes();
            Ok(())
        }
        Command::ModelRunner {
            model,
            memory_bytes,
        } => crate::server::predict::runner::serve_child(&model, memory_bytes)
            .map_err(|e| AppError::Internal(format!("model runner: {e}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let e = e.into_api_error();
            eprintln!("error: {}\n{}", e.error_msg, e.solution_msg);
            ExitCode::FAILURE
        }
    }
}

/// Lists the HTTP surface that access checks apply to, one line each, so a test can tell when an
/// endpoint is added without being covered: `REST /api/v1/models/{model}` and
/// `FN POST /fn/list_tokens`. REST methods are not listed; a client finds them by the 405 answer.
fn print_routes() {
    for path in crate::server::rest::route_paths() {
        println!("REST {path}");
    }
    let mut functions: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method.to_string()))
        .collect();
    functions.sort();
    for (path, method) in functions {
        println!("FN {method} {path}");
    }
}

async fn open_store(store: &StoreArgs) -> Result<sqlx::AnyPool, AppError> {
    if store.database_url.is_none() {
        std::fs::create_dir_all(&store.data_dir).map_err(|e| {
            AppError::Internal(format!(
                "cannot create the data directory {}: {e}",
                store.data_dir.display()
            ))
        })?;
    }
    db::connect(&store.database_url())
        .await
        .map_err(|e| AppError::Internal(format!("cannot open the database: {e}")))
}

async fn add_user(
    store: &StoreArgs,
    username: String,
    admin: bool,
    display_name: Option<String>,
) -> Result<(), AppError> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| AppError::Internal(format!("cannot read the password from stdin: {e}")))?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let pool = open_store(store).await?;
    let new = users::NewUser {
        username: username.clone(),
        display_name: display_name.unwrap_or_default(),
        password,
        is_admin: admin,
    };
    users::create_user(&pool, new, None).await?;
    let kind = if admin { "admin" } else { "user" };
    eprintln!("Added {kind} '{username}'.");
    Ok(())
}

async fn sweep_storage(store: &StoreArgs, grace_seconds: u64) -> Result<(), AppError> {
    let pool = open_store(store).await?;
    let blobs = open_blobs(store).await?;
    let report = sweep::sweep(&pool, &blobs, std::time::Duration::from_secs(grace_seconds)).await?;
    println!(
        "Marked {} unfinished versions as failed; removed {} unused stored files and {} leftover temporary files.",
        report.failed_versions, report.removed_blobs, report.removed_temp_files
    );
    Ok(())
}

/// `modelyard demo`: the shared state of a server that does not listen, for loading the demo.
async fn load_demo(store: &StoreArgs) -> Result<(), AppError> {
    let pool = open_store(store).await?;
    let blobs = open_blobs(store).await?;
    let state = AppState::new(StateParts {
        jobs: JobRunner::new(pool.clone(), Vec::new(), JobTimings::default()),
        metrics: Arc::new(Metrics::off()),
        db: pool,
        blobs,
        settings: Arc::new(Settings {
            public_url: String::new(),
            max_json_bytes: 1024 * 1024,
            max_upload_bytes: u64::MAX,
            max_files_per_version: 10_000,
            session_days: 30,
            secure_cookies: false,
            prediction_hosts: Vec::new(),
            model_limits: crate::server::predict::RunnerLimits::default(),
        }),
        leptos: leptos::config::LeptosOptions::builder()
            .output_name("modelyard")
            .build(),
    });
    let loaded = crate::server::demo::load(&state).await?;
    if loaded.is_empty() {
        println!("Nothing new to load.");
    } else {
        println!(
            "Loaded {}. Start the server and open /models.",
            loaded.join(" and ")
        );
    }
    Ok(())
}

/// The blob store `--storage-url` names; a bad URL or an unreachable bucket stops the command
/// with what to change.
async fn open_blobs(store: &StoreArgs) -> Result<BlobStore, AppError> {
    let location = store.storage_location().map_err(|e| {
        AppError::Api(ApiError::new(
            500,
            codes::STORAGE_URL_INVALID,
            e.message,
            StorageUrlError::SOLUTION,
        ))
    })?;
    let blobs = BlobStore::connect(&location, &store.data_dir, store.storage_cache_bytes)
        .await
        .map_err(|e| {
            AppError::Api(ApiError::new(
                500,
                codes::STORAGE_UNAVAILABLE,
                e.message,
                e.solution,
            ))
        })?;
    tracing::info!("stored files: {blobs}");
    Ok(blobs)
}

async fn export(store: &StoreArgs, to: &std::path::Path) -> Result<(), AppError> {
    let pool = open_store(store).await?;
    let blobs = open_blobs(store).await?;
    let manifest = crate::server::transfer::export(&pool, &blobs, to).await?;
    println!(
        "exported {} to {}",
        crate::server::transfer::summary(&manifest),
        to.display()
    );
    Ok(())
}

async fn import(store: &StoreArgs, from: &std::path::Path) -> Result<(), AppError> {
    let pool = open_store(store).await?;
    let blobs = open_blobs(store).await?;
    let manifest = crate::server::transfer::import(&pool, &blobs, from).await?;
    println!(
        "imported {} from {}",
        crate::server::transfer::summary(&manifest),
        from.display()
    );
    Ok(())
}

async fn add_token(
    store: &StoreArgs,
    name: String,
    username: &str,
    expires_in_days: Option<i64>,
) -> Result<(), AppError> {
    let pool = open_store(store).await?;
    let user_id = tokens::user_id_by_name(&pool, username).await?;
    let created = tokens::create_token_as_operator(
        &pool,
        &user_id,
        &NewToken {
            name,
            expires_in_days,
        },
    )
    .await?;
    println!("{}", created.token);
    Ok(())
}

/// The browser bundle's name: what a release build of the site wrote to `pkg/manifest.json`
/// (`modelyard-<hash>`, which changes with the content), or `modelyard` for a development build.
fn bundle_name(site_root: &std::path::Path) -> String {
    #[derive(serde::Deserialize)]
    struct Manifest {
        name: String,
    }
    let path = site_root.join("pkg").join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return "modelyard".to_owned();
    };
    match serde_json::from_str::<Manifest>(&text) {
        Ok(m)
            if !m.name.is_empty()
                && m.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            m.name
        }
        _ => {
            tracing::warn!(path = %path.display(), "the site's manifest.json is unreadable; rebuild the site");
            "modelyard".to_owned()
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), AppError> {
    let pool = open_store(&args.store).await?;
    let site_root = args.site_root();
    if !site_root.join("pkg").exists() {
        tracing::warn!(
            site_root = %site_root.display(),
            "no built site found: pages will render without styles or interactivity; build it with scripts/build-site.sh or pass --site-root"
        );
    }
    let public_url = args.public_url();
    let leptos = leptos::config::LeptosOptions::builder()
        .output_name(bundle_name(&site_root))
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let blobs = open_blobs(&args.store).await?;
    // Versions still pending belong to uploads the last process was serving when it stopped:
    // the embedded store is served by one process at a time.
    match versions::fail_stale_pending(&pool, &db::now()).await {
        Ok(n) if n > 0 => tracing::warn!(
            versions = n,
            "marked versions left pending by the last run as failed"
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "cannot mark stale pending versions"),
    }
    // Temporary files of uploads cut off when the last process stopped: nothing else writes
    // to this store while the server starts.
    match blobs.clear_temp(std::time::Duration::ZERO).await {
        Ok(n) if n > 0 => tracing::info!(files = n, "removed unfinished uploads of the last run"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot clear unfinished uploads"),
    }
    let jobs = JobRunner::new(
        pool.clone(),
        job_kinds(&pool, &blobs, &args.runner_limits()),
        JobTimings {
            stale_after: std::time::Duration::from_secs(args.job_stale_seconds),
            ..JobTimings::default()
        },
    );
    // On SQLite, jobs left running belong to the last process (one process serves the embedded
    // store): they start again from the beginning. On PostgreSQL they are taken over once stale.
    if let Err(e) = jobs.requeue_abandoned().await {
        tracing::error!(error = ?e, "cannot queue interrupted jobs again");
    }
    let state = AppState::new(StateParts {
        db: pool,
        blobs,
        jobs,
        metrics: Arc::new(Metrics::new(args.metrics, args.metrics_token.as_ref())),
        settings: Arc::new(Settings {
            secure_cookies: public_url.starts_with("https://"),
            public_url: public_url.clone(),
            max_json_bytes: args.max_json_bytes,
            max_upload_bytes: args.max_upload_bytes,
            max_files_per_version: args.max_files_per_version.max(1),
            session_days: args.session_days.clamp(1, 365),
            prediction_hosts: args.prediction_hosts.clone(),
            model_limits: args.runner_limits(),
        }),
        leptos,
    });
    if let Some(secret) = users::issue_setup_link(&state.db).await? {
        tracing::info!(
            "No users yet. Open {public_url}/setup?token={secret} to create the first admin"
        );
    }
    match args.metrics {
        MetricsMode::Off => {}
        MetricsMode::Public => {
            tracing::info!("metrics: anyone who can reach the server may read /metrics")
        }
        MetricsMode::Token => tracing::info!("metrics: /metrics needs the metrics token"),
    }
    crate::server::state::set_serving(&state);
    sweep::spawn(state.clone());
    state.jobs.spawn_workers(args.job_workers.max(1));
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| AppError::Internal(format!("cannot listen on {}: {e}", args.addr)))?;
    tracing::info!("Modelyard is listening on http://{}", args.addr);
    axum::serve(listener, app(state.clone()))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| AppError::Internal(format!("server error: {e}")))?;
    if !state.jobs.shutdown(JOB_STOP_WAIT).await {
        // A job stuck in a long step (e.g. waiting on a prediction server) would hold the
        // process open; its row stays 'running' and the next start queues it again.
        tracing::warn!("a job did not stop in time; it runs again at the next start");
        std::process::exit(0);
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping server waits for running jobs to reach a point where they can stop.
const JOB_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(8);

/// Every kind of background job this build runs.
fn job_kinds(
    pool: &sqlx::AnyPool,
    blobs: &BlobStore,
    limits: &crate::server::predict::RunnerLimits,
) -> Vec<Arc<dyn JobKind>> {
    vec![Arc::new(FeatureImpactJob::new(
        pool.clone(),
        blobs.clone(),
        limits.clone(),
    ))]
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then finish before the server stops.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
