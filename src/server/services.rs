//! The rules, one place each, used by server functions, REST routes and the command line alike.

pub mod access;
pub mod audit;
pub mod datasets;
pub mod downloads;
pub mod feature_impact;
pub mod feature_impact_runs;
pub mod files;
pub mod form_parts;
pub mod jobs;
pub mod model_checks;
pub mod models;
pub mod signatures;
pub mod sweep;
pub mod teams;
pub mod tokens;
pub mod uploads;
pub mod users;
pub mod versions;
pub mod visibility;
