//! The whole HTTP surface in one router: REST API, server functions, pages and static files,
//! all behind the security headers, every request with an id, a log line and its figures. Built by a function so tests can serve it on any port.

use crate::app::{App, shell};
use crate::server::auth::require_same_origin;
use crate::server::metrics;
use crate::server::rest;
use crate::server::security;
use crate::server::state::AppState;
use crate::server::upload_form;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use leptos::prelude::provide_context;
use leptos::prelude::{IntoView, LeptosOptions};
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::services::ServeDir;

/// The HTML document of a page, with the Content-Security-Policy that names this render's nonce
/// (carried by the hydration script).
fn page(options: LeptosOptions) -> impl IntoView {
    security::send_page_csp();
    shell(options)
}

pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let pkg_dir = std::path::Path::new(&*state.leptos.site_root).join(&*state.leptos.site_pkg_dir);
    let options = state.leptos.clone();
    let context_state = state.clone();
    let fallback_state = state.clone();
    // Static files from the built site; anything else renders the app, whose router answers 404.
    let static_or_page = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        move || provide_context(fallback_state.clone()),
        page,
    );
    // Pages and server functions first: their bodies (forms, server function arguments) are
    // bounded by the JSON limit, and drained before a 413 (the layer covers only the routes
    // registered before it). leptos registers each server function at its own path.
    let router = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context_state.clone());
                provide_context(crate::server::auth::CallerMemo::default());
            },
            move || page(options.clone()),
        )
        .route("/fn/{*name}", post(server_fn_handler))
        .route_layer(from_fn_with_state(
            state.settings.max_json_bytes,
            crate::server::kept_input::keep_refused_input,
        ))
        .route_layer(from_fn_with_state(
            state.settings.max_json_bytes,
            rest::extract::bound_body,
        ))
        .route("/healthz", get(|| async { "ok" }))
        // Beside the health check, outside the REST API: for scrapers, in Prometheus's format,
        // guarded by its own setting (`--metrics`) rather than by users' access rules.
        .route("/metrics", get(metrics::scrape))
        .merge(rest::routes(state.settings.max_json_bytes))
        .route("/api/{*rest}", any(rest::api_not_found))
        // The WASM, JavaScript and CSS bundles: a release build's brotli or gzip copies as they
        // are, a development build's compressed on the way (the WASM shrinks to about a third).
        // Named by their content in a release, so browsers keep them for good.
        .nest_service(
            "/pkg",
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn_with_state(
                    sealed_prefix(&state.leptos.output_name),
                    cache_bundle,
                ))
                .layer(CompressionLayer::new())
                .service(
                    ServeDir::new(pkg_dir)
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
        // The upload forms of the pages, bounded per file by the upload limit.
        .route(
            "/models/{name}/upload",
            post(upload_form::post_upload_form)
                .layer(DefaultBodyLimit::disable())
                .layer(axum::middleware::map_response(
                    rest::close_after_refused_upload,
                )),
        )
        .route(
            "/datasets",
            post(upload_form::post_dataset_form)
                .layer(DefaultBodyLimit::disable())
                .layer(axum::middleware::map_response(
                    rest::close_after_refused_upload,
                )),
        )
        .fallback(static_or_page)
        .layer(CompressionLayer::new().compress_when(SizeAbove::new(1024).and(compressible)))
        .layer(DefaultBodyLimit::max(state.settings.max_json_bytes))
        .layer(from_fn_with_state(state.clone(), require_same_origin));
    // Outermost, so refusals by the layers above carry the headers too.
    let router = security::harden(router, state.clone());
    // Around even that: a request id, the request's log line and its figures cover every
    // answer. Router layers wrap each route, so the matched route template is known here.
    router
        .layer(from_fn_with_state(
            state.metrics.clone(),
            metrics::request::observe,
        ))
        .with_state(state)
}

/// Pages and JSON answers are compressed for clients that accept it. Files people download go
/// as they are stored, so their sizes, checksums and ranges stay exact.
fn compressible(
    _: axum::http::StatusCode,
    _: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"))
}

/// What the names of a sealed site's files start with (`modelyard-<hash>`, then `.css` or
/// `-main.wasm` and so on); none for a development build, whose names do not change with their
/// content.
fn sealed_prefix(bundle: &str) -> Option<Arc<str>> {
    bundle.contains('-').then(|| Arc::from(bundle))
}

/// How long browsers keep a bundle file: for good when its name carries the content's hash,
/// otherwise only while it is unchanged.
async fn cache_bundle(
    State(prefix): State<Option<Arc<str>>>,
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let sealed = prefix.as_deref().is_some_and(|prefix| {
        request
            .uri()
            .path()
            .trim_start_matches('/')
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(['.', '-']))
    });
    let mut response = next.run(request).await;
    let policy = if sealed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(policy),
    );
    response
}

async fn server_fn_handler(
    State(state): State<AppState>,
    request: Request<Body>,
) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.clone()), request).await
}
