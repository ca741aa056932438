//! One version's feature impact as horizontal bars, most important first: the top
//! [`CHART_TOP`] until "Show all" asks for every feature (`?impact=all`, which the server renders
//! too, so it works without JavaScript). Negative impacts go left of the zero line, redundant
//! features are hatched. Every bar is focusable and named; hovering or focusing it shows its exact
//! values and full name in the readout line above the bars.

use crate::components::metric_chart::format_value;
use crate::domain::feature_impact::{CHART_TOP, FeatureImpact, FeatureImpactItem, ImpactMethod};
use crate::domain::text::counted;
use leptos::prelude::*;
use leptos_router::params::ParamsMap;
use std::sync::Arc;

/// The query parameter that asks feature-impact charts for every feature (`?impact=all`).
pub const SHOW_ALL_PARAM: &str = "impact";

pub(crate) const WIDTH: f64 = 640.0;
/// Feature names are right-aligned in this column.
pub(crate) const LABEL_W: f64 = 176.0;
/// Where the bars start and end; the right edge leaves room for the value label.
pub(crate) const PLOT_LEFT: f64 = LABEL_W + 8.0;
pub(crate) const PLOT_RIGHT: f64 = WIDTH - 112.0;
/// The line above the bars where a hovered or focused bar's exact values appear.
pub(crate) const READOUT_H: f64 = 30.0;
/// Below the bars: the value axis.
pub(crate) const AXIS_H: f64 = 34.0;
const ROW_H: f64 = 22.0;
const BAR_H: f64 = 14.0;
/// Longer names are cut (with "…") on the bar; the full name is in the readout and the label.
pub(crate) const MAX_LABEL_CHARS: usize = 26;
/// Names longer than this are cut in the readout line too (the accessible name keeps all of it).
pub(crate) const MAX_READOUT_NAME_CHARS: usize = 48;

/// Cuts `name` to at most `max` characters, ending in "…" when it was longer.
pub fn truncate_name(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let kept: String = name.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// A normalized impact as the chart writes it: three decimals.
pub fn format_normalized(value: f64) -> String {
    format!("{value:.3}")
}

/// Exact values of one feature, as its accessible name and readout say them:
/// `bmi: normalized 1.000, unnormalized 0.3421`.
pub fn impact_text(item: &FeatureImpactItem) -> String {
    let mut text = format!(
        "{}: normalized {}, unnormalized {}",
        item.feature_name,
        format_normalized(item.impact_normalized),
        format_value(item.impact_unnormalized)
    );
    if let Some(other) = &item.redundant_with {
        text.push_str(&format!(", redundant with {other}"));
    }
    text
}

/// What produced the numbers, in one line: method, metric and base score, rows, date.
pub fn caption(impact: &FeatureImpact) -> String {
    let mut parts = vec![match (impact.method, impact.shap_based) {
        (ImpactMethod::Permutation, false) => "Permutation importance".to_owned(),
        (ImpactMethod::Permutation, true) => "Permutation importance, SHAP-based".to_owned(),
        (ImpactMethod::Imported, false) => "Imported".to_owned(),
        (ImpactMethod::Imported, true) => "Imported, SHAP-based".to_owned(),
    }];
    if let Some(metric) = &impact.metric {
        let name = match metric.as_str() {
            "rmse" => "RMSE".to_owned(),
            "log_loss" => "log loss".to_owned(),
            other => other.to_owned(),
        };
        match impact.base_score {
            Some(score) => parts.push(format!("metric {name}, base score {}", format_value(score))),
            None => parts.push(format!("metric {name}")),
        }
    }
    if let Some(rows) = impact.row_count {
        parts.push(counted(rows, "row", "rows"));
    }
    parts.push(counted(
        impact.feature_impacts.len() as i64,
        "feature",
        "features",
    ));
    let verb = match impact.method {
        ImpactMethod::Permutation => "computed",
        ImpactMethod::Imported => "imported",
    };
    parts.push(format!(
        "{verb} {}",
        crate::domain::text::utc_minute(&impact.computed_at)
    ));
    parts.join(" · ")
}

/// Maps impacts to x positions: the range always holds 0, so negative bars grow left of the
/// zero line and positive ones right of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BarScale {
    pub low: f64,
    pub high: f64,
}

