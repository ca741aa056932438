//! Browser-only plumbing for uploads: the `File` objects behind the picked list, files from
//! inputs and from dropped folders (walked recursively), and `XMLHttpRequest`s as futures with
//! upload progress.

use js_sys::{Array, Function, Promise, Reflect};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, File, FileSystemDirectoryEntry, FileSystemDirectoryReader, FileSystemEntry,
    FileSystemFileEntry, HtmlInputElement, XmlHttpRequest,
};

/// What the page cannot keep in signals (JS objects are not `Send`): picked files and the
/// requests sending them, by file id.
#[derive(Default)]
pub struct Handles {
    pub next_id: u64,
    pub files: HashMap<u64, File>,
    pub requests: HashMap<u64, XmlHttpRequest>,
    /// Set by "Cancel upload": workers stop taking files.
    pub canceled: bool,
}

/// The files of a file input with their relative paths: `webkitRelativePath` for a folder
/// input (web-sys has no getter for it), the plain name otherwise.
pub fn files_from_input(input: &HtmlInputElement) -> Vec<(String, File)> {
    let Some(list) = input.files() else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            let relative = Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|p| !p.is_empty());
            (relative.unwrap_or_else(|| file.name()), file)
        })
        .collect()
}

/// The entries of a drop, taken synchronously: the browser empties the `DataTransfer` once the
/// event handler returns.
pub fn entries_from_drop(data: &DataTransfer) -> (Vec<FileSystemEntry>, Vec<File>) {
    let items = data.items();
    let mut entries = Vec::new();
    let mut loose = Vec::new();
    for i in 0..items.length() {
        let Some(item) = items.get(i) else { continue };
        if item.kind() != "file" {
            continue;
        }
        match item.webkit_get_as_entry() {
            Ok(Some(entry)) => entries.push(entry),
            // Browsers without the entries API still give the file itself.
            _ => {
                if let Ok(Some(file)) = item.get_as_file() {
                    loose.push(file);
                }
            }
        }
    }
    (entries, loose)
}

/// Every file under the dropped entries, with paths relative to the drop (a dropped folder's
/// name is the first segment). Unreadable entries are reported, not fatal.
pub async fn walk_entries(entries: Vec<FileSystemEntry>) -> (Vec<(String, File)>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut stack: Vec<(String, FileSystemEntry)> =
        entries.into_iter().map(|e| (e.name(), e)).collect();
    // Depth-first, keeping the order the browser gave within a folder.
    stack.reverse();
    while let Some((path, entry)) = stack.pop() {
        if entry.is_directory() {
            let dir: FileSystemDirectoryEntry = entry.unchecked_into();
            match read_directory(&dir.create_reader()).await {
                Ok(children) => {
                    for child in children.into_iter().rev() {
                        stack.push((format!("{path}/{}", child.name()), child));
                    }
                }
                Err(e) => errors.push(format!("The folder '{path}' could not be read: {e}")),
            }
        } else if entry.is_file() {
            let file_entry: FileSystemFileEntry = entry.unchecked_into();
            match entry_file(&file_entry).await {
                Ok(file) => files.push((path, file)),
                Err(e) => errors.push(format!("The file '{path}' could not be read: {e}")),
            }
        }
    }
    (files, errors)
}

/// All entries of a folder: `readEntries` answers in batches until one is empty.
async fn read_directory(
    reader: &FileSystemDirectoryReader,
) -> Result<Vec<FileSystemEntry>, String> {
    let mut all = Vec::new();
    loop {
        let batch = callback_promise(|ok, err| {
            if let Err(e) = reader.read_entries_with_callback_and_callback(ok, err) {
                let _ = err.call1(&JsValue::NULL, &e);
            }
        })
        .await?;
        let batch: Array = batch.unchecked_into();
        if batch.length() == 0 {
            return Ok(all);
        }
        all.extend(batch.iter().map(JsCast::unchecked_into::<FileSystemEntry>));
    }
}

async fn entry_file(entry: &FileSystemFileEntry) -> Result<File, String> {
    let file = callback_promise(|ok, err| {
        entry.file_with_callback_and_callback(ok, err);
    })
    .await?;
    file.dyn_into::<File>()
        .map_err(|_| "the browser gave no file".to_owned())
}

/// Turns a success/error callback API into a future.
async fn callback_promise(start: impl FnOnce(&Function, &Function)) -> Result<JsValue, String> {
    let mut start = Some(start);
    let promise = Promise::new(&mut |resolve, reject| {
        if let Some(start) = start.take() {
            start(&resolve, &reject);
        }
    });
    JsFuture::from(promise).await.map_err(|e| describe(&e))
}

/// A JS error as text.
pub fn describe(error: &JsValue) -> String {
    if let Some(s) = error.as_string() {
        return s;
    }
    Reflect::get(error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// How a request ended.
pub enum Outcome {
    /// The server answered (any status) with this body.
    Answered {
        status: u16,
        body: String,
    },
    Aborted,
    /// No answer: the network failed or the server went away.
    NetworkError,
}

/// A request body.
pub enum Body<'a> {
    Empty,
    Json(&'a str),
    File(&'a File),
}

/// Sends a same-origin request (the session cookie goes along) and waits for its end.
/// `on_progress` gets the bytes of the body sent so far; `started` gets the request so it can
/// be aborted while it runs.
pub async fn send(
    method: &str,
    url: &str,
    body: Body<'_>,
    mut on_progress: impl FnMut(f64) + 'static,
    started: impl FnOnce(&XmlHttpRequest),
) -> Outcome {
    let Ok(xhr) = XmlHttpRequest::new() else {
        return Outcome::NetworkError;
    };
    if xhr.open(method, url).is_err() {
        return Outcome::NetworkError;
    }
    xhr.set_with_credentials(true);
    let _ = xhr.set_request_header("Accept", "application/json");
    let progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            on_progress(e.loaded());
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let xhr_for_end = xhr.clone();
    let ended = Promise::new(&mut |resolve, _reject| {
        xhr_for_end.set_onloadend(Some(&resolve));
    });
    let aborted = Rc::new(Cell::new(false));
    let flag = aborted.clone();
    let onabort = Closure::<dyn FnMut()>::new(move || flag.set(true));
    xhr.set_onabort(Some(onabort.as_ref().unchecked_ref()));
    let sent = match body {
        Body::Empty => xhr.send(),
        Body::Json(text) => xhr
            .set_request_header("Content-Type", "application/json")
            .and_then(|()| xhr.send_with_opt_str(Some(text))),
        Body::File(file) => xhr
            .set_request_header("Content-Type", "application/octet-stream")
            .and_then(|()| xhr.send_with_opt_blob(Some(file))),
    };
    if sent.is_err() {
        return Outcome::NetworkError;
    }
    started(&xhr);
    let _ = JsFuture::from(ended).await;
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(None);
    }
    xhr.set_onabort(None);
    xhr.set_onloadend(None);
    drop(progress);
    drop(onabort);
    let status = xhr.status().unwrap_or_default();
    if aborted.get() {
        Outcome::Aborted
    } else if status == 0 {
        Outcome::NetworkError
    } else {
        Outcome::Answered {
            status,
            body: xhr.response_text().ok().flatten().unwrap_or_default(),
        }
    }
}
