//! Modelyard: a self-hosted model registry.
//!
//! The crate builds twice: with `ssr` as the server binary (pages rendered on the server, the
//! REST API, the database), and with `hydrate` as the WASM that makes the pages interactive in
//! the browser. Dependencies point one way: pages → components → api → domain; server → domain.

#![recursion_limit = "256"]

/// Server functions the pages call; thin wrappers over the server's services.
pub mod api;
/// The HTML shell, the top-level component and the route table.
pub mod app;
/// The command line: serving, and the admin commands (users, tokens, storage checks).
#[cfg(feature = "ssr")]
pub mod cli;
/// Reusable pieces of UI: layout, forms, messages.
pub mod components;
/// Shared types and pure rules (validation, paging); compiles for the browser too.
pub mod domain;
/// One module per page.
pub mod pages;
/// Mounts the pages, the server functions and the REST API on one router; with `cli`, the only
/// module that sees every layer.
#[cfg(feature = "ssr")]
pub mod router;
/// Server-only: configuration, database, sign-in, services, REST API, command line.
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM build. Pages are HTML from the server; only their islands (the
/// `#[island]` components: uploads, live jobs, checks as you type, copy buttons) run here, and
/// only pages that hold one load a bundle (one per kind of island, `island_scripts::Bundle`). The
/// loader (components/island_loader.js) hydrates each island right after this returns, then marks
/// the page (`<html data-hydrated>`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
