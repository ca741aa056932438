//! The limits in force, as `GET /api/v1/limits` and the admin console's limits page report them:
//! what the server was started with, and the rules' own bounds.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Limits {
    pub max_upload_bytes: u64,
    pub max_files_per_version: usize,
    pub max_json_bytes: usize,
    pub max_path_bytes: usize,
    pub max_path_depth: usize,
    pub max_metrics_per_version: usize,
    pub max_version_metadata_bytes: usize,
    pub max_metadata_bytes: usize,
    pub max_tags: usize,
    pub max_page_size: i64,
}

impl Limits {
    /// The limits of a server started with these settings; the rest are the rules' own.
    pub fn with_settings(
        max_upload_bytes: u64,
        max_files_per_version: usize,
        max_json_bytes: usize,
    ) -> Self {
        use crate::domain::{file_path, model, paging, version};
        Self {
            max_upload_bytes,
            max_files_per_version,
            max_json_bytes,
            max_path_bytes: file_path::MAX_PATH_BYTES,
            max_path_depth: file_path::MAX_PATH_DEPTH,
            max_metrics_per_version: version::MAX_METRICS,
            max_version_metadata_bytes: version::MAX_VERSION_METADATA_BYTES,
            max_metadata_bytes: model::MAX_METADATA_BYTES,
            max_tags: model::MAX_TAGS,
            max_page_size: paging::MAX_LIMIT,
        }
    }
}
