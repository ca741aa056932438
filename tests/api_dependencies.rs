//! A version's dependencies, read from its requirements.txt and its environment's pip packages.

mod common;

use common::{expect_json, file_url, server_with_model, version_url};
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Dependencies

/// The dependency entry for `package`, panicking when there is none.
fn dependency<'a>(version: &'a Value, package: &str) -> &'a Value {
    version["dependencies"]
        .as_array()
        .unwrap_or_else(|| panic!("`dependencies` should be an array in {version}"))
        .iter()
        .find(|d| d["package_name"] == package)
        .unwrap_or_else(|| panic!("no dependency {package} in {}", version["dependencies"]))
}

#[tokio::test]
async fn requirements_txt_becomes_dependencies_and_bad_lines_are_reported() {
    let (server, token) = server_with_model("deps").await;
    let requirements = "# Core numerical stack\n\
numpy>=1.26,<2.0\n\
pandas[excel,performance]==2.2.1\n\
\n\
scikit-learn\n\
this is not a requirement!\n";

    let version = server
        .upload_version_with(
            &token,
            "deps",
            &[],
            &[
                ("requirements.txt", requirements.as_bytes()),
                ("model.pkl", b"pickle"),
            ],
        )
        .await;

    let numpy = dependency(&version, "numpy");
    assert_eq!(numpy["extras"], json!([]));
    assert_eq!(
        numpy["constraints"],
        json!([
            {"constraint_type": ">=", "version": "1.26"},
            {"constraint_type": "<", "version": "2.0"}
        ])
    );
    assert_eq!(numpy["line"], "numpy>=1.26,<2.0");
    assert_eq!(numpy["line_number"], 2);

    let pandas = dependency(&version, "pandas");
    assert_eq!(pandas["extras"], json!(["excel", "performance"]));
    assert_eq!(
        pandas["constraints"],
        json!([{"constraint_type": "==", "version": "2.2.1"}])
    );
    assert_eq!(pandas["line"], "pandas[excel,performance]==2.2.1");
    assert_eq!(pandas["line_number"], 3);

    let sklearn = dependency(&version, "scikit-learn");
    assert_eq!(sklearn["constraints"], json!([]));
    assert_eq!(sklearn["line_number"], 5);

    assert_eq!(
        version["dependencies"].as_array().map(Vec::len),
        Some(3),
        "comments, blank and bad lines are not dependencies: {}",
        version["dependencies"]
    );
    let unparsed = version["unparsed_dependencies"]
        .as_array()
        .unwrap_or_else(|| panic!("`unparsed_dependencies` should be an array in {version}"));
    let bad = unparsed
        .iter()
        .find(|u| u["line_number"] == 6)
        .unwrap_or_else(|| panic!("the bad line should be reported: {unparsed:?}"));
    assert_eq!(bad["line"], "this is not a requirement!");

    // The same from GET.
    let fetched = server.get_version(&token, "deps", "0.1.0").await;
    assert_eq!(fetched["dependencies"], version["dependencies"]);
    assert_eq!(
        fetched["unparsed_dependencies"],
        version["unparsed_dependencies"]
    );
}

#[tokio::test]
async fn pip_packages_become_dependencies_too() {
    let (server, token) = server_with_model("pip").await;

    let version = server
        .create_version(
            &token,
            "pip",
            json!({"environment": {
                "python_version": "3.11",
                "pip_packages": ["torch==2.3.0", "transformers[torch]>=4.40", "%%% nonsense"]
            }}),
        )
        .await;

    let torch = dependency(&version, "torch");
    assert_eq!(
        torch["constraints"],
        json!([{"constraint_type": "==", "version": "2.3.0"}])
    );
    let transformers = dependency(&version, "transformers");
    assert_eq!(transformers["extras"], json!(["torch"]));
    assert_eq!(
        transformers["constraints"],
        json!([{"constraint_type": ">=", "version": "4.40"}])
    );
    let unparsed = version["unparsed_dependencies"].to_string();
    assert!(unparsed.contains("%%% nonsense"), "{unparsed}");

    // Changing the environment re-reads the packages.
    let resp = server
        .as_user(&token)
        .patch(
            &version_url("pip", "0.1.0"),
            json!({"environment": {"pip_packages": ["lightgbm<5"]}}),
        )
        .await;
    let patched = expect_json(resp, StatusCode::OK).await;
    assert_eq!(
        patched["dependencies"].as_array().map(|d| d
            .iter()
            .map(|d| d["package_name"].clone())
            .collect::<Vec<_>>()),
        Some(vec![json!("lightgbm")])
    );
}

#[tokio::test]
async fn writing_requirements_txt_to_a_draft_updates_the_dependencies() {
    let (server, token) = server_with_model("evolving").await;
    server.create_version(&token, "evolving", json!({})).await;

    let resp = server
        .put_file(
            &token,
            "evolving",
            "0.1.0",
            "requirements.txt",
            b"requests>=2\n",
        )
        .await;
    expect_json(resp, StatusCode::CREATED).await;
    let version = server.get_version(&token, "evolving", "0.1.0").await;
    assert_eq!(dependency(&version, "requests")["line_number"], 1);

    let resp = server
        .as_user(&token)
        .delete(&file_url("evolving", "0.1.0", "requirements.txt"))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let version = server.get_version(&token, "evolving", "0.1.0").await;
    assert_eq!(version["dependencies"], json!([]), "{version}");
}
