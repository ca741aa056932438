//! A "Copy" button for text shown on the page, an island. Copying needs the browser's
//! clipboard, so the button appears only once the island is hydrated; without JavaScript the
//! text stays selectable.

use leptos::prelude::*;

#[cfg_attr(any(feature = "ssr", feature = "bundle-main"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "bundle-main")), component)]
pub fn CopyButton(text: String, label: String) -> impl IntoView {
    crate::components::island_scripts::note_island(crate::components::island_scripts::Bundle::Main);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let status = RwSignal::new(None::<&'static str>);
    let text = StoredValue::new(text);
    let label = StoredValue::new(label);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let promise =
                web_sys::window().map(|w| w.navigator().clipboard().write_text(&text.read_value()));
            leptos::task::spawn_local(async move {
                let copied = match promise {
                    Some(p) => wasm_bindgen_futures::JsFuture::from(p).await.is_ok(),
                    None => false,
                };
                status.set(Some(if copied {
                    "Copied"
                } else {
                    "Copy failed: select the text instead"
                }));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (text, status);
    };
    view! {
        <Show when=move || hydrated.get()>
            <span class="inline-flex items-center">
            <button type="button" class="btn-secondary px-2 py-1 text-xs" aria-label=label.get_value() on:click=copy>
                "Copy"
            </button>
            <span role="status" class="ml-2 text-xs text-slate-600">{move || status.get()}</span>
            </span>
        </Show>
    }
}
