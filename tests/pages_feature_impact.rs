//! Feature impact on the pages, as a browser without JavaScript gets them: the version page's
//! chart is SVG in the served HTML, "Show all" is a link the server renders, and the comparison
//! page shows both versions' impacts.

mod common;

use common::{TestServer, default_password, expect_json};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `f00` … `f{n-1}`, most important first (f00 has 30, f01 29, …).
fn features(n: usize) -> Value {
    let entries: Vec<Value> = (0..n)
        .map(
            |i| json!({"feature_name": format!("f{i:02}"), "impact_unnormalized": (30 - i) as f64}),
        )
        .collect();
    json!({"feature_impacts": entries, "shap_based": true})
}

/// alice's private model `housing` with two published versions; 0.1.0 has 30 imported features.
async fn setup() -> (TestServer, String, String) {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(&token, json!({"name": "housing"}))
        .await;
    for _ in 0..2 {
        let created = server
            .as_user(&token)
            .post("/api/v1/models/housing/versions", json!({"publish": true}))
            .await;
        expect_json(created, StatusCode::CREATED).await;
    }
    let imported = server
        .as_user(&token)
        .put(
            "/api/v1/models/housing/versions/0.1.0/feature-impact",
            features(30),
        )
        .await;
    expect_json(imported, StatusCode::OK).await;
    let cookie = server
        .login_cookie("alice", &default_password("alice"))
        .await;
    (server, token, cookie)
}

async fn page(server: &TestServer, cookie: &str, path: &str) -> String {
    let resp = server
        .with_cookie(server.get(path), cookie)
        .send()
        .await
        .expect("GET a page");
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.text().await.expect("the page")
}

/// How many bars (focusable, named groups) the HTML draws for this chart.
fn bar_count(html: &str) -> usize {
    html.matches("aria-label=\"f").count()
}

#[tokio::test]
async fn the_version_page_draws_the_top_features_as_svg_and_all_of_them_on_request() {
    let (server, _token, cookie) = setup().await;

    let html = page(&server, &cookie, "/models/housing/versions/0.1.0").await;
    assert!(html.contains("Feature impact"), "{html}");
    let chart = html
        .find("data-testid=\"feature-impact-chart\"")
        .map(|at| &html[at..])
        .expect("the chart is in the served HTML");
    assert!(chart.contains("<svg"), "{chart}");
    assert!(chart.contains("data-bars=\"25\""), "{chart}");
    assert!(
        chart.contains("aria-label=\"f00: normalized 1.000, unnormalized 30\""),
        "the top feature is named with its values: {chart}"
    );
    assert!(
        chart.find(">f00<") < chart.find(">f01<"),
        "most important first"
    );
    assert_eq!(bar_count(chart), 25);
    assert!(!chart.contains("aria-label=\"f25:"), "only the top 25");
    assert!(
        chart.contains("Imported, SHAP-based"),
        "the caption says how it was made"
    );
    assert!(chart.contains("Show all 30 features"), "{chart}");
    assert!(
        chart.contains("href=\"/models/housing/versions/0.1.0?impact=all#feature-impact\""),
        "{chart}"
    );

    let all = page(
        &server,
        &cookie,
        "/models/housing/versions/0.1.0?impact=all",
    )
    .await;
    let chart = &all[all
        .find("data-testid=\"feature-impact-chart\"")
        .expect("the chart")..];
    assert!(chart.contains("data-bars=\"30\""), "{chart}");
    assert_eq!(bar_count(chart), 30);
    assert!(chart.contains("aria-label=\"f29: normalized 0.033, unnormalized 1\""));
    assert!(chart.contains("Show the top 25 only"), "{chart}");

    // The other version has none yet; its owner is told how to add one.
    let empty = page(&server, &cookie, "/models/housing/versions/0.2.0").await;
    assert!(empty.contains("No feature impact yet"), "{empty}");
    assert!(
        empty.contains("PUT /api/v1/models/housing/versions/0.2.0/feature-impact"),
        "{empty}"
    );
    assert!(!empty.contains("data-testid=\"feature-impact-chart\""));
}

#[tokio::test]
async fn the_comparison_page_sets_both_versions_feature_impacts_side_by_side() {
    let (server, token, cookie) = setup().await;
    let only_a = page(&server, &cookie, "/models/housing/compare?a=0.1.0&b=0.2.0").await;
    assert!(
        only_a.contains("Version 0.2.0 has no feature impact yet."),
        "{only_a}"
    );

    let mut b = features(3);
    b["feature_impacts"][0]["feature_name"] = json!("f02");
    b["feature_impacts"][2]["feature_name"] = json!("extra");
    let imported = server
        .as_user(&token)
        .put("/api/v1/models/housing/versions/0.2.0/feature-impact", b)
        .await;
    expect_json(imported, StatusCode::OK).await;

    let html = page(&server, &cookie, "/models/housing/compare?a=0.1.0&b=0.2.0").await;
    let chart = &html[html
        .find("data-testid=\"feature-impact-compare-chart\"")
        .expect("the comparison chart")..];
    assert!(chart.contains("<svg"), "{chart}");
    assert!(
        chart.contains("aria-label=\"f02 in 0.1.0: normalized 0.933, unnormalized 28\""),
        "{chart}"
    );
    assert!(
        chart.contains("aria-label=\"f02 in 0.2.0: normalized 1.000, unnormalized 30\""),
        "{chart}"
    );
    assert!(chart.contains("not in 0.2.0"), "f03 and later are A's only");
    assert!(chart.contains("data-rows=\"25\""), "{chart}");
    assert!(chart.contains("Show all 31 features"), "{chart}");
    assert!(html.contains("Top features changed"), "{html}");

    // The feature only B has comes after all of A's, so it shows when all are asked for.
    let extra =
        "aria-label=\"extra in 0.2.0: normalized 0.933, unnormalized 28 (only 0.2.0 has it)\"";
    assert!(!chart.contains(extra));
    let all = page(
        &server,
        &cookie,
        "/models/housing/compare?a=0.1.0&b=0.2.0&impact=all",
    )
    .await;
    assert!(all.contains("data-rows=\"31\""), "{all}");
    assert!(all.contains(extra), "{all}");
}
