//! A new version's metrics: rows of key, value and optional step in the hydrated page; a JSON
//! text area (`metrics`) in the plain form.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::version::Metric;
use leptos::prelude::*;

/// One metric row as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricRow {
    pub id: u64,
    pub key: String,
    pub value: String,
    pub step: String,
}

fn invalid(message: String) -> ApiError {
    ApiError::invalid(
        "metrics",
        codes::INVALID_METRICS,
        message,
        "Give each metric a name and a number; the step is an optional whole number.",
    )
}

/// The metrics the rows describe; rows left entirely blank are skipped.
pub fn rows_to_metrics(rows: &[MetricRow]) -> Result<Vec<Metric>, ApiError> {
    let mut metrics = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let (key, value, step) = (row.key.trim(), row.value.trim(), row.step.trim());
        if key.is_empty() && value.is_empty() && step.is_empty() {
            continue;
        }
        let n = i + 1;
        if key.is_empty() {
            return Err(invalid(format!("Metric {n} has no name.")));
        }
        let value: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| invalid(format!("The value of metric '{key}' is not a number.")))?;
        let step = if step.is_empty() {
            None
        } else {
            Some(step.parse::<i64>().map_err(|_| {
                invalid(format!("The step of metric '{key}' is not a whole number."))
            })?)
        };
        metrics.push(Metric {
            key: key.to_owned(),
            value,
            step,
            timestamp: None,
        });
    }
    Ok(metrics)
}

#[component]
pub fn MetricsEditor(
    rows: RwSignal<Vec<MetricRow>>,
    /// The metrics JSON typed before a plain post of the form was refused.
    kept: String,
    hydrated: Signal<bool>,
    /// `aria-invalid` when the last no-JS post failed on the metrics.
    invalid: Signal<bool>,
) -> impl IntoView {
    move || {
        if hydrated.get() {
            view! { <MetricRows rows /> }.into_any()
        } else {
            view! {
                <div>
                    <label for="metrics" class="label">"Metrics (JSON)"</label>
                    <textarea
                        id="metrics"
                        name="metrics"
                        rows="3"
                        class="input font-mono"
                        placeholder=r#"[{"key": "auc", "value": 0.91, "step": 10}]"#
                        aria-describedby="metrics-help"
                        aria-invalid=move || invalid.get().then_some("true")
                    >{crate::components::forms::textarea_text(&kept)}</textarea>
                    <p id="metrics-help" class="mt-1 text-xs text-slate-500">
                        "A list of objects with key, value and an optional step."
                    </p>
                </div>
            }
            .into_any()
        }
    }
}

#[component]
fn MetricRows(rows: RwSignal<Vec<MetricRow>>) -> impl IntoView {
    let next_id =
        StoredValue::new(rows.with_untracked(|r| r.iter().map(|r| r.id).max().unwrap_or(0)));
    let add = move |_| {
        next_id.update_value(|n| *n += 1);
        let id = next_id.get_value();
        rows.update(|r| {
            r.push(MetricRow {
                id,
                ..MetricRow::default()
            });
        });
    };
    let set = move |id: u64, change: fn(&mut MetricRow, String), value: String| {
        rows.update(|r| {
            if let Some(row) = r.iter_mut().find(|row| row.id == id) {
                change(row, value);
            }
        });
    };
    view! {
        <fieldset>
            <legend class="label">"Metrics"</legend>
            <Show
                when=move || rows.with(|r| !r.is_empty())
                fallback=|| view! { <p class="text-sm text-slate-500">"No metrics."</p> }
            >
                <div class="space-y-2">
                    <For each=move || rows.get().into_iter().enumerate() key=|(i, row)| (*i, row.id) let((i, row))>
                        {
                            let n = i + 1;
                            let id = row.id;
                            view! {
                                <div class="grid grid-cols-[1fr_1fr_8rem_auto] items-center gap-2">
                                    <input
                                        class="input"
                                        aria-label=format!("Metric {n} name")
                                        placeholder="e.g. auc"
                                        prop:value=row.key.clone()
                                        on:input=move |ev| set(id, |r, v| r.key = v, event_target_value(&ev))
                                    />
                                    <input
                                        class="input"
                                        inputmode="decimal"
                                        aria-label=format!("Metric {n} value")
                                        placeholder="e.g. 0.91"
                                        prop:value=row.value.clone()
                                        on:input=move |ev| set(id, |r, v| r.value = v, event_target_value(&ev))
                                    />
                                    <input
                                        class="input"
                                        inputmode="numeric"
                                        aria-label=format!("Metric {n} step")
                                        placeholder="step"
                                        prop:value=row.step.clone()
                                        on:input=move |ev| set(id, |r, v| r.step = v, event_target_value(&ev))
                                    />
                                    <button
                                        type="button"
                                        class="btn-danger"
                                        aria-label=format!("Remove metric {n}")
                                        on:click=move |_| rows.update(|r| r.retain(|row| row.id != id))
                                    >
                                        "Remove"
                                    </button>
                                </div>
                            }
                        }
                    </For>
                </div>
            </Show>
            <button type="button" class="btn-secondary mt-2" on:click=add>"Add metric"</button>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, value: &str, step: &str) -> MetricRow {
        MetricRow {
            id: 0,
            key: key.into(),
            value: value.into(),
            step: step.into(),
        }
    }

    #[test]
    fn rows_become_metrics_and_blank_rows_are_skipped() {
        let metrics = rows_to_metrics(&[row("auc", "0.91", "10"), row("", "", "")]).expect("valid");
        assert_eq!(metrics.len(), 1);
        assert_eq!(metrics[0].key, "auc");
        assert_eq!(metrics[0].step, Some(10));
    }

    #[test]
    fn bad_rows_are_explained() {
        assert!(rows_to_metrics(&[row("auc", "high", "")]).is_err());
        assert!(rows_to_metrics(&[row("", "1", "")]).is_err());
        assert!(rows_to_metrics(&[row("auc", "1", "1.5")]).is_err());
    }
}
