//! Who may do what on a model: role names (including those other registries use), grants to users
//! and teams as clients see them, and the rules for changing grants.

use super::error::ApiError;
use super::model::Role;
use crate::domain::error::codes;
use serde::{Deserialize, Deserializer, Serialize};

/// At most this many grants change in one request.
pub const MAX_ACCESS_CHANGES: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PrincipalType {
    User,
    Team,
}

impl PrincipalType {
    /// `"team"` is a team; anything else a user.
    pub fn from_kind(kind: &str) -> Self {
        if kind == "team" {
            PrincipalType::Team
        } else {
            PrincipalType::User
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "user",
            PrincipalType::Team => "team",
        }
    }
}

/// A user or a team, by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Principal {
    pub principal_type: PrincipalType,
    pub name: String,
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} '{}'", self.principal_type.as_str(), self.name)
    }
}

/// One grant on a model, as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccessEntry {
    pub principal_type: PrincipalType,
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub can_share: bool,
}

/// A user or team found by name, for the sharing page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalMatch {
    pub principal_type: PrincipalType,
    pub name: String,
    pub display_name: String,
}

/// One change as submitted: `role: null` removes the grant; a missing `can_share` keeps what
/// the grant had (and is `false` for a new grant).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessChange {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    /// `None`: the field was left out; `Some(None)`: `null`, remove the grant.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub role: Option<Option<String>>,
    #[serde(default)]
    pub can_share: Option<bool>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PATCH /models/{model}/access`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessUpdate {
    pub data: Vec<AccessChange>,
}

/// A change that passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantChange {
    pub principal: Principal,
    /// `None` removes the grant.
    pub role: Option<Role>,
    pub can_share: Option<bool>,
    /// Where in the request it came from, for error fields (`data[3]`).
    pub index: usize,
}

impl GrantChange {
    pub fn field(&self) -> String {
        let key = match self.principal.principal_type {
            PrincipalType::User => "username",
            PrincipalType::Team => "team",
        };
        format!("data[{}].{key}", self.index)
    }
}

/// Reads a role by its name here (`OWNER`, `EDITOR`, `VIEWER`) or by the names other registries
/// use, ignoring case.
pub fn parse_role(name: &str, field: &str) -> Result<Role, ApiError> {
    match name.trim().to_ascii_uppercase().as_str() {
        "OWNER" | "ADMIN" => Ok(Role::Owner),
        "EDITOR" | "READ_WRITE" | "DATA_SCIENTIST" | "USER" => Ok(Role::Editor),
        "VIEWER" | "READ_ONLY" | "CONSUMER" | "OBSERVER" => Ok(Role::Viewer),
        _ => Err(ApiError::invalid(
            field,
            codes::INVALID_ROLE,
            format!("'{name}' is not a role."),
            "Use OWNER, EDITOR or VIEWER (ADMIN, READ_WRITE, DATA_SCIENTIST, USER, CONSUMER, OBSERVER and READ_ONLY are also understood), or null to remove the grant.",
        )),
    }
}

/// Checks the shape of an access update: 1 to 100 entries, each naming exactly one user or
/// team once, with a known role or `null`.
pub fn validate_access_update(update: &AccessUpdate) -> Result<Vec<GrantChange>, ApiError> {
    if update.data.is_empty() || update.data.len() > MAX_ACCESS_CHANGES {
        return Err(ApiError::invalid(
            "data",
            codes::INVALID_ACCESS_CHANGES,
            format!(
                "An access update holds 1 to {MAX_ACCESS_CHANGES} changes, not {}.",
                update.data.len()
            ),
            format!(
                "Send between 1 and {MAX_ACCESS_CHANGES} entries; split larger changes into several requests."
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut changes = Vec::with_capacity(update.data.len());
    for (index, change) in update.data.iter().enumerate() {
        let username = change.username.as_deref().map(str::trim);
        let team = change.team.as_deref().map(str::trim);
        let principal = match (username, team) {
            (Some(name), None) if !name.is_empty() => Principal {
                principal_type: PrincipalType::User,
                name: name.to_owned(),
            },
            (None, Some(name)) if !name.is_empty() => Principal {
                principal_type: PrincipalType::Team,
                name: name.to_owned(),
            },
            _ => {
                return Err(ApiError::invalid(
                    &format!("data[{index}]"),
                    codes::INVALID_PRINCIPAL,
                    format!(
                        "Change {} must name exactly one user or one team.",
                        index + 1
                    ),
                    "Give either \"username\" or \"team\" in each entry, not both and not neither.",
                ));
            }
        };
        let role = match &change.role {
            None => {
                return Err(ApiError::invalid(
                    &format!("data[{index}].role"),
                    codes::INVALID_ROLE,
                    format!("Change {} has no role.", index + 1),
                    "Give \"role\": OWNER, EDITOR or VIEWER, or null to remove the grant.",
                ));
            }
            Some(None) => None,
            Some(Some(name)) => Some(parse_role(name, &format!("data[{index}].role"))?),
        };
        let key = (principal.principal_type, principal.name.to_lowercase());
        if !seen.insert(key) {
            return Err(ApiError::invalid(
                &format!("data[{index}]"),
                codes::DUPLICATE_PRINCIPAL,
                format!("{principal} appears more than once."),
                "Name each user or team once per request.",
            ));
        }
        changes.push(GrantChange {
            principal,
            role,
            can_share: change.can_share,
            index,
        });
    }
    Ok(changes)
}

/// What a caller holds on a model when sharing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sharer {
    pub is_admin: bool,
    pub role: Option<Role>,
    pub can_share: bool,
}

impl Sharer {
    /// Owners (and admins) may always share; others need the can-share flag on a grant.
    pub fn may_share(&self) -> bool {
        self.is_admin || self.role == Some(Role::Owner) || (self.role.is_some() && self.can_share)
    }

    /// A sharer changes only grants at or below its own role, and grants at most its own role.
    pub fn check(&self, current: Option<Role>, wanted: Option<Role>) -> Result<(), ApiError> {
        if self.is_admin {
            return Ok(());
        }
        if !self.may_share() {
            return Err(ApiError::new(
                403,
                codes::FORBIDDEN,
                "You are not allowed to share this model.",
                "Ask an owner of the model for a grant with 'can share'.",
            ));
        }
        if wanted > self.role || current > self.role {
            return Err(ApiError::new(
                403,
                codes::ROLE_ABOVE_YOUR_OWN,
                "You can only grant, change or remove roles up to your own.",
                "Ask an owner of the model to make this change.",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> AccessUpdate {
        serde_json::from_str(json).expect("json")
    }

    #[test]
    fn role_names_from_other_registries_map() {
        for (name, role) in [
            ("owner", Role::Owner),
            ("ADMIN", Role::Owner),
            ("READ_WRITE", Role::Editor),
            ("DATA_SCIENTIST", Role::Editor),
            ("USER", Role::Editor),
            ("EDITOR", Role::Editor),
            ("CONSUMER", Role::Viewer),
            ("OBSERVER", Role::Viewer),
            ("read_only", Role::Viewer),
            ("VIEWER", Role::Viewer),
        ] {
            assert_eq!(parse_role(name, "role"), Ok(role), "{name}");
        }
        assert_eq!(
            parse_role("GOD", "data[0].role")
                .expect_err("unknown")
                .field
                .as_deref(),
            Some("data[0].role")
        );
    }

    #[test]
    fn null_role_removes_and_missing_role_is_an_error() {
        let changes = validate_access_update(&update(
            r#"{"data": [{"username": "bo", "role": null}, {"team": "ml", "role": "EDITOR", "can_share": true}]}"#,
        ))
        .expect("valid");
        assert_eq!(changes[0].role, None);
        assert_eq!(changes[1].role, Some(Role::Editor));
        assert_eq!(changes[1].can_share, Some(true));
        assert_eq!(changes[1].field(), "data[1].team");
        let missing = validate_access_update(&update(r#"{"data": [{"username": "bo"}]}"#));
        assert_eq!(
            missing.expect_err("no role").field.as_deref(),
            Some("data[0].role")
        );
    }

    #[test]
    fn entries_name_exactly_one_principal_once() {
        for bad in [
            r#"{"data": [{"role": "VIEWER"}]}"#,
            r#"{"data": [{"username": "a", "team": "b", "role": "VIEWER"}]}"#,
            r#"{"data": [{"username": " ", "role": "VIEWER"}]}"#,
        ] {
            assert_eq!(
                validate_access_update(&update(bad))
                    .expect_err(bad)
                    .error_code,
                "INVALID_PRINCIPAL"
            );
        }
        let twice =
            r#"{"data": [{"username": "Bo", "role": "VIEWER"}, {"username": "bo", "role": null}]}"#;
        assert_eq!(
            validate_access_update(&update(twice))
                .expect_err("dup")
                .error_code,
            "DUPLICATE_PRINCIPAL"
        );
        // A user and a team may share a name.
        let same_name =
            r#"{"data": [{"username": "ml", "role": "VIEWER"}, {"team": "ml", "role": "VIEWER"}]}"#;
        assert!(validate_access_update(&update(same_name)).is_ok());
    }

    #[test]
    fn at_most_a_hundred_changes() {
        let entry = |i: usize| format!(r#"{{"username": "u{i}", "role": "VIEWER"}}"#);
        let body = |n: usize| {
            let entries: Vec<String> = (0..n).map(entry).collect();
            format!(r#"{{"data": [{}]}}"#, entries.join(","))
        };
        assert_eq!(
            validate_access_update(&update(&body(100))).map(|c| c.len()),
            Ok(100)
        );
        for n in [0, 101] {
            assert_eq!(
                validate_access_update(&update(&body(n)))
                    .expect_err("count")
                    .error_code,
                "INVALID_ACCESS_CHANGES"
            );
        }
    }

    #[test]
    fn a_sharer_grants_at_most_its_own_role() {
        let editor = Sharer {
            is_admin: false,
            role: Some(Role::Editor),
            can_share: true,
        };
        assert!(editor.check(None, Some(Role::Viewer)).is_ok());
        assert!(editor.check(Some(Role::Viewer), Some(Role::Editor)).is_ok());
        assert!(editor.check(Some(Role::Editor), None).is_ok());
        assert_eq!(
            editor
                .check(None, Some(Role::Owner))
                .expect_err("above")
                .error_code,
            "ROLE_ABOVE_YOUR_OWN"
        );
        assert_eq!(
            editor
                .check(Some(Role::Owner), None)
                .expect_err("demote owner")
                .error_code,
            "ROLE_ABOVE_YOUR_OWN"
        );
        let no_share = Sharer {
            can_share: false,
            ..editor
        };
        assert_eq!(
            no_share
                .check(None, Some(Role::Viewer))
                .expect_err("no share")
                .status,
            403
        );
        let owner = Sharer {
            is_admin: false,
            role: Some(Role::Owner),
            can_share: false,
        };
        assert!(owner.check(Some(Role::Owner), None).is_ok());
        let admin = Sharer {
            is_admin: true,
            role: None,
            can_share: false,
        };
        assert!(admin.check(Some(Role::Owner), Some(Role::Owner)).is_ok());
    }
}
