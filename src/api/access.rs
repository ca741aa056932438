//! Who may see and change a model, and what was done to it: its grants (list, grant, change,
//! remove), finding users and teams to share with, and the audit log. The sharing rules and who
//! may read which events live in the services; these only translate forms into their calls.

use crate::domain::access::{AccessEntry, PrincipalMatch};
use crate::domain::audit::{AuditEvent, AuditQuery};
use crate::domain::error::ApiError;
use crate::domain::model::Role;
use crate::domain::paging::Page;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context::{fail, require_caller, state};

/// A model's sharing page: its grants, and what the caller may change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharingView {
    pub entries: Vec<AccessEntry>,
    /// The strongest role the caller may grant, change or remove; `None` when they may not
    /// share the model at all.
    pub max_grant: Option<Role>,
}

impl SharingView {
    pub fn may_share(&self) -> bool {
        self.max_grant.is_some()
    }

    /// Whether the caller may change or remove a grant of this role.
    pub fn may_change(&self, role: Role) -> bool {
        self.max_grant.is_some_and(|max| role <= max)
    }
}

#[server(prefix = "/fn", endpoint = "get_model_sharing")]
pub async fn get_model_sharing(model: String) -> Result<SharingView, ApiError> {
    use crate::server::services::{access, models};
    let caller = require_caller().await?;
    let state = state();
    let found = models::find_model(&state.db, Some(&caller), &model)
        .await
        .map_err(fail)?;
    let entries = access::list_access(&state.db, &caller, &found.id)
        .await
        .map_err(fail)?;
    let sharer = found.sharer;
    let max_grant = if sharer.is_admin {
        Some(Role::Owner)
    } else if sharer.may_share() {
        sharer.role
    } else {
        None
    };
    Ok(SharingView { entries, max_grant })
}

/// One grant change from a form: `grant` is the role and whether it may share, `None` removes
/// the grant.
#[cfg(feature = "ssr")]
async fn change_grant(
    model: &str,
    principal_type: &str,
    name: &str,
    grant: Option<(&str, bool)>,
) -> Result<(), ApiError> {
    use crate::domain::access::{AccessChange, AccessUpdate};
    let caller = require_caller().await?;
    let name = name.trim().to_owned();
    let (username, team) = if principal_type == "team" {
        (None, Some(name))
    } else {
        (Some(name), None)
    };
    let update = AccessUpdate {
        data: vec![AccessChange {
            username,
            team,
            role: Some(grant.map(|(role, _)| role.to_owned())),
            can_share: grant.map(|(_, can_share)| can_share),
        }],
    };
    crate::server::services::access::update_access(&state().db, &caller, model, &update)
        .await
        .map_err(|e| {
            // The form has one entry: point its errors at the form's own fields.
            let mut error = e.into_api_error();
            error.field = error.field.map(|f| {
                if f.ends_with(".role") {
                    "role".to_owned()
                } else {
                    "name".to_owned()
                }
            });
            fail(error)
        })?;
    Ok(())
}

/// Grants a user or team (`principal_type` "user" or "team") a role on a model.
#[server(prefix = "/fn", endpoint = "share_model")]
pub async fn share_model(
    model: String,
    principal_type: String,
    name: String,
    role: String,
    #[server(default)] can_share: Option<String>,
) -> Result<(), ApiError> {
    // The box is ticked when `can_share` is present ("on").
    let grant = Some((role.as_str(), can_share.is_some()));
    change_grant(&model, &principal_type, &name, grant).await
}

/// Changes the role or the can-share flag of an existing grant: granting again, under the same
/// rules.
#[server(prefix = "/fn", endpoint = "change_model_grant")]
pub async fn change_model_grant(
    model: String,
    principal_type: String,
    name: String,
    role: String,
    #[server(default)] can_share: Option<String>,
) -> Result<(), ApiError> {
    share_model(model, principal_type, name, role, can_share).await
}

#[server(prefix = "/fn", endpoint = "remove_model_grant")]
pub async fn remove_model_grant(
    model: String,
    principal_type: String,
    name: String,
) -> Result<(), ApiError> {
    change_grant(&model, &principal_type, &name, None).await
}

/// Active users and teams whose name contains `query`, to share with.
#[server(prefix = "/fn", endpoint = "search_principals")]
pub async fn search_principals(query: String) -> Result<Vec<PrincipalMatch>, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::access::search_principals(&state().db, &caller, &query)
        .await
        .map_err(fail)
}

/// Audit events the caller may read: admins everything, others their own models' events.
#[server(prefix = "/fn", endpoint = "list_audit_events")]
pub async fn list_audit_events(query: AuditQuery) -> Result<Page<AuditEvent>, ApiError> {
    let caller = require_caller().await?;
    crate::server::services::audit::list_events(&state().db, &caller, &query, "/api/v1/audit")
        .await
        .map_err(fail)
}
