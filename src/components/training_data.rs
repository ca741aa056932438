//! A version's training and holdout data: the datasets assigned to it (links) and, for Editors
//! and above, a form to assign them and a button to clear them. Both are `ActionForm`s: without
//! JavaScript the browser posts them and comes back to the page with the change or the error;
//! hydrated, the section updates in place from the version the server answers with.

use crate::api::datasets::{
    ClearVersionTrainingData, SetVersionTrainingData, list_dataset_choices,
};
use crate::components::forms::{FieldMessage, FormError, field_error};
use crate::domain::dataset::DatasetRef;
use crate::domain::model::{Model, Role};
use crate::domain::version::Version;
use leptos::form::ActionForm;
use leptos::prelude::*;

type Assigned = (Option<DatasetRef>, Option<DatasetRef>);

#[component]
pub fn TrainingDataSection(model: Model, version: Version) -> impl IntoView {
    let set = ServerAction::<SetVersionTrainingData>::new();
    let clear = ServerAction::<ClearVersionTrainingData>::new();
    let assigned = RwSignal::new((
        version.training_dataset.clone(),
        version.holdout_dataset.clone(),
    ));
    // Hydrated, a change does not reload the page: show what the server now holds.
    Effect::new(move |_| {
        if let Some(Ok(v)) = set.value().get() {
            assigned.set((v.training_dataset, v.holdout_dataset));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(v)) = clear.value().get() {
            assigned.set((v.training_dataset, v.holdout_dataset));
        }
    });
    let can_edit = model.role >= Some(Role::Editor);
    let editor = can_edit.then(|| {
        view! {
            <TrainingDataForm
                model=model.clone()
                version=version.version.clone()
                initial=(version.training_dataset.clone(), version.holdout_dataset.clone())
                assigned
                set
                clear
            />
        }
    });
    view! {
        <section class="mb-8" aria-labelledby="training-data-heading">
            <h2 id="training-data-heading" class="mb-1 text-lg font-semibold">"Training data"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "The data this version was trained on (feature impact samples it) and, optionally, data kept out of training. Everyone who can see this model can see the datasets assigned to it."
            </p>
            <dl class="mb-4 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm">
                <dt class="text-slate-500">"Training data"</dt>
                <dd data-testid="training-dataset">{move || dataset_link(assigned.get().0)}</dd>
                <dt class="text-slate-500">"Holdout data"</dt>
                <dd data-testid="holdout-dataset">{move || dataset_link(assigned.get().1)}</dd>
            </dl>
            {editor}
        </section>
    }
}

fn dataset_link(dataset: Option<DatasetRef>) -> AnyView {
    match dataset {
        Some(d) => {
            view! { <a href=format!("/datasets/{}", d.id) class="link">{d.name}</a> }.into_any()
        }
        None => view! { <span class="text-slate-500">"None"</span> }.into_any(),
    }
}

#[component]
fn TrainingDataForm(
    model: Model,
    version: String,
    initial: Assigned,
    assigned: RwSignal<Assigned>,
    set: ServerAction<SetVersionTrainingData>,
    clear: ServerAction<ClearVersionTrainingData>,
) -> impl IntoView {
    let choices = Resource::new(|| (), |_| list_dataset_choices());
    let set_result: Signal<_> = set.value().into();
    let clear_result: Signal<_> = clear.value().into();
    let edit_href = format!("/models/{}/edit", model.name);
    let no_target = model.target_name.trim().is_empty().then(|| {
        view! {
            <p class="mb-3 text-sm text-amber-900">
                "The model has no target column yet; training data must contain it. "
                <a href=edit_href class="link">"Set the target name"</a>
                " first."
            </p>
        }
    });
    let initial = StoredValue::new(initial);
    let (model_name, version_name) = (model.name.clone(), version.clone());
    let has_data = move || assigned.with(|(t, h)| t.is_some() || h.is_some());
    view! {
        {no_target}
        <FormError result=set_result inline_fields=&["dataset_id", "holdout_dataset_id"] />
        <FormError result=clear_result />
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading datasets…"</p> }>
            {move || Suspend::new({
                let (model_name, version_name) = (model_name.clone(), version_name.clone());
                async move {
                    let choices = match choices.await {
                        Ok(choices) => choices,
                        Err(error) => return view! { <crate::components::forms::ErrorAlert error /> }.into_any(),
                    };
                    if choices.is_empty() {
                        return view! {
                            <p class="text-sm text-slate-600">
                                "You have no datasets to choose from. "
                                <a href="/datasets" class="link">"Upload a CSV file"</a>
                                " first."
                            </p>
                        }
                        .into_any();
                    }
                    let (training, holdout) = initial.get_value();
                    let options = |selected: Option<DatasetRef>| {
                        choices
                            .iter()
                            .map(|d| {
                                let chosen = selected.as_ref().is_some_and(|s| s.id == d.id);
                                view! { <option value=d.id.clone() selected=chosen>{d.name.clone()}</option> }
                            })
                            .collect_view()
                    };
                    let training_options = options(training);
                    let holdout_options = options(holdout);
                    view! {
                        <ActionForm action=set attr:class="flex flex-wrap items-start gap-4">
                            <input type="hidden" name="model" value=model_name.clone() />
                            <input type="hidden" name="version" value=version_name.clone() />
                            <div class="min-w-[12rem] grow">
                                <label for="training-dataset" class="label">"Training dataset"</label>
                                <select
                                    id="training-dataset"
                                    name="dataset_id"
                                    class="input"
                                    required
                                    aria-describedby="training-dataset-error"
                                >
                                    <option value="">"Choose a dataset…"</option>
                                    {training_options}
                                </select>
                                <FieldMessage id="training-dataset-error" message=field_error(set_result, "dataset_id") />
                            </div>
                            <div class="min-w-[12rem] grow">
                                <label for="holdout-dataset" class="label">"Holdout dataset (optional)"</label>
                                <select
                                    id="holdout-dataset"
                                    name="holdout_dataset_id"
                                    class="input"
                                    aria-describedby="holdout-dataset-error"
                                >
                                    <option value="">"None"</option>
                                    {holdout_options}
                                </select>
                                <FieldMessage id="holdout-dataset-error" message=field_error(set_result, "holdout_dataset_id") />
                            </div>
                            <button type="submit" class="btn-primary mt-6">"Assign training data"</button>
                        </ActionForm>
                    }
                    .into_any()
                }
            })}
        </Transition>
        {move || has_data().then(|| {
            let (model, version) = (model.name.clone(), version.clone());
            view! {
                <ActionForm action=clear attr:class="mt-2">
                    <input type="hidden" name="model" value=model />
                    <input type="hidden" name="version" value=version />
                    <button type="submit" class="btn-secondary">"Clear training data"</button>
                </ActionForm>
            }
        })}
    }
}
