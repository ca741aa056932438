//! A background job followed live: its state, a progress bar and its log, refreshed every second
//! in the browser until the job ends, with a Cancel button for those who may cancel it. Without
//! JavaScript it shows the state when the page was rendered and a Refresh link.

use crate::api::jobs::CancelJob;
use crate::domain::job::{Job, JobLogLine, JobState};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// How often a running job is looked at again.
#[cfg(feature = "hydrate")]
const POLL_MS: u64 = 1000;
/// Log lines shown (the newest).
const LOG_LINES: usize = 200;

fn state_label(state: JobState) -> &'static str {
    match state {
        JobState::Queued => "Queued",
        JobState::Running => "Running",
        JobState::Canceling => "Canceling…",
        JobState::Succeeded => "Finished",
        JobState::Failed => "Failed",
        JobState::Canceled => "Canceled",
    }
}

/// Follows `job` until it ends; `on_done` runs once when the browser sees it end.
#[component]
pub fn JobProgress(
    job: Job,
    log: Vec<JobLogLine>,
    /// Whether to offer Cancel (the server checks again).
    can_cancel: bool,
    /// The page to reload without JavaScript.
    refresh_href: String,
    #[prop(into)] on_done: Callback<Job>,
) -> impl IntoView {
    let job = RwSignal::new(job);
    let log = RwSignal::new(log);
    let cancel_error = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    {
        use leptos::task::spawn_local;
        use std::time::Duration;
        let done_reported = StoredValue::new(false);
        let handle = set_interval_with_handle(
            move || {
                let current = job.get_untracked();
                if current.state.is_finished() {
                    return;
                }
                spawn_local(async move {
                    if let Ok(fresh) = crate::api::jobs::get_job(current.id.clone()).await {
                        if let Ok(lines) = crate::api::jobs::get_job_log(current.id.clone()).await {
                            log.set(lines);
                        }
                        let finished = fresh.state.is_finished();
                        job.set(fresh.clone());
                        if finished && !done_reported.get_value() {
                            done_reported.set_value(true);
                            on_done.run(fresh);
                        }
                    }
                });
            },
            Duration::from_millis(POLL_MS),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = on_done;
    // A form, so Cancel also works without JavaScript (the server sends the browser back).
    let cancel = ServerAction::<CancelJob>::new();
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(fresh)) => {
            cancel_error.set(None);
            job.set(fresh);
        }
        Some(Err(e)) => cancel_error.set(Some(format!("{} {}", e.error_msg, e.solution_msg))),
        None => {}
    });
    let job_id = StoredValue::new(job.with_untracked(|j| j.id.clone()));
    let refresh_href = StoredValue::new(refresh_href);
    let percent = move || (job.with(|j| j.progress) * 100.0).clamp(0.0, 100.0);
    let active = move || !job.with(|j| j.state.is_finished());
    let cancelable = move || job.with(|j| matches!(j.state, JobState::Queued | JobState::Running));
    view! {
        <div class="space-y-2" data-job-state=move || job.with(|j| j.state.as_str())>
            <div class="flex items-center gap-3 text-sm">
                <span class="font-medium" aria-live="polite">
                    {move || state_label(job.with(|j| j.state))}
                </span>
                <span class="text-slate-600">{move || format!("{:.0}%", percent())}</span>
                <Show when=move || can_cancel && cancelable()>
                    <ActionForm action=cancel>
                        <input type="hidden" name="id" value=job_id.get_value() />
                        <button type="submit" class="btn-danger">
                            "Cancel"
                        </button>
                    </ActionForm>
                </Show>
                <Show when=active>
                    <a class="link" href=refresh_href.get_value()>
                        "Refresh"
                    </a>
                </Show>
            </div>
            <progress
                class="h-2 w-full"
                max="100"
                value=move || format!("{:.1}", percent())
                aria-label="Progress"
            ></progress>
            {move || {
                job.with(|j| j.error.clone())
                    .map(|e| view! { <p class="text-sm text-red-700" role="alert">{e}</p> })
            }}
            {move || {
                cancel_error
                    .get()
                    .map(|e| view! { <p class="text-sm text-red-700" role="alert">{e}</p> })
            }}
            <details open=active>
                <summary class="cursor-pointer text-sm text-slate-600">"Log"</summary>
                <ol class="mt-1 max-h-48 overflow-y-auto rounded bg-slate-50 p-2 font-mono text-xs">
                    {move || {
                        log.with(|lines| {
                            let skip = lines.len().saturating_sub(LOG_LINES);
                            lines
                                .iter()
                                .skip(skip)
                                .map(|l| {
                                    let at = crate::domain::text::utc_clock(&l.at);
                                    let message = l.message.clone();
                                    view! {
                                        <li>
                                            <span class="text-slate-500">{at}</span>
                                            " "
                                            {message}
                                        </li>
                                    }
                                })
                                .collect_view()
                        })
                    }}
                </ol>
            </details>
        </div>
    }
}
