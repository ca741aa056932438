//! Two versions of a model side by side. The choice is a plain GET form (`?a=…&b=…`), so any
//! comparison can be linked and works without JavaScript.

use crate::api::feature_impact::get_feature_impact;
use crate::api::models::get_model;
use crate::api::versions::{compare_model_versions, list_model_versions};
use crate::components::charts::feature_impact_compare_chart::FeatureImpactCompareChart;
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

const TABLE: &str = "w-full text-left text-sm";
const HEAD: &str = "bg-slate-100 text-slate-600";
const CELL: &str = "px-4 py-2";

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
    view! {
        <div class="mb-6 grid gap-4 sm:grid-cols-2">
            {version_head(&a, "Version A")}
            {version_head(&b, "Version B")}
        </div>

        <section class="mb-8" aria-labelledby="metric-diff-heading">
            <h3 id="metric-diff-heading" class="mb-2 text-lg font-semibold">"Metrics"</h3>
            {if metrics.is_empty() {
                view! { <p class="empty">"Neither version has metrics."</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE aria-label="Metric differences">
                        <thead class=HEAD>
                            <tr>
                                <th scope="col" class=CELL>"Metric"</th>
                                <th scope="col" class=format!("{CELL} text-right")>{an.clone()}</th>
                                <th scope="col" class=format!("{CELL} text-right")>{bn.clone()}</th>
                                <th scope="col" class=format!("{CELL} text-right")>"Change"</th>
                            </tr>
                        </thead>
                        <tbody class="bg-white">
                            {metrics.into_iter().map(|m| view! {
                                <tr class="border-t border-slate-100">
                                    <th scope="row" class=CELL>{m.key}</th>
                                    <td class=format!("{CELL} text-right font-mono")>{m.a.map(format_value).unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class=format!("{CELL} text-right font-mono")>{m.b.map(format_value).unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class=format!("{CELL} text-right")>{delta_view(m.delta)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>

        <FeatureImpactSection a=an.clone() b=bn.clone() impact_a impact_b />

        <section class="mb-8" aria-labelledby="signature-diff-heading">
            <h3 id="signature-diff-heading" class="mb-2 text-lg font-semibold">"Signature"</h3>
            {signature_note.map(|note| view! { <p class="mb-2 text-sm text-slate-600">{note}</p> })}
            {if signature.is_empty() {
                (a.signature.is_some() || b.signature.is_some()).then(|| view! {
                    <p class="empty">"The inputs and outputs are the same."</p>
                }).into_any()
            } else {
                view! {
                    <table class=TABLE aria-label="Signature differences">
                        <thead class=HEAD>
                            <tr>
                                <th scope="col" class=CELL>"Name"</th>
                                <th scope="col" class=CELL>"Kind"</th>
                                <th scope="col" class=CELL>"Change"</th>
                                <th scope="col" class=CELL>{an.clone()}</th>
                                <th scope="col" class=CELL>{bn.clone()}</th>
                            </tr>
                        </thead>
                        <tbody class="bg-white">
                            {signature.into_iter().map(|d| view! {
                                <tr class="border-t border-slate-100">
                                    <th scope="row" class=format!("{CELL} break-all font-mono")>{d.name}</th>
                                    <td class=CELL>{d.side.as_str()}</td>
                                    <td class=CELL>{change_badge(d.change)}</td>
                                    <td class=format!("{CELL} font-mono")>{d.a.unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class=format!("{CELL} font-mono")>{d.b.unwrap_or_else(|| "—".to_owned())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>

        <section class="mb-8" aria-labelledby="dependency-diff-heading">
            <h3 id="dependency-diff-heading" class="mb-2 text-lg font-semibold">"Dependencies"</h3>
            {if dependencies.is_empty() {
                view! { <p class="empty">"The dependencies are the same."</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE aria-label="Dependency differences">
                        <thead class=HEAD>
                            <tr>
                                <th scope="col" class=CELL>"Package"</th>
                                <th scope="col" class=CELL>"Change"</th>
                                <th scope="col" class=CELL>{an.clone()}</th>
                                <th scope="col" class=CELL>{bn.clone()}</th>
                            </tr>
                        </thead>
                        <tbody class="bg-white">
                            {dependencies.into_iter().map(|d| view! {
                                <tr class="border-t border-slate-100">
                                    <th scope="row" class=format!("{CELL} font-mono")>{d.package}</th>
                                    <td class=CELL>{change_badge(d.change)}</td>
                                    <td class=format!("{CELL} font-mono")>{d.a.unwrap_or_else(|| "—".to_owned())}</td>
                                    <td class=format!("{CELL} font-mono")>{d.b.unwrap_or_else(|| "—".to_owned())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>

        <section class="mb-8" aria-labelledby="file-diff-heading">
            <h3 id="file-diff-heading" class="mb-2 text-lg font-semibold">"Files"</h3>
            <p class="mb-2 text-sm text-slate-600">
                {match unchanged_files {
                    1 => "1 file is identical in both versions.".to_owned(),
                    n => format!("{n} files are identical in both versions."),
                }}
            </p>
            {(!files.is_empty()).then(|| view! {
                <table class=TABLE aria-label="File differences">
                    <thead class=HEAD>
                        <tr>
                            <th scope="col" class=CELL>"Path"</th>
                            <th scope="col" class=CELL>"Change"</th>
                            <th scope="col" class=format!("{CELL} text-right")>{an.clone()}</th>
                            <th scope="col" class=format!("{CELL} text-right")>{bn.clone()}</th>
                        </tr>
                    </thead>
                    <tbody class="bg-white">
                        {files.into_iter().map(|f| view! {
                            <tr class="border-t border-slate-100">
                                <th scope="row" class=format!("{CELL} break-all font-mono")>{f.path}</th>
                                <td class=CELL>{change_badge(f.change)}</td>
                                <td class=format!("{CELL} text-right")>{f.a_size.map(format_bytes).unwrap_or_else(|| "—".to_owned())}</td>
                                <td class=format!("{CELL} text-right")>{f.b_size.map(format_bytes).unwrap_or_else(|| "—".to_owned())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>

        <section class="mb-8" aria-labelledby="field-diff-heading">
            <h3 id="field-diff-heading" class="mb-2 text-lg font-semibold">"Other fields"</h3>
            {if fields.is_empty() {
                view! { <p class="empty">"All other fields are the same."</p> }.into_any()
            } else {
                view! {
                    <table class=TABLE aria-label="Field differences">
                        <thead class=HEAD>
                            <tr>
                                <th scope="col" class=CELL>"Field"</th>
                                <th scope="col" class=CELL>{an.clone()}</th>
                                <th scope="col" class=CELL>{bn.clone()}</th>
                            </tr>
                        </thead>
                        <tbody class="bg-white">
                            {fields.into_iter().map(|f| view! {
                                <tr class="border-t border-slate-100 align-top">
                                    <th scope="row" class=format!("{CELL} font-mono")>{f.field}</th>
                                    <td class=format!("{CELL} break-all")>{f.a}</td>
                                    <td class=format!("{CELL} break-all")>{f.b}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
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
            <table class=TABLE aria-labelledby="top-features-heading">
                <thead class=HEAD>
                    <tr>
                        <th scope="col" class=CELL>"Feature"</th>
                        <th scope="col" class=format!("{CELL} text-right")>{format!("Rank in {a}")}</th>
                        <th scope="col" class=format!("{CELL} text-right")>{format!("Rank in {b}")}</th>
                        <th scope="col" class=format!("{CELL} text-right")>"Change"</th>
                    </tr>
                </thead>
                <tbody class="bg-white">
                    {comparison.top_changes.into_iter().map(|r| {
                        let movement = r.movement();
                        view! {
                            <tr class="border-t border-slate-100">
                                <th scope="row" class=format!("{CELL} break-all font-mono")>{r.feature_name}</th>
                                <td class=format!("{CELL} text-right")>{rank(r.a_rank)}</td>
                                <td class=format!("{CELL} text-right")>{rank(r.b_rank)}</td>
                                <td class=format!("{CELL} text-right")>{movement_view(movement)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
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
