//! Reusable pieces of UI.

pub mod forms;
pub mod layout;
pub mod model_form;
pub mod upload;
