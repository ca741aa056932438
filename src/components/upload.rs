//! Uploading a new version's files: picking files and folders (drop zone, file and folder
//! inputs), the list of what will be sent, the metrics rows, and the progress of a running
//! upload. The browser-only parts (reading dropped folders, `XMLHttpRequest` with progress
//! events) live in `browser` and `transfer`, compiled for the `hydrate` build only; everything
//! else renders on the server too.

#[cfg(feature = "hydrate")]
pub mod browser;
pub mod file_picker;
pub mod metrics_editor;
pub mod progress;
#[cfg(feature = "hydrate")]
pub mod transfer;

pub use crate::components::file_tree::{encode_component, encode_path};
use crate::domain::error::ApiError;
use crate::domain::file_path::normalize_file_path;
use leptos::prelude::*;

/// How far one picked file has got.
#[derive(Clone, Debug, PartialEq)]
pub enum FileStatus {
    /// Picked, not sent yet.
    Waiting,
    Uploading,
    Done,
    Failed(ApiError),
    Canceled,
}

impl FileStatus {
    pub fn label(&self) -> &'static str {
        match self {
            FileStatus::Waiting => "Waiting",
            FileStatus::Uploading => "Uploading",
            FileStatus::Done => "Done",
            FileStatus::Failed(_) => "Failed",
            FileStatus::Canceled => "Canceled",
        }
    }

    /// Whether the file still counts toward the upload (a canceled one does not).
    pub fn counts(&self) -> bool {
        !matches!(self, FileStatus::Canceled)
    }
}

/// One file picked for upload, as the page shows it. The browser's `File` object itself is kept
/// aside (browser-only) under the same `id`.
#[derive(Clone, Debug, PartialEq)]
pub struct PickedFile {
    pub id: u64,
    /// The normalized relative path the file gets in the version.
    pub path: String,
    pub size: u64,
    /// Bytes sent so far.
    pub sent: u64,
    pub status: FileStatus,
}

/// Where the whole upload stands.
#[derive(Clone, Debug, PartialEq)]
pub enum UploadPhase {
    /// Filling in the form.
    Editing,
    /// Creating the draft version.
    Creating,
    Uploading {
        version: String,
    },
    /// Every file is in, or given up; some failed and may be retried.
    Incomplete {
        version: String,
    },
    Publishing {
        version: String,
    },
    /// Canceling: aborting requests and deleting the draft.
    Canceling,
    /// The draft is gone; when it was the model's only version the model went with it (the
    /// server deletes a model together with its last version).
    Canceled {
        model_deleted: bool,
    },
    Finished {
        version: String,
    },
}

impl UploadPhase {
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            UploadPhase::Creating
                | UploadPhase::Uploading { .. }
                | UploadPhase::Publishing { .. }
                | UploadPhase::Canceling
        )
    }

    /// The draft version being filled, once it exists.
    pub fn version(&self) -> Option<&str> {
        match self {
            UploadPhase::Uploading { version }
            | UploadPhase::Incomplete { version }
            | UploadPhase::Publishing { version }
            | UploadPhase::Finished { version } => Some(version),
            _ => None,
        }
    }
}

/// Everything the upload page's pieces share. `Copy`: hand it to each component.
#[derive(Clone, Copy)]
pub struct UploadState {
    pub model: StoredValue<String>,
    pub files: RwSignal<Vec<PickedFile>>,
    /// Why picked files were refused (invalid paths), shown under the drop zone.
    pub rejected: RwSignal<Vec<String>>,
    pub phase: RwSignal<UploadPhase>,
    /// The failure that stopped the upload (creating the draft, publishing, canceling).
    pub error: RwSignal<Option<ApiError>>,
    /// Average sending speed in bytes per second since the first byte went out.
    pub bytes_per_second: RwSignal<Option<f64>>,
    /// The browser's `File` objects and running requests, by file id.
    #[cfg(feature = "hydrate")]
    pub handles: StoredValue<browser::Handles, LocalStorage>,
}

impl UploadState {
    pub fn new(model: String) -> Self {
        Self {
            model: StoredValue::new(model),
            files: RwSignal::new(Vec::new()),
            rejected: RwSignal::new(Vec::new()),
            phase: RwSignal::new(UploadPhase::Editing),
            error: RwSignal::new(None),
            bytes_per_second: RwSignal::new(None),
            #[cfg(feature = "hydrate")]
            handles: StoredValue::new_local(browser::Handles::default()),
        }
    }

    pub fn update_file(&self, id: u64, change: impl FnOnce(&mut PickedFile)) {
        self.files.update(|files| {
            if let Some(f) = files.iter_mut().find(|f| f.id == id) {
                change(f);
            }
        });
    }

    /// Bytes sent and bytes to send, over the files that still count.
    pub fn totals(&self) -> (u64, u64) {
        self.files.with(|files| {
            files
                .iter()
                .filter(|f| f.status.counts())
                .fold((0, 0), |(sent, total), f| (sent + f.sent, total + f.size))
        })
    }
}

/// Checks a picked file's relative path with the server's rule: the normalized path, or the
/// message saying why it cannot be uploaded.
pub fn check_picked_path(raw: &str) -> Result<String, String> {
    normalize_file_path(raw).map_err(|e| e.error_msg)
}

/// A size for people: `812 B`, `1.5 KiB`, `8.0 MiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Precision loss is irrelevant for a displayed size.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// `/api/v1/models/{model}/versions/{version}` with both parts encoded.
pub fn version_api_url(model: &str, version: &str) -> String {
    format!(
        "/api/v1/models/{}/versions/{}",
        encode_component(model),
        encode_component(version)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(8 * 1024 * 1024), "8.0 MiB");
    }

    #[test]
    fn paths_keep_their_slashes_and_escape_the_rest() {
        assert_eq!(encode_path("model/weights.bin"), "model/weights.bin");
        assert_eq!(encode_path("a b/c#d?.txt"), "a%20b/c%23d%3F.txt");
        assert_eq!(encode_path("é/%"), "%C3%A9/%25");
    }

    #[test]
    fn picked_paths_follow_the_server_rule() {
        assert_eq!(check_picked_path("./a/b.txt"), Ok("a/b.txt".to_owned()));
        assert!(check_picked_path("../secret").is_err());
    }
}
