//! Upload forms that work without JavaScript: plain `multipart/form-data` posts that create a
//! version or a dataset through the same services as the REST API, then send the browser on
//! with a redirect — to what was made, or back to the form with the error to show.

use crate::domain::error::ApiError;
use crate::server::auth::MaybeCaller;
use crate::server::kept_input::{append_kept, keep};
use crate::server::rest::multipart::MultipartForm;
use crate::server::services::datasets;
use crate::server::services::uploads::create_version_keeping_fields;
use crate::server::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// `?error=…&solution=…&field=…`: how a form page learns why its post failed.
fn error_query(e: ApiError) -> String {
    let e = e.for_page();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", &e.error_msg);
    query.append_pair("solution", &e.solution_msg);
    if let Some(field) = &e.field {
        query.append_pair("field", field);
    }
    query.finish()
}

pub async fn post_upload_form(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(model): Path<String>,
    multipart: Multipart,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/login").into_response();
    };
    let mut texts = Vec::new();
    let form = MultipartForm::from(multipart);
    match create_version_keeping_fields(&state, &caller, &model, form, &mut texts).await {
        Ok(version) => Redirect::to(&format!(
            "/models/{}/versions/{}",
            version.model_name, version.version
        ))
        .into_response(),
        Err(e) => {
            let mut query = error_query(e.into_api_error());
            // What was typed comes back (files cannot: the page asks for them again).
            let mut kept = form_urlencoded::Serializer::new(String::new());
            append_kept(&mut kept, &keep(texts));
            let kept = kept.finish();
            if !kept.is_empty() {
                query = format!("{query}&{kept}");
            }
            let model = form_urlencoded::byte_serialize(model.as_bytes()).collect::<String>();
            Redirect::to(&format!("/models/{model}/upload?{query}")).into_response()
        }
    }
}

/// The datasets page's upload form: on to the new dataset, or back to the list with the error.
pub async fn post_dataset_form(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    multipart: Multipart,
) -> Response {
    let Some(caller) = caller else {
        // The file was not read: the connection cannot carry another request.
        return (
            [(header::CONNECTION, HeaderValue::from_static("close"))],
            Redirect::to("/login"),
        )
            .into_response();
    };
    match datasets::create_from_form(&state, &caller, MultipartForm::from(multipart)).await {
        Ok(dataset) => Redirect::to(&format!("/datasets/{}", dataset.id)).into_response(),
        Err(e) => {
            let query = error_query(e.into_api_error());
            Redirect::to(&format!("/datasets?{query}")).into_response()
        }
    }
}
