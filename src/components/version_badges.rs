//! A version's lifecycle at a glance: draft or published, registration trouble, inactive,
//! primary.

use crate::domain::version::{Registration, Version, VersionState};
use leptos::prelude::*;

const BADGE: &str = "mr-1 inline-block rounded-full px-2 py-0.5 text-xs font-medium";

#[component]
pub fn VersionBadges(version: Version) -> impl IntoView {
    let state = match version.state {
        VersionState::Draft => view! {
            <span class=format!("{BADGE} bg-amber-100 text-amber-900")>"draft"</span>
        }
        .into_any(),
        VersionState::Published => view! {
            <span class=format!("{BADGE} bg-emerald-100 text-emerald-900")>"published"</span>
        }
        .into_any(),
    };
    let registration = match version.registration {
        Registration::Ready => None,
        Registration::Pending => Some(view! {
            <span class=format!("{BADGE} bg-sky-100 text-sky-900") title="Uploads or checks are still running">
                "pending"
            </span>
        }
        .into_any()),
        Registration::Failed => Some(view! {
            <span class=format!("{BADGE} bg-red-100 text-red-900") title="Registration failed; this version can never be primary">
                "failed"
            </span>
        }
        .into_any()),
    };
    view! {
        <span class="whitespace-nowrap">
            {version.is_primary.then(|| view! {
                <span class=format!("{BADGE} bg-indigo-600 text-white")>"primary"</span>
            })}
            {state}
            {registration}
            {(!version.active).then(|| view! {
                <span class=format!("{BADGE} bg-slate-200 text-slate-700")>"inactive"</span>
            })}
        </span>
    }
}