impl BarScale {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let (mut low, mut high) = (0.0_f64, 0.0_f64);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            low = low.min(v);
            high = high.max(v);
        }
        if high - low <= f64::EPSILON {
            high = low + 1.0;
        }
        BarScale { low, high }
    }

    pub fn x(&self, value: f64) -> f64 {
        let value = if value.is_finite() { value } else { 0.0 };
        PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * (value - self.low) / (self.high - self.low)
    }

    /// The bar of `value` as (x, width), starting at the zero line.
    pub fn bar(&self, value: f64) -> (f64, f64) {
        let (zero, end) = (self.x(0.0), self.x(value));
        (zero.min(end), (end - zero).abs())
    }

    /// Where the axis is marked, most worth a label first: zero, the top, the low end.
    pub fn ticks(&self) -> Vec<f64> {
        let mut ticks = vec![0.0, self.high];
        if self.low < 0.0 {
            ticks.push(self.low);
        }
        ticks
    }
}

/// The path and query of the page being rendered: from the router on the server, from the
/// browser's address in an island (islands run without the router).
#[cfg(not(feature = "hydrate"))]
fn page_address() -> (String, ParamsMap) {
    let location = leptos_router::hooks::use_location();
    let query = leptos_router::hooks::use_query_map();
    (location.pathname.get_untracked(), query.get_untracked())
}

#[cfg(feature = "hydrate")]
fn page_address() -> (String, ParamsMap) {
    use leptos_router::location::{BrowserUrl, LocationProvider};
    match BrowserUrl::current() {
        Ok(url) => (url.path().to_owned(), url.search_params().clone()),
        Err(_) => (String::new(), ParamsMap::new()),
    }
}

/// Whether the page asks for every feature, and the address that flips that: the same page and
/// query with `impact=all` added or removed, landing back on `anchor`.
pub fn use_show_all(anchor: &'static str) -> (RwSignal<bool>, Memo<String>) {
    let (path, query) = page_address();
    let show_all = RwSignal::new(query.get_str(SHOW_ALL_PARAM) == Some("all"));
    let href = Memo::new(move |_| {
        let mut q = query.clone();
        if show_all.get() {
            q.remove(SHOW_ALL_PARAM);
        } else {
            q.replace(SHOW_ALL_PARAM, "all".to_owned());
        }
        format!("{path}{}#{anchor}", q.to_query_string())
    });
    (show_all, href)
}

/// The "Show all N features" / "Show the top 25 only" link under a chart with more than
/// [`CHART_TOP`] rows.
#[component]
pub fn ShowAllLink(
    total: usize,
    show_all: RwSignal<bool>,
    href: Memo<String>,
    chart_id: String,
) -> impl IntoView {
    // In an island the link flips the chart in place and puts the new address in the history;
    // elsewhere, and without JavaScript, it loads the page again with the other address.
    let flip = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            if ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key()
            {
                return;
            }
            ev.prevent_default();
            let target = href.get_untracked();
            show_all.update(|all| *all = !*all);
            if let Ok(history) = window().history() {
                let _ =
                    history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&target));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    (total > CHART_TOP).then(|| {
        view! {
            <p class="mt-2 text-sm">
                <a href=move || href.get() class="link" aria-controls=chart_id on:click=flip>
                    {move || {
                        if show_all.get() {
                            format!("Show the top {CHART_TOP} only")
                        } else {
                            format!("Show all {total} features")
                        }
                    }}
                </a>
            </p>
        }
    })
}

/// The hatch that marks redundant features, for a chart's `<defs>` (`id` must be unique on the
/// page).
pub fn hatch_pattern(id: String) -> impl IntoView {
    view! {
        <pattern id=id width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" class="fill-slate-200" />
            <line x1="0" y1="0" x2="0" y2="6" class="stroke-slate-500" stroke-width="3" />
        </pattern>
    }
}

