//! The model form's fields, shared by "New model" and "Edit". The name is checked as it is
//! typed with the same rule the server applies (an island; the rest is plain HTML).

use crate::api::models::ModelForm;
use crate::components::forms::{FieldMessage, field_error, kept_input, textarea_text};
use crate::domain::error::ApiError;
use crate::domain::model::{TargetType, Visibility, validate_model_name};
use leptos::prelude::*;

/// Fields inline messages are shown for.
pub const INLINE_FIELDS: &[&str] = &[
    "name",
    "description",
    "target_type",
    "target_name",
    "tags",
    "class_labels",
    "visibility",
    "readme",
];

impl ModelForm {
    /// This form as it was typed when a plain post of it to `server_fn_path` was refused; as
    /// given otherwise.
    pub fn or_kept(mut self, server_fn_path: &'static str) -> Self {
        let fields: [(&'static str, &mut String); 8] = [
            ("form[name]", &mut self.name),
            ("form[description]", &mut self.description),
            ("form[target_type]", &mut self.target_type),
            ("form[target_name]", &mut self.target_name),
            ("form[tags]", &mut self.tags),
            ("form[class_labels]", &mut self.class_labels),
            ("form[visibility]", &mut self.visibility),
            ("form[readme]", &mut self.readme),
        ];
        for (name, value) in fields {
            if let Some(kept) = kept_input(server_fn_path, name) {
                *value = kept;
            }
        }
        self
    }
}

#[component]
pub fn ModelFormFields<T: Send + Sync + 'static>(
    initial: ModelForm,
    result: Signal<Option<Result<T, ApiError>>>,
    /// Shown but not sent (so left as it is): visibility is the Owner's to change.
    #[prop(optional)]
    visibility_locked: bool,
) -> impl IntoView {
    let server_name_error = field_error(result, "name").get_untracked();
    let current_target = initial.target_type.clone();
    let current_visibility = if initial.visibility.is_empty() {
        Visibility::default().as_str().to_owned()
    } else {
        initial.visibility.clone()
    };
    view! {
        <ModelNameInput initial=initial.name server_error=server_name_error />
        <div>
            <label for="description" class="label">"Description"</label>
            <input id="description" name="form[description]" class="input" maxlength="1024" aria-describedby="description-error" value=initial.description />
            <FieldMessage id="description-error" message=field_error(result, "description") />
        </div>
        <div class="grid gap-4 sm:grid-cols-2">
            <div>
                <label for="target_type" class="label">"Target type"</label>
                <select id="target_type" name="form[target_type]" class="input" aria-describedby="target-type-error">
                    <option value="" selected=current_target.is_empty()>"Not set"</option>
                    {TargetType::ALL
                        .into_iter()
                        .map(|t| view! { <option value=t.as_str() selected=current_target == t.as_str()>{t.label()}</option> })
                        .collect_view()}
                </select>
                <FieldMessage id="target-type-error" message=field_error(result, "target_type") />
            </div>
            <div>
                <label for="target_name" class="label">"Target name"</label>
                <input id="target_name" name="form[target_name]" class="input" maxlength="256" placeholder="e.g. churned" aria-describedby="target-name-error" value=initial.target_name />
                <FieldMessage id="target-name-error" message=field_error(result, "target_name") />
            </div>
        </div>
        <div>
            <label for="tags" class="label">"Tags"</label>
            <input id="tags" name="form[tags]" class="input" placeholder="comma-separated, e.g. tabular, churn" aria-describedby="tags-error" value=initial.tags />
            <FieldMessage id="tags-error" message=field_error(result, "tags") />
        </div>
        <TextAreaField id="class_labels" name="form[class_labels]" label="Class labels" rows="3" text=initial.class_labels
            help=("class-labels-help", "For classification: one label per line, in the order the model's outputs use them.")
            error=("class-labels-error", field_error(result, "class_labels")) />
        <div>
            <label for="visibility" class="label">"Visibility"</label>
            <select id="visibility" name="form[visibility]" class="input" disabled=visibility_locked aria-describedby="visibility-help visibility-error">
                {Visibility::ALL
                    .into_iter()
                    .map(|v| view! { <option value=v.as_str() selected=current_visibility == v.as_str()>{v.label()}</option> })
                    .collect_view()}
            </select>
            <p id="visibility-help" class="mt-1 text-xs text-slate-500">
                {visibility_locked.then_some("Only owners can change who can see the model.")}
            </p>
            <FieldMessage id="visibility-error" message=field_error(result, "visibility") />
        </div>
        <TextAreaField id="readme" name="form[readme]" label="Model card" rows="10" text=initial.readme
            help=("readme-help", "Markdown: what the model does, its data, its limits. A YAML block between two '---' lines at the top sets its license, datasets, language, tags and metrics.")
            error=("readme-error", field_error(result, "readme")) />
    }
}

/// The name field: the server's complaint about the last submission until the name is typed
/// again, then the rule's verdict as it is typed.
#[cfg_attr(any(feature = "ssr", feature = "bundle-main"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "bundle-main")), component)]
pub fn ModelNameInput(initial: String, server_error: Option<String>) -> impl IntoView {
    crate::components::island_scripts::note_island(crate::components::island_scripts::Bundle::Main);
    let message = RwSignal::new(server_error);
    view! {
        <div>
            <label for="name" class="label">"Name"</label>
            <input
                id="name"
                name="form[name]"
                class="input"
                required
                maxlength="64"
                autocomplete="off"
                aria-describedby="name-help name-error"
                value=initial
                on:input=move |ev| {
                    message.set(validate_model_name(&event_target_value(&ev)).err().map(|e| e.error_msg));
                }
            />
            <p id="name-help" class="mt-1 text-xs text-slate-500">
                "Letters, digits, '-', '_' and '.'; up to 64 characters."
            </p>
            <FieldMessage id="name-error" message=message.into() />
        </div>
    }
}

/// A text area of monospaced lines, with a line of help and the field's error under it; `help`
/// and `error` are each the id of their element and what it says.
#[component]
fn TextAreaField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    rows: &'static str,
    text: String,
    help: (&'static str, &'static str),
    error: (&'static str, Signal<Option<String>>),
) -> impl IntoView {
    let ((help_id, help), (error_id, message)) = (help, error);
    view! {
        <div>
            <label for=id class="label">{label}</label>
            // A text area starts from its content, never from a `prop:value`: hydration would set
            // the property again and wipe what someone typed before the WASM arrived.
            <textarea id=id name=name rows=rows class="input font-mono" aria-describedby=format!("{help_id} {error_id}")>
                {textarea_text(&text)}
            </textarea>
            <p id=help_id class="mt-1 text-xs text-slate-500">{help}</p>
            <FieldMessage id=error_id message />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use crate::components::forms::textarea_text;

    #[test]
    fn textarea_text_cannot_close_the_element() {
        assert_eq!(
            textarea_text("a </textarea><script>x</script> &lt;"),
            "a &lt;/textarea>&lt;script>x&lt;/script> &amp;lt;"
        );
        assert_eq!(textarea_text("# Card"), "# Card");
    }
}
