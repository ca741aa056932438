//! Audit events for people: a table (who, what, when) and a timeline of how a model's aliases
//! and primary version moved. Each event is one sentence from [`describe`].

use crate::components::data_table::{Column, DataTable, timestamp};
use crate::domain::audit::{AuditEvent, describe};
use leptos::prelude::*;

fn when(event: &AuditEvent) -> AnyView {
    timestamp(event.created_at, "%Y-%m-%d %H:%M:%S UTC")
}

fn actor(event: &AuditEvent) -> String {
    event.actor.clone().unwrap_or_else(|| "system".to_owned())
}

/// Events, newest first. `show_model` adds a column naming (and linking) each event's model.
#[component]
pub fn AuditTable(
    events: Vec<AuditEvent>,
    #[prop(optional)] show_model: bool,
    #[prop(into)] empty: String,
) -> impl IntoView {
    let mut columns = vec![
        Column::new("When", "px-4 py-2 whitespace-nowrap text-slate-600"),
        Column::new("Who", "px-4 py-2 font-medium"),
        Column::new("What", "px-4 py-2"),
    ];
    if show_model {
        columns.push(Column::new("Model", "px-4 py-2"));
    }
    columns.push(Column::new(
        "Action",
        "px-4 py-2 font-mono text-xs text-slate-500",
    ));
    let rows = events
        .iter()
        .map(|e| {
            let mut cells = vec![when(e), actor(e).into_any(), describe(e).into_any()];
            if show_model {
                cells.push(model_cell(e));
            }
            cells.push(e.action.clone().into_any());
            cells
        })
        .collect();
    let empty = view! { <p class="empty">{empty}</p> }.into_any();
    view! { <DataTable label="Audit events" columns rows empty top_aligned=true /> }
}

/// The event's model: a link, or the name alone once the model is deleted.
fn model_cell(event: &AuditEvent) -> AnyView {
    event
        .model
        .clone()
        .map(|m| {
            if event.model_deleted {
                view! {
                    <span class="text-slate-600">{m.clone()}</span>
                    " "
                    <span class="text-xs text-slate-500">"(deleted)"</span>
                }
                .into_any()
            } else {
                view! { <a href=format!("/models/{m}") class="link">{m.clone()}</a> }.into_any()
            }
        })
        .into_any()
}

/// Alias moves and primary-version changes as a timeline, newest on top.
#[component]
pub fn PromotionTimeline(events: Vec<AuditEvent>) -> impl IntoView {
    if events.is_empty() {
        return view! {
            <p class="empty">"No alias has been set and no version promoted yet."</p>
        }
        .into_any();
    }
    view! {
        <ol class="relative ml-3 border-l-2 border-indigo-100" aria-label="Promotion history">
            {events
                .iter()
                .map(|e| {
                    let promotion = e.action == "version.promote";
                    let kind = if promotion { "Primary version" } else { "Alias" };
                    view! {
                        <li class="mb-6 ml-6">
                            <span
                                aria-hidden="true"
                                class="absolute -left-[9px] mt-1.5 h-4 w-4 rounded-full border-2 border-white"
                                class=(["bg-indigo-600"], promotion)
                                class=(["bg-amber-500"], !promotion)
                            ></span>
                            <p class="text-xs uppercase tracking-wide text-slate-500">
                                {kind} " · " {when(e)}
                            </p>
                            <p class="text-sm">
                                <span class="font-medium">{actor(e)}</span>
                                " "
                                {describe(e)}
                            </p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