/// A legend swatch: a small filled box, or the hatch of `pattern`.
pub fn swatch(class: &'static str, pattern: Option<String>) -> impl IntoView {
    match pattern {
        Some(id) => view! {
            <svg viewBox="0 0 20 12" class="h-3 w-5 shrink-0" aria-hidden="true">
                <rect width="20" height="12" fill=format!("url(#{id})") class="stroke-slate-500" />
            </svg>
        }
        .into_any(),
        None => view! { <span class=format!("inline-block h-3 w-5 shrink-0 {class}") aria-hidden="true"></span> }
            .into_any(),
    }
}

/// The readout line's resting text; a hovered or focused bar paints its values over it.
pub fn readout_hint() -> impl IntoView {
    view! {
        <text x="4" y="19" font-size="12" class="fill-slate-500">
            "Hover over a bar, or focus one with Tab, to see its exact values."
        </text>
    }
}

/// One bar's readout: hidden until its bar (the enclosing `group`) is hovered or focused.
pub fn readout(text: String) -> impl IntoView {
    view! {
        <g class="invisible group-hover:visible group-focus:visible" aria-hidden="true">
            <rect x="0" y="0" width=WIDTH height=READOUT_H - 4.0 rx="4" class="fill-slate-800" />
            <text x="8" y="18" font-size="12" class="fill-white font-medium">{text}</text>
        </g>
    }
}

/// Axis labels closer than this (in chart units) would overlap; the later one is left out.
const MIN_TICK_GAP: f64 = 40.0;

/// The value axis under the bars, with the zero line through them. Zero and the top end are
/// always labelled, the low end when it is far enough from zero.
pub fn value_axis(scale: BarScale, top: f64, bottom: f64, label: &'static str) -> impl IntoView {
    let zero = scale.x(0.0);
    let mut labelled: Vec<f64> = Vec::new();
    let ticks = scale
        .ticks()
        .into_iter()
        .map(|t| {
            let x = scale.x(t);
            let text = labelled
                .iter()
                .all(|other| (other - x).abs() >= MIN_TICK_GAP)
                .then(|| {
                    labelled.push(x);
                    view! {
                        <text x=x y=bottom + 15.0 text-anchor="middle" font-size="11" class="fill-slate-600">
                            {format_value(t)}
                        </text>
                    }
                });
            view! {
                <line x1=x y1=bottom x2=x y2=bottom + 4.0 class="stroke-slate-400" />
                {text}
            }
        })
        .collect_view();
    view! {
        <line x1=PLOT_LEFT y1=bottom x2=PLOT_RIGHT y2=bottom class="stroke-slate-300" />
        <line x1=zero y1=top x2=zero y2=bottom class="stroke-slate-500" stroke-width="1" />
        {ticks}
        <text x=(PLOT_LEFT + PLOT_RIGHT) / 2.0 y=bottom + 30.0 text-anchor="middle" font-size="11" class="fill-slate-500">
            {label}
        </text>
    }
}

/// The fill of a bar: hatched when redundant, rose when negative, indigo otherwise.
fn bar_fill(item: &FeatureImpactItem, hatch: &str) -> (Option<String>, &'static str) {
    if item.redundant_with.is_some() {
        (Some(format!("url(#{hatch})")), "stroke-slate-500")
    } else if item.impact_normalized < 0.0 {
        (None, "fill-rose-400")
    } else {
        (None, "fill-indigo-500")
    }
}

