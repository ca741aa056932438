//! Everything that runs only on the server: configuration, state, storage of records, sign-in,
//! the services that hold the rules, predictions and the feature-impact computation, the REST
//! API, what operators watch (metrics, request ids) and the command line.

pub mod archive;
pub mod audit;
pub mod auth;
pub mod card;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod feature_impact;
pub mod highlight;
pub mod jobs;
pub mod kept_input;
pub mod markdown;
pub mod metrics;
pub mod predict;
pub mod rest;
pub mod security;
pub mod services;
pub mod state;
pub mod storage;
pub mod transfer;
pub mod upload_form;
pub mod yaml;

pub use error::AppError;
pub use state::AppState;
