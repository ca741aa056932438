//! Two versions' feature impacts side by side: one row per feature of either version (A's order,
//! then the features only B has), a bar for each version (normalized), and a note where a version
//! does not have the feature. Like the single chart, the top [`CHART_TOP`] rows show until "Show
//! all", and every bar is focusable with its exact values on hover and focus.

use super::feature_impact_chart::{
    AXIS_H, BarScale, LABEL_W, MAX_LABEL_CHARS, MAX_READOUT_NAME_CHARS, PLOT_LEFT, PLOT_RIGHT,
    READOUT_H, ShowAllLink, WIDTH, format_normalized, readout, readout_hint, swatch, truncate_name,
    use_show_all, value_axis,
};
use crate::components::metric_chart::format_value;
use crate::domain::compare::FeatureImpactPair;
use crate::domain::feature_impact::{CHART_TOP, FeatureImpactItem};
use leptos::prelude::*;
use std::sync::Arc;

const ROW_H: f64 = 34.0;
const BAR_H: f64 = 11.0;

/// The accessible name of one version's bar: `bmi in 0.2.0: normalized 1.000, unnormalized 0.3421`.
pub fn pair_text(item: &FeatureImpactItem, version: &str, only_here: bool) -> String {
    let mut text = format!(
        "{} in {version}: normalized {}, unnormalized {}",
        item.feature_name,
        format_normalized(item.impact_normalized),
        format_value(item.impact_unnormalized)
    );
    if let Some(other) = &item.redundant_with {
        text.push_str(&format!(", redundant with {other}"));
    }
    if only_here {
        text.push_str(&format!(" (only {version} has it)"));
    }
    text
}

struct Side {
    version: String,
    /// The bar's Tailwind fill class.
    class: &'static str,
    /// Offset of its bar within the row.
    offset: f64,
}

fn bar(
    item: Option<&FeatureImpactItem>,
    side: &Side,
    other: &Side,
    only_here: bool,
    y: f64,
    scale: BarScale,
) -> AnyView {
    let bar_y = y + side.offset;
    let Some(item) = item else {
        return view! {
            <text x=scale.x(0.0) + 4.0 y=bar_y + BAR_H - 2.0 font-size="10" font-style="italic" class="fill-slate-500">
                {format!("not in {}", side.version)}
            </text>
        }
        .into_any();
    };
    let name = pair_text(item, &side.version, only_here);
    let description = name.clone();
    let (x, w) = scale.bar(item.impact_normalized);
    let mut readout_text = format!(
        "{} in {}: normalized {}, unnormalized {}",
        truncate_name(&item.feature_name, MAX_READOUT_NAME_CHARS),
        side.version,
        format_normalized(item.impact_normalized),
        format_value(item.impact_unnormalized)
    );
    if only_here {
        readout_text.push_str(&format!(" (not in {})", other.version));
    }
    view! {
        <g class="group cursor-default outline-none" tabindex="0" role="img" aria-label=name data-version=side.version.clone()>
            <title>{description}</title>
            <rect
                x=PLOT_LEFT - 2.0
                y=bar_y - 2.0
                width=PLOT_RIGHT - PLOT_LEFT + 110.0
                height=BAR_H + 4.0
                class="fill-transparent group-hover:fill-slate-100 group-focus:fill-indigo-50 group-focus:stroke-indigo-600"
                stroke-width="1.5"
            />
            <rect x=x y=bar_y width=w.max(0.5) height=BAR_H class=side.class />
            <text x=PLOT_RIGHT + 6.0 y=bar_y + BAR_H - 2.0 font-size="10" class="invisible fill-slate-900 font-mono group-hover:visible group-focus:visible">
                {format!("{} · {}", format_normalized(item.impact_normalized), format_value(item.impact_unnormalized))}
            </text>
            {readout(readout_text)}
        </g>
    }
    .into_any()
}

