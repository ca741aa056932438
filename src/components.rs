//! Reusable pieces of UI.

pub mod admin_nav;
pub mod audit_log;
pub mod charts;
pub mod copy_button;
pub mod data_table;
pub mod feature_impact_panel;
pub mod file_tree;
pub mod forms;
pub mod island_scripts;
pub mod job_progress;
pub mod layout;
pub mod metric_chart;
pub mod model_form;
pub mod model_tabs;
pub mod pager;
pub mod token_table;
pub mod training_data;
pub mod upload;
pub mod version_badges;
