//! A metric across a model's versions as a line chart: plain SVG computed in Rust, so the server
//! renders it and it shows before (and without) the WASM.

use crate::domain::version::MetricSeries;
use leptos::prelude::*;

const WIDTH: f64 = 420.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 48.0;
/// More version labels than this overlap; only every n-th is written.
const MAX_X_LABELS: usize = 6;

/// A number short enough for an axis: up to 4 significant digits, no trailing zeros.
pub fn format_value(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let decimals = (3 - magnitude).clamp(0, 8) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// The low and high end of the value axis; a flat series gets room above and below.
pub fn value_range(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !min.is_finite() || !max.is_finite() {
        return (0.0, 1.0);
    }
    if min == max {
        let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
        return (min - pad, max + pad);
    }
    (min, max)
}

/// Where each value lands in the plot: versions evenly spaced left to right, values scaled
/// between the bottom (lowest) and the top (highest).
pub fn plot_points(values: &[f64]) -> Vec<(f64, f64)> {
    let (low, high) = value_range(values);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = values.len();
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = if n <= 1 {
                LEFT + plot_w / 2.0
            } else {
                LEFT + plot_w * i as f64 / (n - 1) as f64
            };
            let y = TOP + plot_h * (1.0 - (v - low) / (high - low));
            (x, y)
        })
        .collect()
}

/// One chart per metric, or a note when the versions carry no metrics.
#[component]
pub fn MetricCharts(series: Vec<MetricSeries>) -> impl IntoView {
    if series.iter().all(|s| s.points.is_empty()) {
        return view! {
            <p class="empty">
                "No metrics yet. Versions uploaded with metrics (for example accuracy or RMSE) are charted here."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="grid gap-4 md:grid-cols-2">
            {series
                .into_iter()
                .filter(|s| !s.points.is_empty())
                .enumerate()
                .map(|(index, series)| view! { <MetricChart series index /> })
                .collect_view()}
        </div>
    }
    .into_any()
}

#[component]
pub fn MetricChart(series: MetricSeries, index: usize) -> impl IntoView {
    let values: Vec<f64> = series.points.iter().map(|p| p.value).collect();
    let points = plot_points(&values);
    let (low, high) = value_range(&values);
    let (min, max) = (
        values.iter().copied().fold(f64::INFINITY, f64::min),
        values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let title_id = format!("metric-chart-{index}-title");
    let desc_id = format!("metric-chart-{index}-desc");
    let (labelled_by, described_by) = (title_id.clone(), desc_id.clone());
    let first = series
        .points
        .first()
        .map(|p| p.version.clone())
        .unwrap_or_default();
    let last = series
        .points
        .last()
        .map(|p| p.version.clone())
        .unwrap_or_default();
    let description = format!(
        "{} across {} ({} to {}): lowest {}, highest {}, latest {}.",
        series.key,
        crate::domain::text::counted(values.len() as i64, "version", "versions"),
        first,
        last,
        format_value(min),
        format_value(max),
        values.last().map(|v| format_value(*v)).unwrap_or_default(),
    );
    let path: String = points
        .iter()
        .enumerate()
        .map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" }))
        .collect();
    let step = series.points.len().div_ceil(MAX_X_LABELS).max(1);
    let bottom = HEIGHT - BOTTOM;
    let y_of = |v: f64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (v - low) / (high - low));
    let (y_min, y_max) = (y_of(min), y_of(max));
    let markers = series
        .points
        .iter()
        .zip(points.iter())
        .enumerate()
        .map(|(i, (p, (x, y)))| {
            let label = (i % step == 0 || i + 1 == series.points.len()).then(|| {
                view! {
                    <text
                        x=format!("{x:.1}")
                        y=format!("{:.1}", bottom + 16.0)
                        text-anchor="middle"
                        class="fill-slate-600"
                        font-size="13"
                    >
                        {p.version.clone()}
                    </text>
                }
            });
            view! {
                <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="3.5" class="fill-indigo-600">
                    <title>{format!("{}: {}", p.version, format_value(p.value))}</title>
                </circle>
                {label}
            }
        })
        .collect_view();
    view! {
        <figure class="card p-4" data-testid="metric-chart">
            <figcaption class="mb-2 text-sm font-medium text-slate-700">{series.key.clone()}</figcaption>
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                class="h-auto w-full"
                role="img"
                aria-labelledby=labelled_by
                aria-describedby=described_by
            >
                <title id=title_id>{format!("{} by version", series.key)}</title>
                <desc id=desc_id>{description}</desc>
                // Axes.
                <line x1=LEFT y1=TOP x2=LEFT y2=bottom class="stroke-slate-300" stroke-width="1" />
                <line x1=LEFT y1=bottom x2=WIDTH - RIGHT y2=bottom class="stroke-slate-300" stroke-width="1" />
                // Lowest and highest value, with guide lines.
                <line x1=LEFT y1=format!("{y_max:.1}") x2=WIDTH - RIGHT y2=format!("{y_max:.1}") class="stroke-slate-200" stroke-dasharray="4 4" />
                <line x1=LEFT y1=format!("{y_min:.1}") x2=WIDTH - RIGHT y2=format!("{y_min:.1}") class="stroke-slate-200" stroke-dasharray="4 4" />
                <text x=LEFT - 6.0 y=format!("{:.1}", y_max + 4.0) text-anchor="end" font-size="13" class="fill-slate-600">
                    {format_value(max)}
                </text>
                <text x=LEFT - 6.0 y=format!("{:.1}", y_min + 4.0) text-anchor="end" font-size="13" class="fill-slate-600">
                    {format_value(min)}
                </text>
                <text x=(LEFT + WIDTH - RIGHT) / 2.0 y=HEIGHT - 6.0 text-anchor="middle" font-size="13" class="fill-slate-500">
                    "Version"
                </text>
                <path d=path fill="none" class="stroke-indigo-600" stroke-width="2" stroke-linejoin="round" />
                {markers}
            </svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_short() {
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(0.912345), "0.9123");
        assert_eq!(format_value(12.5), "12.5");
        assert_eq!(format_value(1500.0), "1500");
        assert_eq!(format_value(-0.25), "-0.25");
        assert_eq!(format_value(1.0e9), "1.000e9");
    }

    #[test]
    fn highest_value_is_at_the_top_and_versions_spread_evenly() {
        let points = plot_points(&[0.5, 1.0, 0.75]);
        assert_eq!(points[0].0, LEFT);
        assert_eq!(points[2].0, WIDTH - RIGHT);
        assert_eq!(points[1].1, TOP);
        assert_eq!(points[0].1, HEIGHT - BOTTOM);
    }

    #[test]
    fn a_flat_or_single_series_stays_inside_the_plot() {
        assert_eq!(value_range(&[2.0, 2.0]), (1.8, 2.2));
        assert_eq!(value_range(&[0.0]), (-1.0, 1.0));
        let p = plot_points(&[3.0]);
        assert!(p[0].1 > TOP && p[0].1 < HEIGHT - BOTTOM);
    }
}
