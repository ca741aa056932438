//! Two versions of a model side by side. The choice is a plain GET form (`?a=…&b=…`), so any
//! comparison can be linked and works without JavaScript.

use crate::api::feature_impact::get_feature_impact;
use crate::api::models::get_model;
use crate::api::versions::{compare_model_versions, list_model_versions};
use crate::components::charts::feature_impact_compare_chart::FeatureImpactCompareChart;
use crate::components::data_table::{Column, DataTable, TableStyle};
use crate::components::file_tree::format_bytes;
use crate::components::layout::use_current_user;
use crate::components::metric_chart::format_value;
use crate::components::model_tabs::{ModelHeader, ModelTab, is_signed_in, load_error_view};
use crate::components::version_badges::VersionBadges;
use crate::domain::compare::{
    Change, RankMovement, TOP_RANKED, VersionComparison, compare_feature_impacts,
};
use crate::domain::error::ApiError;
use crate::domain::feature_impact::FeatureImpact;
use crate::domain::model::Model;
use crate::domain::paging::MAX_LIMIT;
use crate::domain::version::Version;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

/// What the page needs: the versions to choose from, the choice, and the comparison when the
/// choice names two different versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CompareData {
    versions: Vec<Version>,
    a: String,
    b: String,
    comparison: Option<VersionComparison>,
    /// Each version's feature impact, when they are compared and have one.
    impact_a: Option<FeatureImpact>,
    impact_b: Option<FeatureImpact>,
}

/// Without a choice, the version before `b` against `b`; `b` defaults to the newest.
fn default_pair(versions: &[Version], a: Option<String>, b: Option<String>) -> (String, String) {
    let numbers: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
    let b = b.unwrap_or_else(|| numbers.first().map(|s| (*s).to_owned()).unwrap_or_default());
    let a = a.unwrap_or_else(|| {
        // Newest first: the next entry after `b` is the one before it.
        let position = numbers.iter().position(|n| *n == b);
        let older = position.and_then(|i| numbers.get(i + 1));
        let other = older.or_else(|| numbers.iter().find(|n| **n != b));
        other.map(|s| (*s).to_owned()).unwrap_or_default()
    });
    (a, b)
}

async fn load(
    model: String,
    a: Option<String>,
    b: Option<String>,
) -> Result<CompareData, ApiError> {
    let versions = list_model_versions(model.clone(), 0, MAX_LIMIT).await?.data;
    let (a, b) = default_pair(&versions, a, b);
    let (comparison, impact_a, impact_b) = if a.is_empty() || b.is_empty() || a == b {
        (None, None, None)
    } else {
        let comparison = compare_model_versions(model.clone(), a.clone(), b.clone()).await?;
        let impact_a = get_feature_impact(model.clone(), a.clone()).await?;
        let impact_b = get_feature_impact(model, b.clone()).await?;
        (Some(comparison), impact_a, impact_b)
    };
    Ok(CompareData {
        versions,
        a,
        b,
        comparison,
        impact_a,
        impact_b,
    })
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let choice = move || {
        query.with(|q| {
            (
                q.get("a").filter(|s| !s.is_empty()),
                q.get("b").filter(|s| !s.is_empty()),
            )
        })
    };
    let model = Resource::new(name, get_model);
    let data = Resource::new(
        move || (name(), choice()),
        |(name, (a, b))| load(name, a, b),
    );
    let user = use_current_user();
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading comparison…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = is_signed_in(user).await;
                let model = match model.await {
                    Ok(view) => view.model,
                    Err(error) => return load_error_view(error, signed_in, "Model not found"),
                };
                let body = match data.await {
                    Ok(data) => view! { <Comparison model=model.clone() data /> }.into_any(),
                    Err(error) => view! { <crate::components::forms::PageError error /> }.into_any(),
                };
                view! {
                    <Title text=format!("Compare · {}", model.name) />
                    <ModelHeader model tab=ModelTab::None />
                    {body}
                }
                .into_any()
            })}
        </Transition>
    }
}

