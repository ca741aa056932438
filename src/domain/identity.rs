//! Users and API tokens as clients see them, and the rules for names and passwords.

use super::error::ApiError;
use crate::domain::error::codes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 1024;
pub const MAX_USERNAME_CHARS: usize = 64;
pub const MAX_DISPLAY_NAME_CHARS: usize = 128;
pub const MAX_TOKEN_NAME_CHARS: usize = 64;
pub const MAX_TOKEN_DAYS: i64 = 3650;
/// Every API token starts with this, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "myd_";

/// The signed-in caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
}

/// An API token as listed; never carries the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    /// Whose token it is; given in the admins' list of every token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// A token just created: the only time the secret is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub token: String,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A request for a new token.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    #[serde(
        default,
        deserialize_with = "crate::domain::whole_number::optional_i64"
    )]
    pub expires_in_days: Option<i64>,
}

/// A user as admins see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

/// `POST /users` (admins).
#[derive(Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub password: String,
    #[serde(default)]
    pub is_admin: bool,
}

impl std::fmt::Debug for NewUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserRequest")
            .field("username", &self.username)
            .field("is_admin", &self.is_admin)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `PATCH /users/{username}` (admins): every field optional; `password` resets it.
#[derive(Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub is_admin: Option<bool>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

impl std::fmt::Debug for UserPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserPatch")
            .field("display_name", &self.display_name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("is_admin", &self.is_admin)
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// `PUT /me/password`: the caller changes their own password.
#[derive(Clone, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange(<redacted>)")
    }
}

/// A team and its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: String,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub members: Vec<TeamMember>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamMember {
    pub username: String,
    pub display_name: String,
}

/// `POST /teams` (admins).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

pub const MAX_TEAM_DESCRIPTION_CHARS: usize = 1000;

/// Team names follow the username rules, reported against the `name` field.
pub fn validate_team_name(name: &str) -> Result<String, ApiError> {
    validate_username(name.trim()).map_err(|_| {
        ApiError::invalid(
            "name",
            codes::INVALID_TEAM_NAME,
            format!("'{}' is not a valid team name.", name.trim()),
            format!(
                "Use 1 to {MAX_USERNAME_CHARS} characters: letters, digits, '-', '_' and '.', starting with a letter or digit."
            ),
        )
    })
}

pub fn validate_team_description(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.chars().count() > MAX_TEAM_DESCRIPTION_CHARS {
        return Err(ApiError::invalid(
            "description",
            codes::INVALID_DESCRIPTION,
            "This team description is too long.",
            format!("Use at most {MAX_TEAM_DESCRIPTION_CHARS} characters."),
        ));
    }
    Ok(text.to_owned())
}

pub fn validate_username(name: &str) -> Result<String, ApiError> {
    let invalid = |msg: String| {
        ApiError::invalid(
            "username",
            codes::INVALID_USERNAME,
            msg,
            format!(
                "Use 1 to {MAX_USERNAME_CHARS} characters: letters, digits, '-', '_' and '.', starting with a letter or digit."
            ),
        )
    };
    let chars = name.chars().count();
    if chars == 0 {
        return Err(invalid("A username is required.".to_owned()));
    }
    if chars > MAX_USERNAME_CHARS {
        return Err(invalid(format!(
            "Usernames are at most {MAX_USERNAME_CHARS} characters."
        )));
    }
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let all_allowed = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !starts_well || !all_allowed {
        return Err(invalid(format!("'{name}' is not a valid username.")));
    }
    Ok(name.to_owned())
}

pub fn validate_display_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "display_name",
            codes::INVALID_DISPLAY_NAME,
            "This display name is too long or contains control characters.",
            format!("Use at most {MAX_DISPLAY_NAME_CHARS} printable characters."),
        ));
    }
    Ok(name.to_owned())
}

pub fn validate_password(password: &str) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(ApiError::invalid(
            "password",
            codes::INVALID_PASSWORD,
            format!(
                "Passwords must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long."
            ),
            "Choose a longer password; a phrase of several words is easy to remember.",
        ));
    }
    Ok(())
}

pub fn validate_token_request(request: &NewToken) -> Result<(String, Option<i64>), ApiError> {
    let name = request.name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_TOKEN_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "name",
            codes::INVALID_TOKEN_NAME,
            format!("A token name must be 1 to {MAX_TOKEN_NAME_CHARS} printable characters."),
            "Name the token after where it is used, for example 'ci-pipeline'.",
        ));
    }
    if let Some(days) = request.expires_in_days
        && !(1..=MAX_TOKEN_DAYS).contains(&days)
    {
        return Err(ApiError::invalid(
            "expires_in_days",
            codes::INVALID_EXPIRY,
            format!("A token can expire in 1 to {MAX_TOKEN_DAYS} days, not {days}."),
            "Give a number of days between 1 and 3650, or leave it out for a token that does not expire.",
        ));
    }
    Ok((name.to_owned(), request.expires_in_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(validate_username("alice").is_ok());
        assert!(validate_username("a.b-c_1").is_ok());
        for bad in ["", "-alice", "al ice", "ålice", &"a".repeat(65)] {
            assert_eq!(
                validate_username(bad).expect_err(bad).error_code,
                "INVALID_USERNAME"
            );
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(validate_password("12345678").is_ok());
        assert_eq!(
            validate_password("1234567").expect_err("short").error_code,
            "INVALID_PASSWORD"
        );
    }

    #[test]
    fn token_requests() {
        let ok = NewToken {
            name: " ci ".into(),
            expires_in_days: Some(30),
        };
        assert_eq!(validate_token_request(&ok), Ok(("ci".to_owned(), Some(30))));
        for days in [0, -1, 3651] {
            let bad = NewToken {
                name: "ci".into(),
                expires_in_days: Some(days),
            };
            assert_eq!(
                validate_token_request(&bad).expect_err("days").error_code,
                "INVALID_EXPIRY"
            );
        }
        let unnamed = NewToken::default();
        assert_eq!(
            validate_token_request(&unnamed)
                .expect_err("name")
                .error_code,
            "INVALID_TOKEN_NAME"
        );
    }

    #[test]
    fn team_names_follow_username_rules() {
        assert_eq!(
            validate_team_name(" ml-platform "),
            Ok("ml-platform".to_owned())
        );
        let bad = validate_team_name("ml platform").expect_err("space");
        assert_eq!(bad.error_code, "INVALID_TEAM_NAME");
        assert_eq!(bad.field.as_deref(), Some("name"));
    }

    #[test]
    fn password_requests_hide_passwords_in_debug() {
        let patch = UserPatch {
            password: Some("hunter2hunter2".into()),
            ..Default::default()
        };
        assert!(!format!("{patch:?}").contains("hunter2"));
        let change = PasswordChange {
            current_password: "old-secret-1".into(),
            new_password: "new-secret-2".into(),
        };
        assert!(!format!("{change:?}").contains("secret"));
    }

    #[test]
    fn created_token_debug_hides_the_secret() {
        let t = CreatedToken {
            id: "1".into(),
            name: "ci".into(),
            prefix: "myd_abcd".into(),
            created_at: Utc::now(),
            expires_at: None,
            token: "myd_supersecret".into(),
        };
        assert!(!format!("{t:?}").contains("supersecret"));
    }
}
