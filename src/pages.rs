//! One module per page.

pub mod edit_model_page;
pub mod login_page;
pub mod model_page;
pub mod models_page;
pub mod new_model_page;
pub mod not_found_page;
pub mod setup_page;
pub mod tokens_page;
