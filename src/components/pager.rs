//! "Showing 1–50 of 53" with Previous and Next links: paging through any list whose place is in
//! the address (the search and the offset), so it works the same with JavaScript off.

use crate::domain::paging::Page;
use leptos::prelude::*;

/// Where the reader is in a list, from the address: what `?search=` asks for (empty for
/// everything) and `?offset=`, the place of the first item shown (0 unless it says otherwise).
pub fn use_list_place() -> (Signal<String>, Signal<i64>) {
    let query = leptos_router::hooks::use_query_map();
    let search = Signal::derive(move || query.with(|q| q.get("search").unwrap_or_default()));
    let offset = Signal::derive(move || {
        query.with(|q| {
            q.get("offset")
                .and_then(|o| o.parse::<i64>().ok())
                .unwrap_or(0)
        })
    });
    (search, offset)
}

/// `base?search=…&offset=N`: where page N of a list filtered by `search` lives.
pub fn searched_list_href(base: &str, search: &str, offset: i64) -> String {
    if search.is_empty() {
        format!("{base}?offset={offset}")
    } else {
        format!(
            "{base}?search={}&offset={offset}",
            crate::components::file_tree::encode_component(search)
        )
    }
}

/// The pager under a page of `page`; `href(offset)` is the address of the page starting there.
pub fn pager<T>(page: &Page<T>, href: impl Fn(i64) -> String) -> AnyView {
    let previous = (page.offset > 0).then(|| href((page.offset - page.limit).max(0)));
    let next =
        (page.offset + page.count < page.total_count).then(|| href(page.offset + page.limit));
    let summary = if page.count == 0 {
        format!("Showing 0 of {}", page.total_count)
    } else {
        format!(
            "Showing {}–{} of {}",
            page.offset + 1,
            page.offset + page.count,
            page.total_count
        )
    };
    pager_nav(summary, previous, next)
}

/// The pager itself: where the list is (`summary`) and links to the pages before and after.
pub fn pager_nav(summary: String, previous: Option<String>, next: Option<String>) -> AnyView {
    view! {
        <nav aria-label="Pages" class="mt-4 flex items-center justify-between text-sm">
            <p class="text-slate-600">{summary}</p>
            <div class="flex gap-3">
                {previous.map(|href| view! { <a href=href rel="prev" class="btn-secondary">"Previous"</a> })}
                {next.map(|href| view! { <a href=href rel="next" class="btn-secondary">"Next"</a> })}
            </div>
        </nav>
    }
    .into_any()
}

/// A list's search box: a plain GET form to the list's own address, so results have one too.
#[component]
pub fn ListSearch(
    /// The list's address.
    action: &'static str,
    /// The input's id.
    id: &'static str,
    /// The input's accessible name ("Search users").
    label: &'static str,
    placeholder: &'static str,
    /// What is searched for now.
    value: String,
    /// Classes added to the form's (margins).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let class = format!("{class} flex items-end gap-2")
        .trim_start()
        .to_owned();
    view! {
        <form method="get" action=action role="search" class=class>
            <div>
                <label for=id class="sr-only">{label}</label>
                <input id=id type="search" name="search" class="input" placeholder=placeholder value=value />
            </div>
            <button type="submit" class="btn-secondary">"Search"</button>
        </form>
    }
}