fn pair_row(
    pair: &FeatureImpactPair,
    index: usize,
    a: &Side,
    b: &Side,
    scale: BarScale,
) -> AnyView {
    let y = READOUT_H + index as f64 * ROW_H;
    let label_class = if pair.a.is_none() || pair.b.is_none() {
        "fill-slate-500 italic"
    } else {
        "fill-slate-800"
    };
    view! {
        <g data-feature=pair.feature_name.clone()>
            <text x=LABEL_W y=y + ROW_H / 2.0 + 4.0 text-anchor="end" font-size="12" class=label_class>
                <title>{pair.feature_name.clone()}</title>
                {truncate_name(&pair.feature_name, MAX_LABEL_CHARS)}
            </text>
            {bar(pair.a.as_ref(), a, b, pair.b.is_none(), y, scale)}
            {bar(pair.b.as_ref(), b, a, pair.a.is_none(), y, scale)}
        </g>
    }
    .into_any()
}

#[component]
pub fn FeatureImpactCompareChart(
    rows: Vec<FeatureImpactPair>,
    /// The two versions' numbers, A first.
    a_version: String,
    b_version: String,
    #[prop(into)] id: String,
    anchor: &'static str,
) -> impl IntoView {
    let (show_all, href) = use_show_all(anchor);
    let total = rows.len();
    let scale = BarScale::of(rows.iter().flat_map(|r| {
        [r.a.as_ref(), r.b.as_ref()]
            .into_iter()
            .flatten()
            .map(|i| i.impact_normalized)
    }));
    let a = Arc::new(Side {
        version: a_version.clone(),
        class: "fill-indigo-500",
        offset: (ROW_H / 2.0 - BAR_H) - 1.0,
    });
    let b = Arc::new(Side {
        version: b_version.clone(),
        class: "fill-amber-500",
        offset: ROW_H / 2.0 + 1.0,
    });
    let rows = Arc::new(rows);
    let svg_id = id.clone();
    let svg = move || {
        let shown = if show_all.get() {
            total
        } else {
            total.min(CHART_TOP)
        };
        let rows_bottom = READOUT_H + shown as f64 * ROW_H;
        let height = rows_bottom + AXIS_H;
        view! {
            <svg
                id=svg_id.clone()
                viewBox=format!("0 0 {WIDTH} {height}")
                class="h-auto w-full min-w-[34rem]"
                role="group"
                aria-label=format!("Feature impact of {} (A) and {} (B), {shown} of {total} features", a.version, b.version)
                data-rows=shown
            >
                {readout_hint()}
                {value_axis(scale, READOUT_H, rows_bottom, "Normalized impact (each version's most important = 1)")}
                {rows
                    .iter()
                    .take(shown)
                    .enumerate()
                    .map(|(i, pair)| pair_row(pair, i, &a, &b, scale))
                    .collect_view()}
            </svg>
        }
    };
    view! {
        <figure class="card p-4" data-testid="feature-impact-compare-chart">
            <ul class="mb-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" aria-label="Legend">
                <li class="flex items-center gap-1">{swatch("bg-indigo-500", None)}{format!("A: {a_version}")}</li>
                <li class="flex items-center gap-1">{swatch("bg-amber-500", None)}{format!("B: {b_version}")}</li>
                <li><span class="italic text-slate-500">"Names in italics"</span>" are in one version only"</li>
            </ul>
            <div class="overflow-x-auto">{svg}</div>
            <ShowAllLink total show_all href chart_id=id />
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_named_with_their_version() {
        let item = FeatureImpactItem {
            feature_name: "bmi".into(),
            impact_normalized: 1.0,
            impact_unnormalized: 0.3421,
            redundant_with: None,
            parent_feature_name: None,
        };
        assert_eq!(
            pair_text(&item, "0.2.0", false),
            "bmi in 0.2.0: normalized 1.000, unnormalized 0.3421"
        );
        assert_eq!(
            pair_text(&item, "0.2.0", true),
            "bmi in 0.2.0: normalized 1.000, unnormalized 0.3421 (only 0.2.0 has it)"
        );
    }
}
