//! The admin console's heading and section tabs.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminSection {
    Users,
    Teams,
    Tokens,
    Limits,
    Audit,
}

#[component]
pub fn AdminNav(current: AdminSection) -> impl IntoView {
    let tab = move |href: &'static str, label: &'static str, this: AdminSection| {
        let is_current = current == this;
        view! {
            <a
                href=href
                aria-current=is_current.then_some("page")
                class="-mb-px border-b-2 px-3 py-2 text-sm font-medium"
                class=(["border-indigo-600", "text-indigo-700"], is_current)
                class=(["border-transparent", "text-slate-600", "hover:text-indigo-700"], !is_current)
            >
                {label}
            </a>
        }
    };
    view! {
        <p class="mb-1 text-sm text-slate-500">"Admin"</p>
        <nav aria-label="Admin sections" class="mb-6 flex gap-2 border-b border-slate-200">
            {tab("/admin/users", "Users", AdminSection::Users)}
            {tab("/admin/teams", "Teams", AdminSection::Teams)}
            {tab("/admin/tokens", "Tokens", AdminSection::Tokens)}
            {tab("/admin/limits", "Limits", AdminSection::Limits)}
            {tab("/admin/audit", "Audit log", AdminSection::Audit)}
        </nav>
    }
}
