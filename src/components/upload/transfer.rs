//! The hydrated upload: create the version as a draft (JSON), send the files two at a time with
//! `PUT …/files/{path}`, then publish if asked and open the version. "Cancel upload" aborts
//! every request and deletes the draft, so a canceled upload leaves no version behind.

use super::browser::{self, Body, Outcome};
use super::{FileStatus, UploadPhase, UploadState, encode_component, encode_path, version_api_url};
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use futures_util::future::join_all;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How many files are sent at once.
const PARALLEL_FILES: usize = 2;

/// What the form asked for.
pub struct Submission {
    /// The new version's fields as JSON, `publish` false: the files come first.
    pub version_json: String,
    pub publish: bool,
}

fn network_error() -> ApiError {
    ApiError::new(
        503,
        codes::NETWORK_ERROR,
        "The server could not be reached.",
        "Check your connection and try again.",
    )
}

/// The error in a server's answer (`error_msg` / `solution_msg`), or a generic one for a body
/// that is not the usual shape.
fn answered_error(status: u16, body: &str) -> ApiError {
    match serde_json::from_str::<ApiError>(body) {
        Ok(e) => e.with_status(status),
        Err(_) => ApiError::new(
            status,
            codes::UNEXPECTED_RESPONSE,
            format!("The server answered with status {status}."),
            "Try again; if it keeps happening, tell your admin.",
        ),
    }
}

async fn request(method: &str, url: &str, body: Body<'_>) -> Result<String, ApiError> {
    match browser::send(method, url, body, |_| {}, |_| {}).await {
        Outcome::Answered { status, body } if (200..300).contains(&status) => Ok(body),
        Outcome::Answered { status, body } => Err(answered_error(status, &body)),
        Outcome::Aborted | Outcome::NetworkError => Err(network_error()),
    }
}

/// Starts the upload the form asked for; `navigate` opens a page of the app.
pub fn start_upload(
    state: UploadState,
    submission: Submission,
    navigate: impl Fn(&str) + Clone + 'static,
) {
    if state.phase.get_untracked().is_busy() {
        return;
    }
    state.handles.update_value(|h| {
        h.canceled = false;
        h.requests.clear();
    });
    state.files.update(|files| {
        for f in files.iter_mut() {
            f.sent = 0;
            f.status = FileStatus::Waiting;
        }
    });
    state.error.set(None);
    state.bytes_per_second.set(None);
    state.phase.set(UploadPhase::Creating);
    spawn_local(async move {
        let model = state.model.get_value();
        let url = format!("/api/v1/models/{}/versions", encode_component(&model));
        let created = request("POST", &url, Body::Json(&submission.version_json)).await;
        let version = match created.and_then(|body| version_number(&body)) {
            Ok(v) => v,
            Err(e) => {
                let canceled = state.handles.with_value(|h| h.canceled);
                state.phase.set(if canceled {
                    UploadPhase::Canceled {
                        model_deleted: false,
                    }
                } else {
                    UploadPhase::Editing
                });
                state.error.set(Some(e));
                return;
            }
        };
        run_files(state, version, submission.publish, navigate).await;
    });
}

/// The number the server gave the new version.
fn version_number(body: &str) -> Result<String, ApiError> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("version").and_then(|n| n.as_str()).map(str::to_owned))
        .ok_or_else(|| answered_error(201, ""))
}

/// Sends the waiting files, then finishes: delete the draft if canceled, stop if some failed,
/// else publish (if asked) and open the version.
async fn run_files(
    state: UploadState,
    version: String,
    publish: bool,
    navigate: impl Fn(&str) + Clone + 'static,
) {
    if !state.handles.with_value(|h| h.canceled) {
        state.phase.set(UploadPhase::Uploading {
            version: version.clone(),
        });
        let started_at = js_sys::Date::now();
        let already_sent = state.totals().0;
        let workers = (0..PARALLEL_FILES)
            .map(|_| send_files(state, version.clone(), started_at, already_sent));
        join_all(workers).await;
    }
    let model = state.model.get_value();
    if state.handles.with_value(|h| h.canceled) {
        delete_draft(state, &model, &version).await;
        return;
    }
    let failed = state.files.with_untracked(|files| {
        files
            .iter()
            .any(|f| matches!(f.status, FileStatus::Failed(_)))
    });
    if failed {
        state.phase.set(UploadPhase::Incomplete { version });
        return;
    }
    if publish {
        state.phase.set(UploadPhase::Publishing {
            version: version.clone(),
        });
        let url = format!("{}/publish", version_api_url(&model, &version));
        if let Err(e) = request("POST", &url, Body::Empty).await {
            state.error.set(Some(e));
            state.phase.set(UploadPhase::Incomplete { version });
            return;
        }
    }
    state.phase.set(UploadPhase::Finished {
        version: version.clone(),
    });
    navigate(&format!(
        "/models/{}/versions/{}",
        encode_component(&model),
        encode_component(&version)
    ));
}

