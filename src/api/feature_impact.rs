//! Feature impact for the pages: a version's result, if it has one.

use crate::domain::error::ApiError;
use crate::domain::feature_impact::FeatureImpact;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::context::{caller, fail, state};

/// `None` while the version has no feature impact; errors when the model or version cannot be
/// read by the caller.
#[server(prefix = "/fn", endpoint = "get_feature_impact")]
pub async fn get_feature_impact(
    model: String,
    version: String,
) -> Result<Option<FeatureImpact>, ApiError> {
    let caller = caller().await?;
    crate::server::services::feature_impact::find(&state().db, caller.as_ref(), &model, &version)
        .await
        .map_err(fail)
}
