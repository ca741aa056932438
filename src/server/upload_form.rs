//! The upload page's form without JavaScript: a plain `multipart/form-data` post that creates a
//! version through the same service as the REST API, then sends the browser on with a redirect —
//! to the new version, or back to the form with the error to show.

use crate::server::auth::MaybeCaller;
use crate::server::services::uploads::create_version_from_multipart;
use crate::server::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};

pub async fn post_upload_form(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(model): Path<String>,
    multipart: Multipart,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/login").into_response();
    };
    match create_version_from_multipart(&state, &caller, &model, multipart).await {
        Ok(version) => Redirect::to(&format!(
            "/models/{}/versions/{}",
            version.model_name, version.version
        ))
        .into_response(),
        Err(e) => {
            let e = e.into_api_error();
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("error", &e.error_msg);
            query.append_pair("solution", &e.solution_msg);
            if let Some(field) = &e.field {
                query.append_pair("field", field);
            }
            let model = form_urlencoded::byte_serialize(model.as_bytes()).collect::<String>();
            Redirect::to(&format!("/models/{model}/upload?{}", query.finish())).into_response()
        }
    }
}
