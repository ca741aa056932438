//! Charts drawn as plain SVG computed in Rust: the server renders them, so they show before (and
//! without) the WASM, and hydration finds the same markup. Exact values appear on hover and on
//! keyboard focus through CSS alone (no script). The metric line chart predates this folder and
//! lives in `components::metric_chart`.

pub mod feature_impact_chart;
pub mod feature_impact_compare_chart;
