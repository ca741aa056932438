//! The scripts that load the WASM bundle, sent only with pages that hold an island. A page
//! without one is complete as HTML: it loads no JavaScript and no WASM at all.
//!
//! Every island notes itself while it renders on the server (`note_island`); the shell places
//! `IslandScripts` after the page, where it renders last, and it writes the bundle's preloads and
//! its loader only if an island was noted.

use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

/// Whether the page being rendered holds an island; provided by the shell for each render.
#[derive(Clone, Debug, Default)]
pub struct IslandsOnPage(Arc<AtomicBool>);

impl IslandsOnPage {
    fn any(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Notes that the page being rendered holds an island. Every `#[island]` calls it first; in the
/// browser it does nothing.
pub fn note_island() {
    #[cfg(feature = "ssr")]
    if let Some(on_page) = use_context::<IslandsOnPage>() {
        on_page.0.store(true, Ordering::Relaxed);
    }
}

/// Loads the bundle, hydrates each island, then marks the page (`<html data-hydrated>`).
const LOADER: &str = include_str!("island_loader.js");

/// The bundle's preloads and loader, if the page holds an island. Place it at the end of the
/// `<body>`, after everything that may hold one: pages render in order (every route is
/// `SsrMode::Async`), so it resolves only once the page before it has, islands in loaded resources
/// included. The page reaches the browser as one piece, so the preloads still start the downloads
/// while the document is parsed.
#[component]
pub fn IslandScripts(options: LeptosOptions) -> impl IntoView {
    let on_page = use_context::<IslandsOnPage>().unwrap_or_default();
    // Read now: what the `Suspend` resolves to is rendered outside the page's reactive owner.
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    Suspend::new(async move {
        AfterWhatCameBefore::default().await;
        on_page.any().then(|| {
            let (js, wasm) = (format!("{pkg}.js"), format!("{pkg}.wasm"));
            let loader = format!("{}({js:?}, {wasm:?});", LOADER.trim_end());
            view! {
                <link rel="modulepreload" href=js crossorigin="anonymous" />
                <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous" />
                <script type="module" nonce=nonce>{loader}</script>
            }
        })
    })
}

/// Pending when first polled, ready when polled again. A `Suspend` polls its future once as it
/// is reached, and an in-order stream polls it again only after everything before it.
#[derive(Default)]
struct AfterWhatCameBefore {
    polled: bool,
}

impl Future for AfterWhatCameBefore {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            Poll::Ready(())
        } else {
            self.polled = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