#[component]
fn Comparison(model: Model, data: CompareData) -> impl IntoView {
    if data.versions.len() < 2 {
        return view! {
            <h2 class="mb-3 text-lg font-semibold">"Compare versions"</h2>
            <p class="empty">"Comparing needs at least two versions; this model has fewer."</p>
        }
        .into_any();
    }
    let select = |id: &'static str, label: &'static str, chosen: &str| {
        view! {
            <div>
                <label for=id class="label">{label}</label>
                <select id=id name=id class="input font-mono">
                    {data
                        .versions
                        .iter()
                        .map(|v| {
                            let text = if v.is_primary { format!("{} (primary)", v.version) } else { v.version.clone() };
                            view! { <option value=v.version.clone() selected=v.version == chosen>{text}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
        }
    };
    let result = match data.comparison {
        Some(c) => view! {
            <ComparisonTables model=model.clone() comparison=c impact_a=data.impact_a impact_b=data.impact_b />
        }
        .into_any(),
        None => {
            view! { <p class="empty">"Choose two different versions to compare."</p> }.into_any()
        }
    };
    view! {
        <h2 class="mb-3 text-lg font-semibold">"Compare versions"</h2>
        <form method="get" action=format!("/models/{}/compare", model.name) class="card mb-6 flex flex-wrap items-end gap-4 p-4">
            {select("a", "Version A", &data.a)}
            <span class="pb-2 text-slate-500" aria-hidden="true">"→"</span>
            {select("b", "Version B", &data.b)}
            <button type="submit" class="btn-primary">"Compare"</button>
        </form>
        {result}
    }
    .into_any()
}

fn change_badge(change: Change) -> impl IntoView {
    let class = match change {
        Change::Added => "bg-emerald-100 text-emerald-900",
        Change::Removed => "bg-red-100 text-red-900",
        Change::Changed => "bg-amber-100 text-amber-900",
    };
    view! {
        <span class=format!("inline-block rounded-full px-2 py-0.5 text-xs font-medium {class}")>{change.as_str()}</span>
    }
}

fn delta_view(delta: Option<f64>) -> AnyView {
    match delta {
        None => view! { <span class="text-slate-400">"—"</span> }.into_any(),
        Some(d) if d > 0.0 => view! {
            <span class="font-mono text-emerald-700">
                <span aria-hidden="true">"▲ "</span>
                <span class="sr-only">"up "</span>
                {format!("+{}", format_value(d))}
            </span>
        }
        .into_any(),
        Some(d) if d < 0.0 => view! {
            <span class="font-mono text-red-700">
                <span aria-hidden="true">"▼ "</span>
                <span class="sr-only">"down "</span>
                {format_value(d)}
            </span>
        }
        .into_any(),
        Some(_) => view! { <span class="font-mono text-slate-500">"= 0"</span> }.into_any(),
    }
}

const CELL: &str = "px-4 py-2";
const MONO: &str = "px-4 py-2 font-mono";
const MONO_NAME: &str = "px-4 py-2 break-all font-mono";
const NUMBER: &str = "px-4 py-2 text-right";

/// A value one version lacks shows as a dash.
fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "—".to_owned())
}

/// One part of a comparison: its heading, a note, and the differences as a table, or `empty`
/// (nothing, when not given) where there are none.
#[component]
fn DiffTable(
    /// `{id}-heading` is the heading's id, which names the section.
    id: &'static str,
    title: &'static str,
    /// The table's accessible name.
    label: &'static str,
    columns: Vec<Column>,
    rows: Vec<Vec<AnyView>>,
    #[prop(optional_no_strip)] note: Option<String>,
    #[prop(optional_no_strip)] empty: Option<&'static str>,
    #[prop(optional)] top_aligned: bool,
) -> impl IntoView {
    let heading = format!("{id}-heading");
    let section_name = heading.clone();
    let empty = empty
        .map(|message| view! { <p class="empty">{message}</p> })
        .into_any();
    view! {
        <section class="mb-8" aria-labelledby=section_name>
            <h3 id=heading class="mb-2 text-lg font-semibold">{title}</h3>
            {note.map(|note| view! { <p class="mb-2 text-sm text-slate-600">{note}</p> })}
            <DataTable style=TableStyle::Open label columns rows empty top_aligned />
        </section>
    }
}

#[component]
fn ComparisonTables(
    model: Model,
    comparison: VersionComparison,
    impact_a: Option<FeatureImpact>,
    impact_b: Option<FeatureImpact>,
) -> impl IntoView {
    let VersionComparison {
        a,
        b,
        fields,
        metrics,
        dependencies,
        files,
        unchanged_files,
        signature,
    } = comparison;
    let signature_note = match (&a.signature, &b.signature) {
        (None, None) => Some("Neither version declares a signature."),
        (Some(_), None) => Some("Only version A declares a signature."),
        (None, Some(_)) => Some("Only version B declares a signature."),
        (Some(_), Some(_)) => None,
    };
    let signature_same = (a.signature.is_some() || b.signature.is_some())
        .then_some("The inputs and outputs are the same.");
    let version_head = |v: &Version, side: &'static str| {
        let href = format!("/models/{}/versions/{}", model.name, v.version);
        view! {
            <div class="card p-4">
                <p class="text-xs uppercase tracking-wide text-slate-500">{side}</p>
                <p class="text-xl font-semibold"><a href=href class="link font-mono">{v.version.clone()}</a></p>
                <VersionBadges version=v.clone() />
                <p class="mt-1 text-sm text-slate-600">
                    {format!("{} · {} · by {}", crate::domain::text::counted(v.file_count, "file", "files"), format_bytes(v.total_size), v.created_by)}
                </p>
            </div>
        }
    };
    let (an, bn) = (a.version.clone(), b.version.clone());
    // Each version's column of a table, headed by its number.
    let sides = |cell: &'static str| [Column::new(an.clone(), cell), Column::new(bn.clone(), cell)];
    let [metric_a, metric_b] = sides("px-4 py-2 text-right font-mono").map(Column::right);
    let metric_columns = vec![
        Column::new("Metric", CELL).names_rows(),
        metric_a,
        metric_b,
        Column::new("Change", NUMBER).right(),
    ];
    let metric_rows: Vec<Vec<AnyView>> = metrics
        .into_iter()
        .map(|m| {
            vec![
                m.key.into_any(),
                or_dash(m.a.map(format_value)).into_any(),
                or_dash(m.b.map(format_value)).into_any(),
                delta_view(m.delta),
            ]
        })
        .collect();
    let mut signature_columns = vec![
        Column::new("Name", MONO_NAME).names_rows(),
        Column::new("Kind", CELL),
        Column::new("Change", CELL),
    ];
    signature_columns.extend(sides(MONO));
    let signature_rows: Vec<Vec<AnyView>> = signature
        .into_iter()
        .map(|d| {
            vec![
                d.name.into_any(),
                d.side.as_str().into_any(),
                change_badge(d.change).into_any(),
                or_dash(d.a).into_any(),
                or_dash(d.b).into_any(),
            ]
        })
        .collect();
    let mut dependency_columns = vec![
        Column::new("Package", MONO).names_rows(),
        Column::new("Change", CELL),
    ];
    dependency_columns.extend(sides(MONO));
    let dependency_rows: Vec<Vec<AnyView>> = dependencies
        .into_iter()
        .map(|d| {
            vec![
                d.package.into_any(),
                change_badge(d.change).into_any(),
                or_dash(d.a).into_any(),
                or_dash(d.b).into_any(),
            ]
        })
        .collect();
    let mut file_columns = vec![
        Column::new("Path", MONO_NAME).names_rows(),
        Column::new("Change", CELL),
    ];
    file_columns.extend(sides(NUMBER).map(Column::right));
    let file_rows: Vec<Vec<AnyView>> = files
        .into_iter()
        .map(|f| {
            vec![
                f.path.into_any(),
                change_badge(f.change).into_any(),
                or_dash(f.a_size.map(format_bytes)).into_any(),
                or_dash(f.b_size.map(format_bytes)).into_any(),
            ]
        })
        .collect();
    let unchanged = match unchanged_files {
        1 => "1 file is identical in both versions.".to_owned(),
        n => format!("{n} files are identical in both versions."),
    };
    let mut field_columns = vec![Column::new("Field", MONO).names_rows()];
    field_columns.extend(sides("px-4 py-2 break-all"));
    let field_rows: Vec<Vec<AnyView>> = fields
        .into_iter()
        .map(|f| vec![f.field.into_any(), f.a.into_any(), f.b.into_any()])
        .collect();
    view! {
        <div class="mb-6 grid gap-4 sm:grid-cols-2">
            {version_head(&a, "Version A")}
            {version_head(&b, "Version B")}
        </div>
        <DiffTable
            id="metric-diff"
            title="Metrics"
            label="Metric differences"
            columns=metric_columns
            rows=metric_rows
            empty=Some("Neither version has metrics.")
        />
        <FeatureImpactSection a=an.clone() b=bn.clone() impact_a impact_b />
        <DiffTable
            id="signature-diff"
            title="Signature"
            label="Signature differences"
            columns=signature_columns
            rows=signature_rows
            note=signature_note.map(str::to_owned)
            empty=signature_same
        />
        <DiffTable
            id="dependency-diff"
            title="Dependencies"
            label="Dependency differences"
            columns=dependency_columns
            rows=dependency_rows
            empty=Some("The dependencies are the same.")
        />
        <DiffTable
            id="file-diff"
            title="Files"
            label="File differences"
            columns=file_columns
            rows=file_rows
            note=Some(unchanged)
        />
        <DiffTable
            id="field-diff"
            title="Other fields"
            label="Field differences"
            columns=field_columns
            rows=field_rows
            empty=Some("All other fields are the same.")
            top_aligned=true
        />
    }
}

/// The section's id: the chart's "Show all" link lands back here.
const FEATURE_IMPACT_ANCHOR: &str = "feature-impact";

fn movement_view(movement: RankMovement) -> AnyView {
    match movement {
        RankMovement::Up(n) => view! {
            <span class="font-mono text-emerald-700">
                <span aria-hidden="true">"▲ "</span>
                <span class="sr-only">"up "</span>
                {n}
            </span>
        }
        .into_any(),
        RankMovement::Down(n) => view! {
            <span class="font-mono text-red-700">
                <span aria-hidden="true">"▼ "</span>
                <span class="sr-only">"down "</span>
                {n}
            </span>
        }
        .into_any(),
        RankMovement::Same => view! { <span class="text-slate-500">"same"</span> }.into_any(),
        RankMovement::New => view! {
            <span class="inline-block rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900">
                "new"
            </span>
        }
        .into_any(),
        RankMovement::Gone => view! {
            <span class="inline-block rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-900">
                "gone"
            </span>
        }
        .into_any(),
    }
}

/// Both versions' feature impacts as one chart, and how the most important features moved.
#[component]
fn FeatureImpactSection(
    a: String,
    b: String,
    impact_a: Option<FeatureImpact>,
    impact_b: Option<FeatureImpact>,
) -> impl IntoView {
    let missing: Vec<String> = [(&a, &impact_a), (&b, &impact_b)]
        .into_iter()
        .filter(|(_, impact)| impact.is_none())
        .map(|(v, _)| v.clone())
        .collect();
    let body = if missing.len() == 2 {
        view! { <p class="empty">"Neither version has feature impact yet."</p> }.into_any()
    } else {
        let items = |i: &Option<FeatureImpact>| {
            i.as_ref()
                .map(|i| i.feature_impacts.clone())
                .unwrap_or_default()
        };
        let comparison = compare_feature_impacts(&items(&impact_a), &items(&impact_b));
        let rank = |r: Option<usize>| r.map(|r| r.to_string()).unwrap_or_else(|| "—".to_owned());
        let note = missing.first().map(|v| {
            view! { <p class="mb-2 text-sm text-slate-600">{format!("Version {v} has no feature impact yet.")}</p> }
        });
        view! {
            {note}
            <FeatureImpactCompareChart
                rows=comparison.rows
                a_version=a.clone()
                b_version=b.clone()
                id="feature-impact-compare-chart"
                anchor=FEATURE_IMPACT_ANCHOR
            />
            <h4 id="top-features-heading" class="mb-1 mt-4 font-semibold">"Top features changed"</h4>
            <p class="mb-2 text-sm text-slate-600">
                {format!("Where each version's {TOP_RANKED} most important features rank in the other.")}
            </p>
            <DataTable
                style=TableStyle::Open
                labelled_by="top-features-heading"
                columns=vec![
                    Column::new("Feature", MONO_NAME).names_rows(),
                    Column::new(format!("Rank in {a}"), NUMBER).right(),
                    Column::new(format!("Rank in {b}"), NUMBER).right(),
                    Column::new("Change", NUMBER).right(),
                ]
                rows=comparison
                    .top_changes
                    .into_iter()
                    .map(|r| {
                        let movement = r.movement();
                        vec![
                            r.feature_name.into_any(),
                            rank(r.a_rank).into_any(),
                            rank(r.b_rank).into_any(),
                            movement_view(movement),
                        ]
                    })
                    .collect()
            />
        }
        .into_any()
    };
    view! {
        <section id=FEATURE_IMPACT_ANCHOR class="mb-8" aria-labelledby="feature-impact-diff-heading">
            <h3 id="feature-impact-diff-heading" class="mb-2 text-lg font-semibold">"Feature impact"</h3>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(numbers: &[&str]) -> Vec<Version> {
        numbers
            .iter()
            .map(|n| {
                let mut v: Version = serde_json::from_value(serde_json::json!({
                    "id": n, "model_id": "m", "model_name": "m", "version": n, "fqn": n,
                    "state": "draft", "registration": "ready", "active": true, "is_primary": false,
                    "aliases": [], "description": "", "metadata": {}, "tags": [], "metrics": [],
                    "framework": {}, "environment": {}, "git": {}, "source_uri": "", "run_id": "",
                    "base_version": null, "files": [], "file_count": 0, "total_size": 0,
                    "dependencies": [], "unparsed_dependencies": [],
                    "usage_snippet": {"curl": "", "python": ""}, "created_by": "ada",
                    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                    "published_at": null
                }))
                .expect("a version");
                v.version = (*n).to_owned();
                v
            })
            .collect()
    }

    #[test]
    fn without_a_choice_the_newest_is_compared_with_the_one_before() {
        let list = versions(&["0.3.0", "0.2.0", "0.1.0"]);
        assert_eq!(
            default_pair(&list, None, None),
            ("0.2.0".into(), "0.3.0".into())
        );
        assert_eq!(
            default_pair(&list, None, Some("0.2.0".into())),
            ("0.1.0".into(), "0.2.0".into())
        );
        // The oldest has nothing before it: take another version.
        assert_eq!(
            default_pair(&list, None, Some("0.1.0".into())),
            ("0.3.0".into(), "0.1.0".into())
        );
        assert_eq!(
            default_pair(&list, Some("0.1.0".into()), Some("0.3.0".into())),
            ("0.1.0".into(), "0.3.0".into())
        );
    }
}
