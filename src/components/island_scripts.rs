//! The scripts that load the WASM bundles, sent only with pages that hold an island. A page
//! without one is complete as HTML: it loads no JavaScript and no WASM at all.
//!
//! The islands are split over two bundles (`Bundle`), so a page loads only the code of its own
//! kind of island: the upload form alone outweighs all the others. Each island is an island only
//! in the server build and in its own bundle's build (Cargo features `bundle-main` and
//! `bundle-upload`; scripts/build-site.sh builds both); in the other bundle it is a plain
//! component, which nothing there renders and the linker drops.
//!
//! Every island notes itself and its bundle while it renders on the server (`note_island`); the
//! shell places `IslandScripts` after the page, where it renders last, and it writes the preloads
//! and the loader of the bundles that were noted.

use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

/// A browser bundle: which islands it holds is set by each island's `cfg_attr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// Every island but the upload form: feature impact, copy buttons, the model name check,
    /// sharing suggestions.
    Main,
    /// The upload form: picking folders, sending files with progress, publishing.
    Upload,
}

impl Bundle {
    const ALL: [Bundle; 2] = [Bundle::Main, Bundle::Upload];

    /// The files' name after the site's (`modelyard-main.js`, `modelyard-<hash>-upload.wasm`).
    fn suffix(self) -> &'static str {
        match self {
            Bundle::Main => "main",
            Bundle::Upload => "upload",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The bundles the page being rendered needs; provided by the shell for each render.
#[derive(Clone, Debug, Default)]
pub struct IslandsOnPage(Arc<AtomicU8>);

impl IslandsOnPage {
    fn bundles(&self) -> Vec<Bundle> {
        let noted = self.0.load(Ordering::Relaxed);
        Bundle::ALL
            .into_iter()
            .filter(|b| noted & b.bit() != 0)
            .collect()
    }
}

/// Notes that the page being rendered holds an island of `bundle`. Every `#[island]` calls it
/// first; in the browser it does nothing.
pub fn note_island(bundle: Bundle) {
    #[cfg(feature = "ssr")]
    if let Some(on_page) = use_context::<IslandsOnPage>() {
        on_page.0.fetch_or(bundle.bit(), Ordering::Relaxed);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = bundle;
}

/// Loads the page's bundles, hydrates each island, then marks the page (`<html data-hydrated>`).
const LOADER: &str = include_str!("island_loader.js");

/// The preloads and loader of the page's bundles, if it holds an island. Place it at the end of the
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
        let bundles = on_page.bundles();
        (!bundles.is_empty()).then(|| {
            let files: Vec<(String, String)> = bundles
                .iter()
                .map(|b| {
                    let stem = format!("{pkg}-{}", b.suffix());
                    (format!("{stem}.js"), format!("{stem}.wasm"))
                })
                .collect();
            let list = files
                .iter()
                .map(|(js, wasm)| format!("[{js:?}, {wasm:?}]"))
                .collect::<Vec<_>>()
                .join(", ");
            let loader = format!("{}([{list}]);", LOADER.trim_end());
            let preloads = files
                .into_iter()
                .map(|(js, wasm)| {
                    view! {
                        <link rel="modulepreload" href=js crossorigin="anonymous" />
                        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous" />
                    }
                })
                .collect_view();
            view! {
                {preloads}
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
