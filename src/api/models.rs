//! Models for the pages: list, view, create, edit.

use crate::domain::error::ApiError;
use crate::domain::model::{Model, ModelQuery};
use crate::domain::paging::Page;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context::{caller, fail, require_caller, state};

#[server(prefix = "/fn", endpoint = "list_models")]
pub async fn list_models(query: ModelQuery) -> Result<Page<Model>, ApiError> {
    let caller = caller().await?;
    crate::server::services::models::list_models(&state().db, caller.as_ref(), &query, "/models")
        .await
        .map_err(fail)
}

/// A model with its card rendered (sanitized) for display.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelView {
    pub model: Model,
    pub readme_html: String,
}

#[server(prefix = "/fn", endpoint = "get_model")]
pub async fn get_model(name: String) -> Result<ModelView, ApiError> {
    let caller = caller().await?;
    let model = crate::server::services::models::get_model(&state().db, caller.as_ref(), &name)
        .await
        .map_err(fail)?;
    // The front matter is shown as fields, not as text.
    let (_, card_body) = crate::domain::model::split_front_matter(&model.readme);
    let readme_html = crate::server::markdown::render_markdown(card_body);
    Ok(ModelView { model, readme_html })
}

/// The model form's fields, as typed: shared by "New model" and "Edit".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelForm {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub target_type: String,
    #[serde(default)]
    pub target_name: String,
    #[serde(default)]
    pub tags: String,
    /// One class label per line (labels may contain commas).
    #[serde(default)]
    pub class_labels: String,
    #[serde(default)]
    pub visibility: String,
    #[serde(default)]
    pub readme: String,
}

#[server(prefix = "/fn", endpoint = "create_model")]
pub async fn create_model(form: ModelForm) -> Result<(), ApiError> {
    use crate::domain::model::{NewModel, split_lines, split_tags};
    let caller = require_caller().await?;
    let new = NewModel {
        name: form.name.trim().to_owned(),
        description: Some(form.description),
        readme: Some(form.readme),
        target_type: Some(form.target_type),
        target_name: Some(form.target_name),
        class_labels: Some(split_lines(&form.class_labels)),
        tags: Some(split_tags(&form.tags)),
        metadata: None,
        visibility: Some(form.visibility).filter(|v| !v.is_empty()),
    };
    let model = crate::server::services::models::create_model(&state().db, &caller, new)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/models/{}", model.name));
    Ok(())
}

#[server(prefix = "/fn", endpoint = "update_model")]
pub async fn update_model(key: String, form: ModelForm) -> Result<(), ApiError> {
    use crate::domain::model::{ModelPatch, Patch, split_lines, split_tags};
    let caller = require_caller().await?;
    let mut patch = ModelPatch {
        name: Patch::Set(form.name.trim().to_owned()),
        description: Patch::Set(form.description),
        readme: Patch::Set(form.readme),
        target_type: Patch::Set(form.target_type),
        target_name: Patch::Set(form.target_name),
        tags: Patch::Set(split_tags(&form.tags)),
        class_labels: Patch::Set(split_lines(&form.class_labels)),
        ..ModelPatch::default()
    };
    if !form.visibility.is_empty() {
        patch.visibility = Patch::Set(form.visibility);
    }
    let model = crate::server::services::models::update_model(&state().db, &caller, &key, patch)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/models/{}", model.name));
    Ok(())
}