fn bar_row(
    item: &FeatureImpactItem,
    index: usize,
    scale: BarScale,
    hatch: &str,
) -> impl IntoView + use<> {
    let y = READOUT_H + index as f64 * ROW_H;
    let name = impact_text(item);
    let description = name.clone();
    let (x, w) = scale.bar(item.impact_normalized);
    let (fill, class) = bar_fill(item, hatch);
    let label = match &item.redundant_with {
        Some(_) => format!(
            "{} ◇",
            truncate_name(&item.feature_name, MAX_LABEL_CHARS - 2)
        ),
        None => truncate_name(&item.feature_name, MAX_LABEL_CHARS),
    };
    let mut readout_text = format!(
        "{}: normalized {}, unnormalized {}",
        truncate_name(&item.feature_name, MAX_READOUT_NAME_CHARS),
        format_normalized(item.impact_normalized),
        format_value(item.impact_unnormalized)
    );
    if let Some(other) = &item.redundant_with {
        readout_text.push_str(&format!(
            ", redundant with {}",
            truncate_name(other, MAX_READOUT_NAME_CHARS / 2)
        ));
    }
    view! {
        <g
            class="group cursor-default outline-none"
            tabindex="0"
            role="img"
            aria-label=name
            data-feature=item.feature_name.clone()
        >
            <title>{description}</title>
            <rect
                x="0"
                y=y
                width=WIDTH
                height=ROW_H
                class="fill-transparent group-hover:fill-slate-100 group-focus:fill-indigo-50 group-focus:stroke-indigo-600"
                stroke-width="1.5"
            />
            <text x=LABEL_W y=y + ROW_H / 2.0 + 4.0 text-anchor="end" font-size="12" class="fill-slate-800">
                {label}
            </text>
            <rect x=x y=y + (ROW_H - BAR_H) / 2.0 width=w.max(0.5) height=BAR_H fill=fill class=class />
            <text
                x=PLOT_RIGHT + 6.0
                y=y + ROW_H / 2.0 + 4.0
                font-size="11"
                class="invisible fill-slate-900 font-mono group-hover:visible group-focus:visible"
            >
                {format!("{} · {}", format_normalized(item.impact_normalized), format_value(item.impact_unnormalized))}
            </text>
            {readout(readout_text)}
        </g>
    }
}

