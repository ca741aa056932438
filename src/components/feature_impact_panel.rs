//! The "Feature impact" section of a version page: the version's result as a chart, or what to do
//! while it has none. It loads its own data, so the page only places it.

use crate::api::feature_impact::get_feature_impact;
use crate::components::charts::feature_impact_chart::FeatureImpactChart;
use crate::components::forms::ErrorAlert;
use leptos::prelude::*;

/// The section's id: "Show all" links land back here.
pub const ANCHOR: &str = "feature-impact";

#[component]
pub fn FeatureImpactPanel(
    /// The model's name and the version's number, as the page's address has them.
    model: String,
    version: String,
    /// Whether the caller may compute or import feature impact (Editor or above).
    can_edit: bool,
) -> impl IntoView {
    // Bumped when a new result is stored (e.g. a computing job finished) to load it again.
    let refresh = RwSignal::new(0_u32);
    let (m, v) = (model.clone(), version.clone());
    let impact = Resource::new(
        move || (m.clone(), v.clone(), refresh.get()),
        |(model, version, _)| get_feature_impact(model, version),
    );
    let hint = if can_edit {
        format!(
            "Import results computed elsewhere (for example SHAP values) with PUT \
             /api/v1/models/{model}/versions/{version}/feature-impact."
        )
    } else {
        "An editor of this model can compute it or import results computed elsewhere.".to_owned()
    };
    view! {
        <section id=ANCHOR class="mb-8" aria-labelledby="feature-impact-heading">
            <h2 id="feature-impact-heading" class="mb-3 text-lg font-semibold">"Feature impact"</h2>
            // Editors' controls go here, above the result: the form that starts a computation and
            // the running job's live progress (bump `refresh` when it succeeds).
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
