//! Pages over plain HTTP, as a browser without JavaScript sees them: statuses, redirects, the
//! first-admin setup link, and form posts that answer with redirects.

mod common;

use common::{TestServer, default_password};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, LOCATION, REFERER};

const HTML: &str = "text/html,application/xhtml+xml";

fn setup_token(log: &str) -> Option<String> {
    let start = log.rfind("/setup?token=")? + "/setup?token=".len();
    Some(
        log[start..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect(),
    )
}

#[tokio::test]
async fn unknown_page_is_a_404_page() {
    let server = TestServer::start().await;
    let resp = server.anonymous().get("/no/such/page").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body = resp.text().await.expect("body");
    assert!(body.contains("Page not found"), "{body}");
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let server = TestServer::start().await;
    for path in [
        "/models/new",
        "/settings/tokens",
        "/settings/password",
        "/admin/users",
        "/admin/audit",
        "/datasets",
        "/datasets/some-dataset",
    ] {
        let resp = server
            .get(path)
            .header(ACCEPT, HTML)
            .send()
            .await
            .expect("GET");
        assert_eq!(resp.status(), StatusCode::FOUND, "{path}");
        assert_eq!(
            resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
            Some("/login"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn anonymous_visitors_browse_public_models_and_see_only_tabs_they_can_use() {
    let server = TestServer::start().await;
    let token = server.user_with_token("owner", false);
    for (name, visibility) in [
        ("open-model", "public"),
        ("team-model", "internal"),
        ("secret-model", "private"),
    ] {
        server
            .create_model(
                &token,
                serde_json::json!({"name": name, "visibility": visibility}),
            )
            .await;
    }

    let resp = server
        .get("/models")
        .header(ACCEPT, HTML)
        .send()
        .await
        .expect("GET /models");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get(LOCATION).is_none(), "no redirect header");
    // Type-erased views close dynamic text with a `<!>` hydration marker.
    let body = resp.text().await.expect("body").replace("<!>", "");
    assert!(body.contains(">open-model</a>"), "{body}");
    assert!(
        !body.contains("team-model"),
        "internal models need an account"
    );
    assert!(!body.contains("secret-model"));
    assert!(body.contains(r#"href="/login""#), "a sign-in link: {body}");
    assert!(
        !body.contains("New model"),
        "creating a model needs an account"
    );

    let page = server
        .get("/models/open-model")
        .header(ACCEPT, HTML)
        .send()
        .await
        .expect("GET model page");
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().await.expect("body");
    assert!(body.contains(r#"href="/login""#), "{body}");
    for tab in [
        "/models/open-model/settings",
        "/models/open-model/sharing",
        "/models/open-model/activity",
    ] {
        assert!(
            !body.contains(&format!(r#"href="{tab}""#)),
            "{tab} is not offered: {body}"
        );
    }
    assert!(body.contains(r#"href="/models/open-model/versions""#));

    // A signed-in viewer gets Settings (aliases, copying) and Sharing.
    let cookie = server
        .login_cookie("owner", &default_password("owner"))
        .await;
    let page = server
        .with_cookie(server.get("/models/open-model"), &cookie)
        .header(ACCEPT, HTML)
        .send()
        .await
        .expect("GET model page signed in");
    let body = page.text().await.expect("body");
    assert!(
        body.contains(r#"href="/models/open-model/settings""#),
        "{body}"
    );
    assert!(body.contains("Sign out"));
}

#[tokio::test]
async fn setup_link_creates_the_first_admin_once() {
    let server = TestServer::start().await;
    let token = setup_token(&server.log()).expect("the log names a setup link");
    assert_eq!(token.len(), 64);

    let page = server
        .anonymous()
        .get(&format!("/setup?token={token}"))
        .await;
    let body = page.text().await.expect("body");
    assert!(body.contains("Create admin"), "{body}");
    let bad = server.anonymous().get("/setup?token=0000").await;
    assert!(
        bad.text()
            .await
            .expect("body")
            .contains("This setup link is not valid")
    );

    let form = |password: &str, confirm: &str| {
        [
            ("token", token.clone()),
            ("username", "root".to_owned()),
            ("display_name", "Root".to_owned()),
            ("password", password.to_owned()),
            ("confirm_password", confirm.to_owned()),
        ]
    };
    let referer = server.url(&format!("/setup?token={token}"));
    // Submitted as the setup page's form is, without JavaScript.
    let submit = |password: &str, confirm: &str| {
        server
            .post("/fn/complete_setup")
            .header(ACCEPT, HTML)
            .header(REFERER, &referer)
            .form(&form(password, confirm))
            .send()
    };
    let mismatch = submit("long enough 1", "long enough 2")
        .await
        .expect("POST");
    // Without JavaScript the browser is sent back to the form with the error in the address.
    assert_eq!(mismatch.status(), StatusCode::FOUND);
    let back = mismatch.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(back.contains("__err="), "{back}");
    let back_path = back.trim_start_matches(&server.origin()).to_owned();
    let shown = server
        .anonymous()
        .get(&back_path)
        .await
        .text()
        .await
        .expect("body");
    assert!(
        shown.contains("The two passwords are not the same."),
        "{shown}"
    );

    let done = submit("long enough 1", "long enough 1")
        .await
        .expect("POST");
    assert_eq!(done.status(), StatusCode::FOUND);
    assert_eq!(done.headers()[LOCATION], "/login?setup=done");
    server.login_cookie("root", "long enough 1").await;

    let again = server
        .post("/fn/complete_setup")
        .form(&form("another password", "another password"))
        .send()
        .await
        .expect("POST");
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    let body = again.text().await.expect("body");
    assert!(body.contains("SETUP_LINK_INVALID"), "{body}");
}

#[tokio::test]
async fn token_created_without_javascript_is_shown_exactly_once() {
    let server = TestServer::start().await;
    server.add_user("nojs", &default_password("nojs"), false);
    let cookie = server.login_cookie("nojs", &default_password("nojs")).await;
    let created = server
        .with_cookie(server.post("/fn/create_token"), &cookie)
        .header(ACCEPT, HTML)
        .header(REFERER, server.url("/settings/tokens"))
        .form(&[("name", "laptop"), ("expires_in_days", "")])
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), StatusCode::FOUND);
    let page = |server: &TestServer| {
        server
            .with_cookie(server.get("/settings/tokens"), &cookie)
            .send()
    };
    let first = page(&server)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(first.contains("Copy this token now"), "{first}");
    let shown = first
        .split("data-testid=\"new-token\"")
        .nth(1)
        .and_then(|rest| rest.split("myd_").nth(1))
        .map(|rest| {
            let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            format!("myd_{hex}")
        })
        .expect("the page shows the new token");
    assert_eq!(shown.len(), 4 + 48, "{shown}");
    // The secret shown is a working token.
    let me = server.as_user(&shown).get("/api/v1/me").await;
    assert_eq!(me.status(), StatusCode::OK);

    let second = page(&server)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(!second.contains("Copy this token now"));
    assert!(!second.contains(&shown), "the secret is shown only once");
    assert!(second.contains("laptop"), "the token is still listed");
}

#[tokio::test]
async fn class_labels_are_shown_and_edited_on_the_pages() {
    let server = TestServer::start().await;
    let token = server.user_with_token("labeler", false);
    let model = server
        .create_model(
            &token,
            serde_json::json!({"name": "churn", "target_type": "binary", "class_labels": ["stays", "leaves"]}),
        )
        .await;
    let cookie = server
        .login_cookie("labeler", &default_password("labeler"))
        .await;
    let overview = |server: &TestServer| {
        server
            .with_cookie(server.get("/models/churn"), &cookie)
            .send()
    };
    let html = overview(&server)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let labels = html
        .split("data-testid=\"class-labels\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("the overview lists the class labels")
        .replace("<!>", "");
    assert!(labels.contains("Class labels (2)"), "{labels}");
    assert!(
        labels.contains(">stays</span>") && labels.contains(">leaves</span>"),
        "{labels}"
    );

    let edit = server
        .with_cookie(server.get("/models/churn/edit"), &cookie)
        .send()
        .await
        .expect("GET edit")
        .text()
        .await
        .expect("body");
    assert!(
        edit.contains("stays\nleaves"),
        "the form holds one label per line: {edit}"
    );

    // Labels may hold commas; one per line, blank lines dropped.
    let id = model["id"].as_str().expect("id").to_owned();
    let resp = server
        .with_cookie(server.post("/fn/update_model"), &cookie)
        .header(ACCEPT, HTML)
        .header(REFERER, server.url("/models/churn/edit"))
        .form(&[
            ("key", id.as_str()),
            ("form[name]", "churn"),
            ("form[target_type]", "binary"),
            ("form[class_labels]", "stays, for now\n\n  leaves  \n"),
        ])
        .send()
        .await
        .expect("POST update_model");
    assert_eq!(resp.status(), StatusCode::FOUND);
    let api = server.get_json("/api/v1/models/churn", &token).await;
    assert_eq!(
        api["class_labels"],
        serde_json::json!(["stays, for now", "leaves"])
    );
}

#[tokio::test]
async fn a_refused_form_comes_back_filled_in_without_javascript() {
    let server = TestServer::start().await;
    let token = server.user_with_token("typist", false);
    server
        .create_model(&token, serde_json::json!({"name": "taken"}))
        .await;
    let cookie = server
        .login_cookie("typist", &default_password("typist"))
        .await;
    let resp = server
        .with_cookie(server.post("/fn/create_model"), &cookie)
        .header(ACCEPT, HTML)
        .header(REFERER, server.url("/models/new"))
        .form(&[
            ("form[name]", "taken"),
            ("form[description]", "Scores churn <weekly>"),
            ("form[target_type]", "binary"),
            ("form[tags]", "tabular, churn"),
            ("form[class_labels]", "stays\nleaves"),
            ("form[visibility]", "internal"),
            ("form[readme]", "# Card\n\nKept & sound"),
        ])
        .send()
        .await
        .expect("POST create_model");
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("back to the form")
        .trim_start_matches(&server.origin())
        .to_owned();
    assert!(location.starts_with("/models/new?"), "{location}");
    let page = server
        .with_cookie(server.get(&location), &cookie)
        .send()
        .await
        .expect("GET the form again")
        .text()
        .await
        .expect("body")
        .replace("<!>", "");
    assert!(page.contains("already"), "the refusal is shown: {page}");
    assert!(page.contains(r#"value="taken""#), "{page}");
    assert!(
        page.contains(r#"value="Scores churn &lt;weekly&gt;""#),
        "{page}"
    );
    assert!(page.contains(r#"value="tabular, churn""#), "{page}");
    assert!(
        page.contains(r#"<option value="binary" selected"#),
        "{page}"
    );
    assert!(
        page.contains(r#"<option value="internal" selected"#),
        "{page}"
    );
    assert!(page.contains("stays\nleaves</textarea>"), "{page}");
    assert!(
        page.contains("# Card\n\nKept &amp; sound</textarea>"),
        "{page}"
    );
    assert!(
        !page.contains("/api/v1"),
        "messages are written for the page: {page}"
    );

    // Once it succeeds, nothing typed earlier lingers in the address.
    let resp = server
        .with_cookie(server.post("/fn/create_model"), &cookie)
        .header(ACCEPT, HTML)
        .header(REFERER, server.url(&location))
        .form(&[("form[name]", "fresh"), ("form[visibility]", "private")])
        .send()
        .await
        .expect("POST create_model");
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches(&server.origin())
        .to_owned();
    assert_eq!(location, "/models/fresh");
}

#[tokio::test]
async fn a_refused_upload_form_keeps_what_was_typed_and_asks_for_the_files_again() {
    let server = TestServer::start().await;
    let token = server.user_with_token("uploader", false);
    server
        .create_model(&token, serde_json::json!({"name": "scored"}))
        .await;
    let cookie = server
        .login_cookie("uploader", &default_password("uploader"))
        .await;
    let form = reqwest::multipart::Form::new()
        .text("bump", "major")
        .text("description", "Retrained <weekly>")
        .text("tags", "nightly")
        .text("framework.library_name", "xgboost")
        .text("metrics", r#"[{"key": "auc", "value": }]"#)
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"weights".to_vec()).file_name("model.bin"),
        );
    let resp = server
        .with_cookie(server.post("/models/scored/upload"), &cookie)
        .header(ACCEPT, HTML)
        .multipart(form)
        .send()
        .await
        .expect("POST the upload form");
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("back to the form")
        .to_owned();
    let page = server
        .with_cookie(server.get(&location), &cookie)
        .send()
        .await
        .expect("GET the form again")
        .text()
        .await
        .expect("body")
        .replace("<!>", "");
    assert!(page.contains("choose them again"), "{page}");
    assert!(page.contains("Retrained &lt;weekly></textarea>"), "{page}");
    assert!(page.contains(r#"value="nightly""#), "{page}");
    assert!(page.contains(r#"value="xgboost""#), "{page}");
    assert!(
        page.contains(r#"[{"key": "auc", "value": }]</textarea>"#),
        "{page}"
    );
    assert!(page.contains(r#"value="major" checked"#), "{page}");
    assert!(!page.contains("/api/v1/openapi.json"), "{page}");
    let versions = server
        .get_json("/api/v1/models/scored/versions", &token)
        .await;
    assert_eq!(versions["total_count"], 0, "nothing was created");
}

#[tokio::test]
async fn model_card_is_rendered_sanitized() {
    let server = TestServer::start().await;
    let token = server.user_with_token("carol", false);
    server
        .create_model(
            &token,
            serde_json::json!({
                "name": "carded",
                "visibility": "public",
                "readme": "# Card title\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"
            }),
        )
        .await;
    let page = server.anonymous().get("/models/carded").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("body");
    let card = html
        .split("data-testid=\"model-card\"")
        .nth(1)
        .and_then(|rest| rest.split("</article>").next())
        .expect("the page has the card");
    assert!(card.contains("<h2>Card title</h2>"), "{card}");
    assert!(!card.contains("<script"), "{card}");
    assert!(!card.contains("onerror"), "{card}");
}

#[tokio::test]
async fn private_models_are_not_found_even_for_visitors_who_are_not_signed_in() {
    let server = TestServer::start().await;
    let token = server.user_with_token("owen", false);
    for (name, visibility) in [("hidden", "private"), ("shown", "public")] {
        server
            .create_model(
                &token,
                serde_json::json!({"name": name, "visibility": visibility}),
            )
            .await;
    }
    let page = |path: &str, cookie: Option<&str>| {
        let request = server.get(path).header(ACCEPT, HTML);
        match cookie {
            Some(cookie) => server.with_cookie(request, cookie),
            None => request,
        }
        .send()
    };

    // A private model looks exactly like one that does not exist: a 404 page, with a way to
    // sign in for visitors who are not signed in.
    for path in [
        "/models/hidden",
        "/models/hidden/versions",
        "/models/hidden/versions/0.1.0",
        "/models/hidden/settings",
        "/models/hidden/sharing",
        "/models/hidden/activity",
        "/models/nothing-here",
    ] {
        let resp = page(path, None).await.expect("GET");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        let body = resp.text().await.expect("body");
        assert!(body.contains("not found"), "{path}: {body}");
        assert!(
            body.contains(r#"<a href="/login" class="link">sign in</a>"#),
            "{path}: {body}"
        );
    }

    // A public model is shown read-only; its grants need a signed-in visitor.
    let shown = page("/models/shown", None).await.expect("GET");
    assert_eq!(shown.status(), StatusCode::OK);
    // Type-erased views close dynamic text with a `<!>` marker for hydration; the heading's text
    // is what a visitor reads.
    let body = shown.text().await.expect("body");
    assert!(body.replace("<!>", "").contains(">shown</h1>"), "{body}");
    assert!(!body.contains("Upload version"), "{body}");
    assert!(!body.contains("/models/shown/sharing"), "{body}");
    let sharing = page("/models/shown/sharing", None).await.expect("GET");
    assert_eq!(sharing.status(), StatusCode::FOUND);
    assert_eq!(sharing.headers()[LOCATION], "/login");

    // Signed in without a grant, it is still not found, and there is nothing to sign in to.
    server.add_user("nina", &default_password("nina"), false);
    let cookie = server.login_cookie("nina", &default_password("nina")).await;
    let resp = page("/models/hidden", Some(&cookie)).await.expect("GET");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body = resp.text().await.expect("body");
    assert!(!body.contains(">sign in</a>"), "{body}");
    // The owner sees the model with the tabs only owners get.
    let owner = server.login_cookie("owen", &default_password("owen")).await;
    let resp = page("/models/hidden", Some(&owner)).await.expect("GET");
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.text().await.expect("body");
    assert!(body.contains(r#"href="/models/hidden/sharing""#), "{body}");
    assert!(body.contains(r#"href="/models/hidden/activity""#), "{body}");
}

#[tokio::test]
async fn the_admin_console_is_a_403_page_for_everyone_but_admins() {
    let server = TestServer::start().await;
    server.add_user("root", &default_password("root"), true);
    server.add_user("mallory", &default_password("mallory"), false);
    let admin = server.login_cookie("root", &default_password("root")).await;
    let user = server
        .login_cookie("mallory", &default_password("mallory"))
        .await;
    let page = |path: &str, cookie: &str| {
        server
            .with_cookie(server.get(path).header(ACCEPT, HTML), cookie)
            .send()
    };
    for path in [
        "/admin/users",
        "/admin/teams",
        "/admin/tokens",
        "/admin/limits",
        "/admin/audit",
    ] {
        let refused = page(path, &user).await.expect("GET");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        let body = refused.text().await.expect("body");
        assert!(
            body.contains("Only admins may use the admin console."),
            "{path}: {body}"
        );
        let allowed = page(path, &admin).await.expect("GET");
        assert_eq!(allowed.status(), StatusCode::OK, "{path}");
    }
    let users = page("/admin/users", &admin)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(users.contains("mallory"), "{users}");
    let start = page("/admin", &admin).await.expect("GET");
    assert_eq!(start.status(), StatusCode::FOUND);
    assert_eq!(start.headers()[LOCATION], "/admin/users");
}
