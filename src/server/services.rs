//! The rules, one place each, used by server functions, REST routes and the command line alike.

pub mod audit;
pub mod models;
pub mod tokens;
pub mod users;
