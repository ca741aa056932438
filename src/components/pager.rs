//! "Showing 1–50 of 53" with Previous and Next links: paging through any list whose place is in
//! the address, so it works the same with JavaScript off.

use crate::domain::paging::Page;
use leptos::prelude::*;

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
