//! Audit events as clients see them, the filters they are listed by, and a one-line description
//! of each for people.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: i64,
    /// Who made the change (`null` for the system).
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    /// The model the change belongs to, if any: its current name, or its name when deleted.
    pub model: Option<String>,
    /// The model named by `model` no longer exists (so there is no page to link to).
    #[serde(default)]
    pub model_deleted: bool,
    pub details: Value,
    pub created_at: DateTime<Utc>,
}

/// `GET /audit` filters. `action` is a comma-separated list of actions (`alias.set`) or families
/// (`alias`); `since` / `until` are RFC 3339 times.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// One model (name or id; admins may give a deleted model's id). The caller must own it.
    #[serde(default)]
    pub model: Option<String>,
    /// Events by this username.
    #[serde(default)]
    pub actor: Option<String>,
    /// Comma-separated actions (alias.set) or families (alias).
    #[serde(default)]
    pub action: Option<String>,
    /// From this time (RFC 3339 or a date).
    #[serde(default)]
    pub since: Option<String>,
    /// Before this time.
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

impl AuditQuery {
    /// The query string for a page of these results.
    pub fn to_query_string(&self, offset: i64, limit: i64) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (key, value) in [
            ("model", &self.model),
            ("actor", &self.actor),
            ("action", &self.action),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                pairs.push((key, v.to_owned()));
            }
        }
        pairs.push(("offset", offset.to_string()));
        pairs.push(("limit", limit.to_string()));
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The actions that make up a model's promotion history.
pub const PROMOTION_ACTIONS: &str = "alias,version.promote";

/// Which action names a filter selects: exact names, or whole families when given without a dot.
pub fn action_matches(filter: &str, action: &str) -> bool {
    filter
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .any(|f| {
            if f.contains('.') {
                f == action
            } else {
                action.split('.').next() == Some(f)
            }
        })
}

fn text<'a>(details: &'a Value, key: &str) -> Option<&'a str> {
    details.get(key).and_then(Value::as_str)
}

