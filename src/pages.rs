//! One module per page.

pub mod admin_audit_page;
pub mod admin_limits_page;
pub mod admin_team_page;
pub mod admin_teams_page;
pub mod admin_tokens_page;
pub mod admin_users_page;
pub mod compare_page;
pub mod dataset_page;
pub mod datasets_page;
pub mod edit_model_page;
pub mod login_page;
pub mod model_activity_page;
pub mod model_page;
pub mod model_settings_page;
pub mod model_sharing_page;
pub mod model_versions_page;
pub mod models_page;
pub mod new_model_page;
pub mod not_found_page;
pub mod password_page;
pub mod setup_page;
pub mod tokens_page;
pub mod upload_page;
pub mod version_page;
