//! Shared types and pure rules: what crosses the wire between browser, server and REST clients,
//! and the validation every entry point applies. No I/O; compiles for the browser too.

pub mod access;
pub mod audit;
pub mod byte_range;
pub mod compare;
pub mod dataset;
pub mod download;
pub mod error;
pub mod feature_impact;
pub mod file_path;
pub mod identity;
pub mod job;
pub mod limits;
pub mod model;
pub mod model_check;
pub mod paging;
pub mod requirements;
pub mod signature;
pub mod text;
pub mod timestamp;
pub mod version;
pub mod version_form;
pub mod version_number;
pub mod whole_number;