/// One sentence saying what happened, for lists and timelines.
pub fn describe(event: &AuditEvent) -> String {
    let d = &event.details;
    let version = text(d, "version").unwrap_or("?");
    match event.action.as_str() {
        "model.create" => format!("created the model {}", text(d, "name").unwrap_or("")),
        "model.update" => match d.get("changed").and_then(Value::as_array) {
            Some(fields) if !fields.is_empty() => {
                let names: Vec<&str> = fields.iter().filter_map(Value::as_str).collect();
                format!("changed {}", names.join(", "))
            }
            _ => "changed the model".to_owned(),
        },
        "model.delete" => format!("deleted the model {}", text(d, "name").unwrap_or("")),
        "model.copy" => format!(
            "copied {} to {}",
            text(d, "source").unwrap_or("?"),
            text(d, "name").unwrap_or("?")
        ),
        "version.create" => format!("created version {version}"),
        "version.update" => format!("changed version {version}"),
        "version.publish" => format!("published version {version}"),
        "version.activate" => format!("reactivated version {version}"),
        "version.deactivate" => format!("deactivated version {version}"),
        "version.delete" => format!("deleted version {version}"),
        "version.promote" => match text(d, "from") {
            Some(from) => format!("promoted {version} to primary (was {from})"),
            None => format!("promoted {version} to primary"),
        },
        "file.put" => format!(
            "uploaded {} to version {version}",
            text(d, "path").unwrap_or("a file")
        ),
        "file.delete" => format!(
            "deleted {} from version {version}",
            text(d, "path").unwrap_or("a file")
        ),
        "alias.set" => {
            let alias = text(d, "alias").unwrap_or("?");
            match (text(d, "from"), text(d, "to")) {
                (Some(from), Some(to)) if from != to => {
                    format!("moved alias {alias} from {from} to {to}")
                }
                (_, Some(to)) => format!("set alias {alias} to {to}"),
                _ => format!("set alias {alias}"),
            }
        }
        "alias.delete" => format!("removed alias {}", text(d, "alias").unwrap_or("?")),
        "access.update" => {
            let n = d
                .get("changes")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if n == 1 {
                "changed 1 grant".to_owned()
            } else {
                format!("changed {n} grants")
            }
        }
        "user.create" => format!("created user {}", event.target.trim_start_matches("user:")),
        "user.update" => {
            let names: Vec<&str> = d
                .get("changed")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!(
                "changed user {}: {}",
                event.target.trim_start_matches("user:"),
                names.join(", ")
            )
        }
        "user.password" => "changed their password".to_owned(),
        "user.setup_admin" => "set up the first admin".to_owned(),
        "team.create" => format!("created team {}", event.target.trim_start_matches("team:")),
        "team.delete" => format!("deleted team {}", event.target.trim_start_matches("team:")),
        "team.member_add" => format!(
            "added {} to team {}",
            text(d, "username").unwrap_or("?"),
            event.target.trim_start_matches("team:")
        ),
        "team.member_remove" => format!(
            "removed {} from team {}",
            text(d, "username").unwrap_or("?"),
            event.target.trim_start_matches("team:")
        ),
        "dataset.create" => format!("uploaded the dataset {}", text(d, "name").unwrap_or("")),
        "dataset.delete" => format!("deleted the dataset {}", text(d, "name").unwrap_or("")),
        "version.training_data" => {
            let name = |key: &str| d.get(key).and_then(|v| text(v, "name"));
            match (name("dataset"), name("holdout")) {
                (Some(training), Some(holdout)) => format!(
                    "set the training data of version {version} to {training} (holdout {holdout})"
                ),
                (Some(training), None) => {
                    format!("set the training data of version {version} to {training}")
                }
                _ => format!("cleared the training data of version {version}"),
            }
        }
        "token.create" => format!("created API token {}", text(d, "name").unwrap_or("")),
        "token.revoke" => format!("revoked API token {}", text(d, "name").unwrap_or("")),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(action: &str, details: Value) -> AuditEvent {
        AuditEvent {
            id: 1,
            actor: Some("ada".into()),
            action: action.into(),
            target: "model:x".into(),
            model: Some("churn".into()),
            model_deleted: false,
            details,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn filters_select_actions_and_families() {
        assert!(action_matches("alias", "alias.set"));
        assert!(action_matches("alias", "alias.delete"));
        assert!(!action_matches("alias", "version.promote"));
        assert!(action_matches(PROMOTION_ACTIONS, "version.promote"));
        assert!(!action_matches("version.promote", "version.publish"));
        assert!(!action_matches("", "alias.set"));
        assert!(!action_matches("alias.", "alias.set"));
    }

    #[test]
    fn descriptions_read_as_sentences() {
        assert_eq!(
            describe(&event(
                "alias.set",
                json!({"alias": "production", "from": "0.1.0", "to": "0.2.0"})
            )),
            "moved alias production from 0.1.0 to 0.2.0"
        );
        assert_eq!(
            describe(&event(
                "alias.set",
                json!({"alias": "production", "to": "0.2.0"})
            )),
            "set alias production to 0.2.0"
        );
        assert_eq!(
            describe(&event(
                "version.promote",
                json!({"version": "0.2.0", "from": "0.1.0"})
            )),
            "promoted 0.2.0 to primary (was 0.1.0)"
        );
        assert_eq!(
            describe(&event(
                "model.update",
                json!({"changed": ["description", "tags"]})
            )),
            "changed description, tags"
        );
        assert_eq!(
            describe(&event(
                "version.training_data",
                json!({"version": "0.2.0", "dataset": {"id": "d", "name": "diabetes"}, "holdout": null})
            )),
            "set the training data of version 0.2.0 to diabetes"
        );
        assert_eq!(
            describe(&event(
                "version.training_data",
                json!({"version": "0.2.0", "dataset": null, "holdout": null})
            )),
            "cleared the training data of version 0.2.0"
        );
        assert_eq!(
            describe(&event("something.new", json!({}))),
            "something.new"
        );
    }

    #[test]
    fn query_strings_keep_filters_and_escape_them() {
        let q = AuditQuery {
            model: Some("churn model".into()),
            action: Some(PROMOTION_ACTIONS.into()),
            ..Default::default()
        };
        assert_eq!(
            q.to_query_string(50, 50),
            "model=churn%20model&action=alias%2Cversion.promote&offset=50&limit=50"
        );
    }
}
