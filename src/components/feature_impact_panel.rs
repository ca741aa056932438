//! The "Feature impact" section of a version page: the version's result as a chart, or what to do
//! while it has none. It loads its own data, so the page only places it. An island: a computing
//! job is followed live, and "Show all" flips the chart in place.

use crate::api::feature_impact::{
    ImpactJobView, StartFeatureImpact, get_feature_impact, get_feature_impact_job,
};
use crate::components::charts::feature_impact_chart::FeatureImpactChart;
use crate::components::forms::{ErrorAlert, FieldMessage, FormError, field_error};
use crate::components::job_progress::JobProgress;
use crate::domain::feature_impact::{MAX_ROW_COUNT, MIN_ROW_COUNT};
use crate::domain::job::JobState;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The section's id: "Show all" links land back here.
pub const ANCHOR: &str = "feature-impact";

#[cfg_attr(any(feature = "ssr", feature = "bundle-main"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "bundle-main")), component)]
pub fn FeatureImpactPanel(
    /// The model's name and the version's number, as the page's address has them.
    model: String,
    version: String,
    /// Whether the caller may compute or import feature impact (Editor or above).
    can_edit: bool,
) -> impl IntoView {
    crate::components::island_scripts::note_island(crate::components::island_scripts::Bundle::Main);
    // Bumped when a new result is stored (e.g. a computing job finished) to load it again.
    let refresh = RwSignal::new(0_u32);
    let (m, v) = (model.clone(), version.clone());
    let impact = Resource::new(
        move || (m.clone(), v.clone(), refresh.get()),
        |(model, version, _)| get_feature_impact(model, version),
    );
    // The newest computing job: loaded again when one is started here.
    let start = ServerAction::<StartFeatureImpact>::new();
    let (jm, jv) = (model.clone(), version.clone());
    let job = Resource::new(
        move || (jm.clone(), jv.clone(), start.version().get()),
        |(model, version, _)| get_feature_impact_job(model, version),
    );
    // A job that ended before the page looked at it (they are quick on small data) shows only
    // through its result: load the result again unless it is already the one shown.
    Effect::new(move |_| {
        if let Some(Ok(Some(view))) = job.get()
            && view.job.state == JobState::Succeeded
        {
            let shown = impact
                .get_untracked()
                .and_then(Result::ok)
                .flatten()
                .and_then(|i| i.job_id);
            if shown.as_deref() != Some(view.job.id.as_str()) {
                refresh.update(|n| *n += 1);
            }
        }
    });
    let page_path = format!("/models/{model}/versions/{version}");
    let form = can_edit.then(|| {
        let result = Signal::derive(move || start.value().get());
        let (fm, fv) = (model.clone(), version.clone());
        view! {
            <ActionForm action=start attr:class="mb-4 flex flex-wrap items-end gap-4" attr:data-testid="feature-impact-form">
                <input type="hidden" name="model" value=fm />
                <input type="hidden" name="version" value=fv />
                <div>
                    <label for="fi-row-count" class="label">"Rows to sample"</label>
                    <input
                        id="fi-row-count"
                        name="row_count"
                        type="number"
                        min=MIN_ROW_COUNT
                        max=MAX_ROW_COUNT
                        class="input w-36"
                        placeholder="2500"
                        aria-describedby="fi-row-count-error"
                    />
                    <FieldMessage id="fi-row-count-error" message=field_error(result, "row_count") />
                </div>
                <div class="min-w-[16rem] grow">
                    <label for="fi-prediction-url" class="label">"Prediction server (optional)"</label>
                    <input
                        id="fi-prediction-url"
                        name="prediction_url"
                        type="url"
                        class="input"
                        placeholder="Empty: run the version's ONNX file here"
                        aria-describedby="fi-prediction-url-error"
                    />
                    <FieldMessage id="fi-prediction-url-error" message=field_error(result, "prediction_url") />
                </div>
                <button type="submit" class="btn-primary">"Compute feature impact"</button>
            </ActionForm>
            <FormError result inline_fields=&["row_count", "prediction_url"] />
        }
    });
    let job_view = move |view: ImpactJobView| {
        // A finished job shows only through its result; a failed or canceled one says why.
        let show = view.job.state != JobState::Succeeded;
        show.then(|| {
            view! {
                <div class="mb-4 rounded-lg border border-slate-200 bg-white p-4" data-testid="feature-impact-job">
                    <JobProgress
                        job=view.job
                        log=view.log
                        can_cancel=can_edit
                        refresh_href=format!("{page_path}?looked={}#{ANCHOR}", view.looked_at_ms)
                        on_done=Callback::new(move |_| refresh.update(|n| *n += 1))
                    />
                </div>
            }
        })
    };
    let hint = if can_edit {
        format!(
            "Assign training data and compute it above, or import results computed elsewhere \
             (for example SHAP values) with PUT \
             /api/v1/models/{model}/versions/{version}/feature-impact."
        )
    } else {
        "An editor of this model can compute it or import results computed elsewhere.".to_owned()
    };
    view! {
        <section id=ANCHOR class="mb-8" aria-labelledby="feature-impact-heading">
            <h2 id="feature-impact-heading" class="mb-3 text-lg font-semibold">"Feature impact"</h2>
            {form}
            <Transition fallback=|| ()>
                {move || {
                    let job_view = job_view.clone();
                    Suspend::new(async move { job.await.ok().flatten().map(job_view) })
                }}
            </Transition>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading feature impact…"</p> }>
                {move || {
                    let hint = hint.clone();
                    Suspend::new(async move {
                        match impact.await {
                            Ok(Some(impact)) => view! {
                                <FeatureImpactChart impact id="feature-impact-chart" anchor=ANCHOR />
                            }
                            .into_any(),
                            Ok(None) => view! {
                                <div class="empty" data-testid="feature-impact-empty">
                                    <p class="font-medium">"No feature impact yet"</p>
                                    <p class="mt-1 text-sm">{hint}</p>
                                </div>
                            }
                            .into_any(),
                            Err(error) => view! { <ErrorAlert error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}
