//! A refused form comes back filled in, also without JavaScript. A plain form post to a server
//! function that fails is answered with a redirect back to the form, the error in its address
//! (`__err`); here the fields the person typed ride along as `__in.<field>` parameters, which
//! the form's inputs start from ([`crate::domain::error::KEPT_INPUT_PREFIX`]). Secrets never do:
//! passwords and tokens are typed again. Long values are left out so the address stays short.

use crate::domain::error::KEPT_INPUT_PREFIX;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

/// The longest value kept, and the most bytes kept in all.
const MAX_VALUE_BYTES: usize = 16 * 1024;
const MAX_TOTAL_BYTES: usize = 48 * 1024;

/// Fields whose values are never put in an address.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "token", "secret"]
        .iter()
        .any(|word| name.contains(word))
}

fn is_plain_form_post(request: &Request) -> bool {
    let header_has = |name: header::HeaderName, needle: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(needle))
    };
    request.method() == Method::POST
        && header_has(header::ACCEPT, "text/html")
        && header_has(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

/// The fields worth keeping, in the order they were sent.
fn kept_fields(body: &[u8]) -> Vec<(String, String)> {
    keep(form_urlencoded::parse(body).into_owned())
}

/// Of the fields a refused form sent, those that may ride back in its address: no secrets, no
/// long values, and no more than [`MAX_TOTAL_BYTES`] in all.
pub fn keep(fields: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut total = 0;
    fields
        .into_iter()
        .filter(|(name, value)| !is_secret(name) && value.len() <= MAX_VALUE_BYTES)
        .filter(|(name, value)| {
            total += name.len() + value.len();
            total <= MAX_TOTAL_BYTES
        })
        .collect()
}

/// `fields` as the query parameters a form page reads them back from (`__in.<name>=<value>`).
pub fn append_kept(out: &mut form_urlencoded::Serializer<'_, String>, fields: &[(String, String)]) {
    for (k, v) in fields {
        out.append_pair(&format!("{KEPT_INPUT_PREFIX}{k}"), v);
    }
}

/// `location` without kept fields of an earlier refusal, and with `fields` when it carries an
/// error.
fn rewrite_location(location: &str, fields: &[(String, String)]) -> String {
    let (path, query) = location.split_once('?').unwrap_or((location, ""));
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| !k.starts_with(KEPT_INPUT_PREFIX))
        .collect();
    let refused = pairs.iter().any(|(k, _)| k == "__err");
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        out.append_pair(k, v);
    }
    if refused {
        append_kept(&mut out, fields);
    }
    let query = out.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// Middleware for the server functions' routes: carries a plain form's fields back to the form
/// when the post is refused. Inside the body limit, which has refused anything longer.
pub async fn keep_refused_input(
    State(max_body_bytes): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    if !is_plain_form_post(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, max_body_bytes).await else {
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    let fields = kept_fields(&bytes);
    let mut response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let rewritten = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|location| rewrite_location(location, &fields));
    if let Some(value) = rewritten.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_carries_the_typed_fields_but_no_secrets() {
        let fields = kept_fields(
            b"form%5Bname%5D=churn+model&password=hunter2&form%5Bdescription%5D=&api_token=x&tags=a%2Cb",
        );
        assert_eq!(
            fields,
            [
                ("form[name]".to_owned(), "churn model".to_owned()),
                ("form[description]".to_owned(), String::new()),
                ("tags".to_owned(), "a,b".to_owned())
            ]
        );
        let location = rewrite_location("/models/new?__path=%2Ffn%2Fx&__err=abc", &fields[..1]);
        assert_eq!(
            location,
            "/models/new?__path=%2Ffn%2Fx&__err=abc&__in.form%5Bname%5D=churn+model"
        );
    }

    #[test]
    fn a_later_success_drops_what_an_earlier_refusal_kept() {
        let fields = vec![("alias".to_owned(), "prod".to_owned())];
        assert_eq!(
            rewrite_location("/models/m/settings?__in.alias=old&history=prod", &fields),
            "/models/m/settings?history=prod"
        );
        assert_eq!(rewrite_location("/models/m", &fields), "/models/m");
    }

    #[test]
    fn long_values_stay_out_of_the_address() {
        let long = format!("readme={}&name=x", "r".repeat(MAX_VALUE_BYTES + 1));
        assert_eq!(
            kept_fields(long.as_bytes()),
            [("name".to_owned(), "x".to_owned())]
        );
    }
}
