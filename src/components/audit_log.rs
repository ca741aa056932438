//! Audit events for people: a table (who, what, when) and a timeline of how a model's aliases
//! and primary version moved. Each event is one sentence from [`describe`].

use crate::domain::audit::{AuditEvent, describe};
use leptos::prelude::*;

fn when(event: &AuditEvent) -> impl IntoView + use<> {
    view! {
        <time datetime=event.created_at.to_rfc3339()>
            {event.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}
        </time>
    }
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
    if events.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    view! {
        <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-left text-sm" aria-label="Audit events">
                <thead class="bg-slate-100 text-slate-600">
                    <tr>
                        <th scope="col" class="px-4 py-2">"When"</th>
                        <th scope="col" class="px-4 py-2">"Who"</th>
                        <th scope="col" class="px-4 py-2">"What"</th>
                        {show_model.then(|| view! { <th scope="col" class="px-4 py-2">"Model"</th> })}
                        <th scope="col" class="px-4 py-2">"Action"</th>
                    </tr>
                </thead>
                <tbody>
                    {events
                        .iter()
                        .map(|e| {
                            let model = show_model.then(|| {
                                let cell = e.model.clone().map(|m| {
                                    if e.model_deleted {
                                        view! {
                                            <span class="text-slate-600">{m.clone()}</span>
                                            " "
                                            <span class="text-xs text-slate-500">"(deleted)"</span>
                                        }
                                        .into_any()
                                    } else {
                                        view! { <a href=format!("/models/{m}") class="link">{m.clone()}</a> }.into_any()
                                    }
                                });
                                view! { <td class="px-4 py-2">{cell}</td> }
                            });
                            view! {
                                <tr class="border-t border-slate-100 align-top">
                                    <td class="px-4 py-2 whitespace-nowrap text-slate-600">{when(e)}</td>
                                    <td class="px-4 py-2 font-medium">{actor(e)}</td>
                                    <td class="px-4 py-2">{describe(e)}</td>
                                    {model}
                                    <td class="px-4 py-2 font-mono text-xs text-slate-500">{e.action.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
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
