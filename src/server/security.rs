//! What every response tells the browser to protect users: a Content-Security-Policy (pages may
//! run only their own scripts and the ones carrying this render's nonce; anything else may run
//! nothing), no framing, no MIME sniffing, no referrer to other sites, and `Secure` cookies
//! whenever the app is reached over https.

use crate::server::state::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of everything that is not a page (REST answers, server functions, downloads, the
/// static bundles): such a response, opened in a browser, may load and run nothing.
pub const NON_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy of a page rendered with this nonce. Scripts run only from this origin or inline
/// with the nonce (the hydration script); the WASM may be compiled; styles may be inline (style
/// attributes cannot run script); images may come from any https site, so model cards can show
/// the badges and diagrams they link to.
pub fn page_csp(nonce: &str, live_reload: bool) -> String {
    // `cargo leptos watch` reloads pages through a websocket on another port.
    let reload = if live_reload { " ws: wss:" } else { "" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; \
         connect-src 'self'{reload}; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sets the page policy for the page being rendered; called by the shell, where the render's
/// nonce is known.
pub fn send_page_csp() {
    use leptos::prelude::use_context;
    // leptos_axum makes a nonce for every page render (the `nonce` feature, on for `ssr`).
    let Some(nonce) = leptos::nonce::use_nonce() else {
        tracing::error!("a page rendered without a nonce; its scripts will be refused");
        return;
    };
    let live_reload = std::env::var_os("LEPTOS_WATCH").is_some();
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&page_csp(&nonce, live_reload)),
    ) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

/// Wraps the whole app (routes and fallback) in the headers above.
pub fn harden(router: Router<AppState>, state: AppState) -> Router<AppState> {
    let always = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    router
        .layer(from_fn_with_state(state, secure_cookies_over_https))
        // Pages set their own policy, with their nonce.
        .layer(SetResponseHeaderLayer::if_not_present(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NON_PAGE_CSP),
        ))
        .layer(always(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(always(X_FRAME_OPTIONS, "DENY"))
        // Other sites never learn which models or pages were open; the app's own requests
        // still carry it (the same-origin check reads it when Origin is missing).
        .layer(always(REFERRER_POLICY, "same-origin"))
}

/// Marks every cookie `Secure` when the app is reached over https: the configured public URL
/// says so, or the request came through a proxy that says so (`X-Forwarded-Proto: https` or
/// `Forwarded: proto=https`). Believing the proxy header is safe: it can only add `Secure`, and a
/// client that fakes it over plain http just gets a cookie its browser will not send back.
async fn secure_cookies_over_https(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let https = state.settings.secure_cookies || forwarded_https(request.headers());
    let mut response = next.run(request).await;
    if https && response.headers().contains_key(SET_COOKIE) {
        let headers = response.headers_mut();
        let cookies: Vec<HeaderValue> = headers.get_all(SET_COOKIE).iter().cloned().collect();
        headers.remove(SET_COOKIE);
        for cookie in cookies {
            headers.append(SET_COOKIE, with_secure(cookie));
        }
    }
    response
}

fn with_secure(cookie: HeaderValue) -> HeaderValue {
    let Ok(text) = cookie.to_str() else {
        return cookie;
    };
    let already = text
        .split(';')
        .skip(1)
        .any(|attribute| attribute.trim().eq_ignore_ascii_case("secure"));
    if already {
        return cookie;
    }
    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
}

/// Whether the client-facing hop was https, as the nearest proxy reports it. Each proxy appends
/// to these headers, so the first entry names the original request.
fn forwarded_https(headers: &HeaderMap) -> bool {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
    };
    let x_forwarded = first("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let forwarded = first("forwarded").is_some_and(|element| {
        element.split(';').any(|pair| {
            pair.trim().split_once('=').is_some_and(|(key, value)| {
                key.trim().eq_ignore_ascii_case("proto")
                    && value.trim().trim_matches('"').eq_ignore_ascii_case("https")
            })
        })
    });
    x_forwarded || forwarded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn https_is_read_from_the_first_proxy_entry() {
        assert!(forwarded_https(&headers(&[("x-forwarded-proto", "https")])));
        assert!(forwarded_https(&headers(&[(
            "x-forwarded-proto",
            "HTTPS, http"
        )])));
        assert!(!forwarded_https(&headers(&[(
            "x-forwarded-proto",
            "http, https"
        )])));
        assert!(forwarded_https(&headers(&[(
            "forwarded",
            "for=192.0.2.1;proto=https;host=models.example.com"
        )])));
        assert!(forwarded_https(&headers(&[(
            "forwarded",
            "proto=\"https\""
        )])));
        assert!(!forwarded_https(&headers(&[(
            "forwarded",
            "for=192.0.2.1;proto=http, for=10.0.0.1;proto=https"
        )])));
        assert!(!forwarded_https(&headers(&[])));
    }

    #[test]
    fn secure_is_added_once() {
        let plain = HeaderValue::from_static("a=1; HttpOnly; Path=/");
        assert_eq!(with_secure(plain), "a=1; HttpOnly; Path=/; Secure");
        let already = HeaderValue::from_static("a=1; secure; Path=/");
        assert_eq!(with_secure(already), "a=1; secure; Path=/");
        // A value named "secure" is not the attribute.
        let value = HeaderValue::from_static("secure=1");
        assert_eq!(with_secure(value), "secure=1; Secure");
    }

    #[test]
    fn page_policy_names_the_nonce_and_allows_no_inline_script_without_it() {
        let csp = page_csp("abc123", false);
        assert!(csp.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        let script_src = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .expect("a script-src directive");
        assert!(!script_src.contains("unsafe-inline"), "{script_src}");
        assert!(!csp.contains("ws:"));
        assert!(page_csp("n", true).contains("connect-src 'self' ws: wss:;"));
    }
}