/// One worker: takes waiting files one after another until none is left or the upload is
/// canceled.
async fn send_files(state: UploadState, version: String, started_at: f64, already_sent: u64) {
    let model = state.model.get_value();
    loop {
        if state.handles.with_value(|h| h.canceled) {
            return;
        }
        // Claimed synchronously, so the other worker cannot take the same file.
        let Some((id, path)) = state.files.with_untracked(|files| {
            files
                .iter()
                .find(|f| f.status == FileStatus::Waiting)
                .map(|f| (f.id, f.path.clone()))
        }) else {
            return;
        };
        let Some(file) = state.handles.with_value(|h| h.files.get(&id).cloned()) else {
            state.update_file(id, |f| f.status = FileStatus::Canceled);
            continue;
        };
        state.update_file(id, |f| {
            f.status = FileStatus::Uploading;
            f.sent = 0;
        });
        let url = format!(
            "{}/files/{}",
            version_api_url(&model, &version),
            encode_path(&path)
        );
        let on_progress = move |loaded: f64| {
            // Progress events count bytes: whole numbers far below 2^53.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let loaded = loaded.max(0.0) as u64;
            state.update_file(id, |f| f.sent = loaded.min(f.size));
            let elapsed = (js_sys::Date::now() - started_at) / 1000.0;
            if elapsed > 0.2 {
                let sent = state.totals().0.saturating_sub(already_sent);
                #[allow(clippy::cast_precision_loss)]
                state.bytes_per_second.set(Some(sent as f64 / elapsed));
            }
        };
        let outcome = browser::send("PUT", &url, Body::File(&file), on_progress, |xhr| {
            let xhr = xhr.clone();
            state.handles.update_value(|h| {
                h.requests.insert(id, xhr);
            });
        })
        .await;
        state.handles.update_value(|h| {
            h.requests.remove(&id);
        });
        let status = match outcome {
            Outcome::Answered { status, .. } if (200..300).contains(&status) => FileStatus::Done,
            Outcome::Answered { status, body } => FileStatus::Failed(answered_error(status, &body)),
            Outcome::Aborted => FileStatus::Canceled,
            Outcome::NetworkError => FileStatus::Failed(network_error()),
        };
        state.update_file(id, |f| {
            if status == FileStatus::Done {
                f.sent = f.size;
            }
            f.status = status;
        });
    }
}

async fn delete_draft(state: UploadState, model: &str, version: &str) {
    state.phase.set(UploadPhase::Canceling);
    // A canceled upload takes its draft away, never the model it was meant for.
    let url = format!("{}?keep_model=true", version_api_url(model, version));
    match request("DELETE", &url, Body::Empty).await {
        Ok(body) => {
            let model_deleted = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("model_deleted").and_then(serde_json::Value::as_bool))
                .unwrap_or(false);
            state.phase.set(UploadPhase::Canceled { model_deleted });
        }
        Err(e) => {
            state.error.set(Some(e));
            state.phase.set(UploadPhase::Incomplete {
                version: version.to_owned(),
            });
        }
    }
}

/// Stops one file: a waiting one is skipped, a running one aborted.
pub fn cancel_file(state: UploadState, id: u64) {
    let running = state.handles.with_value(|h| h.requests.get(&id).cloned());
    match running {
        Some(xhr) => {
            let _ = xhr.abort();
        }
        None => state.update_file(id, |f| {
            if f.status == FileStatus::Waiting {
                f.status = FileStatus::Canceled;
            }
        }),
    }
}

/// "Cancel upload": abort everything and delete the draft.
pub fn cancel_upload(state: UploadState) {
    let phase = state.phase.get_untracked();
    state.handles.update_value(|h| h.canceled = true);
    state.files.update(|files| {
        for f in files.iter_mut().filter(|f| f.status == FileStatus::Waiting) {
            f.status = FileStatus::Canceled;
        }
    });
    let running: Vec<_> = state
        .handles
        .with_value(|h| h.requests.values().cloned().collect());
    for xhr in running {
        let _ = xhr.abort();
    }
    match phase {
        // The running flow notices the flag and deletes the draft itself.
        UploadPhase::Creating | UploadPhase::Uploading { .. } => {
            state.phase.set(UploadPhase::Canceling);
        }
        UploadPhase::Incomplete { version } => {
            spawn_local(async move {
                let model = state.model.get_value();
                delete_draft(state, &model, &version).await;
            });
        }
        _ => {}
    }
}

/// "Retry failed files": send them again into the same draft.
pub fn retry_failed(state: UploadState, publish: bool, navigate: impl Fn(&str) + Clone + 'static) {
    let UploadPhase::Incomplete { version } = state.phase.get_untracked() else {
        return;
    };
    state.error.set(None);
    state.files.update(|files| {
        for f in files
            .iter_mut()
            .filter(|f| matches!(f.status, FileStatus::Failed(_)))
        {
            f.status = FileStatus::Waiting;
            f.sent = 0;
        }
    });
    spawn_local(run_files(state, version, publish, navigate));
}
