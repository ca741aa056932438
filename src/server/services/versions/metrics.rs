//! Metrics across a model's versions, for the overview's charts.
use super::*;

/// Each metric's latest value (highest step) per version, oldest version first.
pub async fn metric_series(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
) -> AppResult<Vec<MetricSeries>> {
    let model = find_model(&state.db, caller, model_key).await?;
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT major, minor, patch, metrics FROM versions WHERE model_id = $1 AND metrics <> '[]'
         ORDER BY major DESC, minor DESC, patch DESC LIMIT 200",
    )
    .bind(&model.id)
    .fetch_all(&state.db)
    .await?;
    let mut series: Vec<MetricSeries> = Vec::new();
    for (major, minor, patch, metrics) in rows.into_iter().rev() {
        let number = format!("{major}.{minor}.{patch}");
        let metrics: Vec<Metric> = serde_json::from_str(&metrics).unwrap_or_default();
        let mut last: HashMap<&str, (i64, f64)> = HashMap::new();
        for m in &metrics {
            let step = m.step.unwrap_or(0);
            match last.get(m.key.as_str()) {
                Some((s, _)) if *s > step => {}
                _ => {
                    last.insert(m.key.as_str(), (step, m.value));
                }
            }
        }
        let mut keys: Vec<&&str> = last.keys().collect();
        keys.sort();
        for key in keys {
            let value = last[*key].1;
            let point = MetricPoint {
                version: number.clone(),
                value,
            };
            match series.iter_mut().find(|s| s.key == **key) {
                Some(s) => s.points.push(point),
                None => series.push(MetricSeries {
                    key: (**key).to_owned(),
                    points: vec![point],
                }),
            }
        }
    }
    series.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(series)
}