#[component]
pub fn FeatureImpactChart(
    impact: FeatureImpact,
    /// Unique on the page; the "Show all" link and the hatch pattern refer to it.
    #[prop(into)]
    id: String,
    /// Where the "Show all" link lands (the id of the section around the chart).
    anchor: &'static str,
) -> impl IntoView {
    let (show_all, href) = use_show_all(anchor);
    let total = impact.feature_impacts.len();
    let scale = BarScale::of(impact.feature_impacts.iter().map(|i| i.impact_normalized));
    let has_negative = impact
        .feature_impacts
        .iter()
        .any(|i| i.impact_normalized < 0.0 && i.redundant_with.is_none());
    let has_redundant = impact
        .feature_impacts
        .iter()
        .any(|i| i.redundant_with.is_some());
    let hatch = format!("{id}-hatch");
    let caption_text = caption(&impact);
    let items = Arc::new(impact.feature_impacts);
    let svg_hatch = hatch.clone();
    let svg_id = id.clone();
    let svg = move || {
        let shown = if show_all.get() {
            total
        } else {
            total.min(CHART_TOP)
        };
        let rows_bottom = READOUT_H + shown as f64 * ROW_H;
        let height = rows_bottom + AXIS_H;
        let title = if shown < total {
            format!("Feature impact: the {shown} most important of {total} features")
        } else {
            format!("Feature impact of all {total} features, most important first")
        };
        view! {
            <svg
                id=svg_id.clone()
                viewBox=format!("0 0 {WIDTH} {height}")
                class="h-auto w-full min-w-[34rem]"
                role="group"
                aria-label=title
                data-bars=shown
            >
                <defs>{hatch_pattern(svg_hatch.clone())}</defs>
                {readout_hint()}
                {value_axis(scale, READOUT_H, rows_bottom, "Normalized impact (most important = 1)")}
                {items
                    .iter()
                    .take(shown)
                    .enumerate()
                    .map(|(i, item)| bar_row(item, i, scale, &svg_hatch))
                    .collect_view()}
            </svg>
        }
    };
    view! {
        <figure class="card p-4" data-testid="feature-impact-chart">
            <figcaption class="mb-2 text-sm text-slate-700">{caption_text}</figcaption>
            <ul class="mb-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" aria-label="Legend">
                <li class="flex items-center gap-1">{swatch("bg-indigo-500", None)}"Impact"</li>
                {has_negative.then(|| view! {
                    <li class="flex items-center gap-1">
                        {swatch("bg-rose-400", None)}"Negative: shuffling the feature made the model better"
                    </li>
                })}
                {has_redundant.then(|| view! {
                    <li class="flex items-center gap-1">
                        {swatch("", Some(hatch.clone()))}"◇ Redundant: strongly correlated with another feature"
                    </li>
                })}
            </ul>
            <div class="overflow-x-auto">{svg}</div>
            <ShowAllLink total show_all href chart_id=id />
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, normalized: f64, unnormalized: f64) -> FeatureImpactItem {
        FeatureImpactItem {
            feature_name: name.to_owned(),
            impact_normalized: normalized,
            impact_unnormalized: unnormalized,
            redundant_with: None,
            parent_feature_name: None,
        }
    }

    #[test]
    fn exact_values_read_as_the_accessible_name() {
        assert_eq!(
            impact_text(&item("bmi", 1.0, 0.3421)),
            "bmi: normalized 1.000, unnormalized 0.3421"
        );
        let mut s2 = item("s2", -0.0512, -0.0175);
        s2.redundant_with = Some("s1".into());
        assert_eq!(
            impact_text(&s2),
            "s2: normalized -0.051, unnormalized -0.0175, redundant with s1"
        );
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis() {
        assert_eq!(truncate_name("bmi", 5), "bmi");
        assert_eq!(truncate_name("abcdef", 5), "abcd…");
        assert_eq!(truncate_name("ééééééé", 4).chars().count(), 4);
    }

    #[test]
    fn negative_impacts_grow_left_of_zero() {
        let scale = BarScale::of([1.0, 0.5, -0.25]);
        assert_eq!((scale.low, scale.high), (-0.25, 1.0));
        let zero = scale.x(0.0);
        let (x, w) = scale.bar(-0.25);
        assert_eq!(x, PLOT_LEFT);
        assert!((x + w - zero).abs() < 1e-9);
        let (x, w) = scale.bar(1.0);
        assert_eq!(x, zero);
        assert!((x + w - PLOT_RIGHT).abs() < 1e-9);
        assert_eq!(scale.ticks(), vec![0.0, 1.0, -0.25]);
    }

    #[test]
    fn all_zero_impacts_still_have_a_range() {
        let scale = BarScale::of([0.0, 0.0]);
        assert_eq!((scale.low, scale.high), (0.0, 1.0));
        assert_eq!(scale.x(0.0), PLOT_LEFT);
        assert_eq!(scale.ticks(), vec![0.0, 1.0]);
    }

    #[test]
    fn captions_say_how_the_numbers_were_made() {
        let impact = FeatureImpact {
            count: 2,
            feature_impacts: vec![item("a", 1.0, 2.0), item("b", 0.5, 1.0)],
            ran_redundancy_detection: true,
            row_count: Some(442),
            shap_based: false,
            method: ImpactMethod::Permutation,
            computed_at: "2026-03-01T10:30:00Z".parse().expect("a time"),
            metric: Some("rmse".into()),
            base_score: Some(53.214),
            dataset_id: None,
            job_id: None,
        };
        assert_eq!(
            caption(&impact),
            "Permutation importance · metric RMSE, base score 53.21 · 442 rows · 2 features · computed 2026-03-01 10:30 UTC"
        );
        let imported = FeatureImpact {
            method: ImpactMethod::Imported,
            shap_based: true,
            metric: None,
            base_score: None,
            row_count: None,
            ..impact
        };
        assert_eq!(
            caption(&imported),
            "Imported, SHAP-based · 2 features · imported 2026-03-01 10:30 UTC"
        );
    }
}
