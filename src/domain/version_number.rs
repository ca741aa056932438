//! Semantic version numbers (`MAJOR.MINOR.PATCH`), how the next one is chosen, what `{version}`
//! in a path may name, and the rules for alias names.

use super::error::ApiError;
use super::model::preview;
use crate::domain::error::codes;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Field order gives the semantic ordering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct VersionNumber {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

fn number_error(value: &str) -> ApiError {
    ApiError::invalid(
        "version",
        codes::INVALID_VERSION_NUMBER,
        format!("'{}' is not a version number.", preview(value)),
        "Version numbers look like 1.4.0: three whole numbers separated by dots.",
    )
}

impl VersionNumber {
    pub const FIRST: VersionNumber = VersionNumber {
        major: 0,
        minor: 1,
        patch: 0,
    };

    /// Strict `MAJOR.MINOR.PATCH`: decimal digits, no leading zeros (except `0` itself).
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        let trimmed = value.trim();
        let parts: Vec<&str> = trimmed.split('.').collect();
        if parts.len() != 3 {
            return Err(number_error(value));
        }
        let mut numbers = [0u32; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            let well_formed = !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_digit())
                && !(part.len() > 1 && part.starts_with('0'));
            if !well_formed {
                return Err(number_error(value));
            }
            *slot = part.parse().map_err(|_| number_error(value))?;
        }
        Ok(Self {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
        })
    }

    pub fn bump(self, bump: Bump) -> Self {
        match bump {
            Bump::Major => Self {
                major: self.major.saturating_add(1),
                minor: 0,
                patch: 0,
            },
            Bump::Minor => Self {
                major: self.major,
                minor: self.minor.saturating_add(1),
                patch: 0,
            },
            Bump::Patch => Self {
                patch: self.patch.saturating_add(1),
                ..self
            },
        }
    }

    /// The number a new version gets: [`Self::FIRST`] when there is none yet, else the highest
    /// existing number bumped.
    pub fn next(latest: Option<VersionNumber>, bump: Bump) -> Self {
        latest.map_or(Self::FIRST, |l| l.bump(bump))
    }
}

impl fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Which part of the number a new version raises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Major,
    #[default]
    Minor,
    Patch,
}

impl Bump {
    pub const ALL: [Bump; 3] = [Bump::Major, Bump::Minor, Bump::Patch];

    pub fn parse(value: &str) -> Result<Self, ApiError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "major" => Ok(Bump::Major),
            "minor" => Ok(Bump::Minor),
            "patch" => Ok(Bump::Patch),
            _ => Err(ApiError::invalid(
                "bump",
                codes::INVALID_BUMP,
                format!("'{}' is not a way to bump a version.", preview(value)),
                "Use 'major', 'minor' (the default) or 'patch'.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Major => "major",
            Bump::Minor => "minor",
            Bump::Patch => "patch",
        }
    }
}

/// What `{version}` in a URL path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionRef {
    Number(VersionNumber),
    Latest,
    Primary,
    Alias(String),
}

impl VersionRef {
    /// A version number, `latest`, `primary`, or else an alias name.
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        let trimmed = value.trim();
        if let Ok(n) = VersionNumber::parse(trimmed) {
            return Ok(VersionRef::Number(n));
        }
        let lower = trimmed.to_ascii_lowercase();
        match lower.as_str() {
            "latest" => return Ok(VersionRef::Latest),
            "primary" => return Ok(VersionRef::Primary),
            _ => {}
        }
        if is_alias_shape(&lower) {
            return Ok(VersionRef::Alias(lower));
        }
        Err(ApiError::new(
            404,
            codes::VERSION_NOT_FOUND,
            format!(
                "'{}' is neither a version number nor an alias.",
                preview(value)
            ),
            "Use a number such as 1.4.0, an alias, 'latest' or 'primary'; list the model's versions to see what exists.",
        ))
    }
}

pub const RESERVED_ALIASES: [&str; 2] = ["latest", "primary"];
pub const MAX_ALIAS_CHARS: usize = 64;

fn is_alias_shape(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= MAX_ALIAS_CHARS
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// `v1`, `v1.2.0`, `v2-0`: names that read as a version number.
fn looks_like_version(name: &str) -> bool {
    name.strip_prefix('v').is_some_and(|rest| {
        !rest.is_empty()
            && rest.starts_with(|c: char| c.is_ascii_digit())
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '_')
    })
}

/// Alias names: 1–64 lowercase letters, digits, `-` and `_`, starting with a letter; not a
/// reserved name, and never something that reads as a version number.
pub fn validate_alias_name(name: &str) -> Result<String, ApiError> {
    let solution = "Use 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter, for example 'production' or 'staging'.";
    let name = name.trim();
    let invalid = |msg: String| ApiError::invalid("alias", codes::INVALID_ALIAS, msg, solution);
    if name.is_empty() {
        return Err(invalid("An alias needs a name.".into()));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ApiError::invalid(
            "alias",
            codes::INVALID_ALIAS,
            format!(
                "'{}' has capital letters; alias names are lowercase.",
                preview(name)
            ),
            format!(
                "Write it in lowercase: '{}'.",
                preview(&name.to_ascii_lowercase())
            ),
        ));
    }
    if !is_alias_shape(name) {
        return Err(invalid(format!(
            "'{}' is not a valid alias name.",
            preview(name)
        )));
    }
    if RESERVED_ALIASES.contains(&name) {
        return Err(invalid(format!(
            "'{name}' is reserved: it always means the {name} version."
        )));
    }
    if looks_like_version(name) {
        return Err(invalid(format!(
            "'{name}' reads as a version number, which would be confusing in paths."
        )));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strict_numbers() {
        assert_eq!(
            VersionNumber::parse(" 1.4.0 ").expect("valid"),
            VersionNumber {
                major: 1,
                minor: 4,
                patch: 0
            }
        );
        assert_eq!(
            VersionNumber::parse("0.0.0").expect("valid").to_string(),
            "0.0.0"
        );
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "v1.2.3",
            "1.-2.3",
            "1.2.x",
            "99999999999.0.0",
            "1..3",
        ] {
            let e = VersionNumber::parse(bad).expect_err(bad);
            assert_eq!(e.error_code, "INVALID_VERSION_NUMBER");
        }
    }

    #[test]
    fn orders_semantically() {
        let a = VersionNumber::parse("1.10.0").expect("valid");
        let b = VersionNumber::parse("1.9.9").expect("valid");
        assert!(a > b);
    }

    #[test]
    fn bumps_from_the_highest() {
        assert_eq!(VersionNumber::next(None, Bump::Major).to_string(), "0.1.0");
        let l = VersionNumber::parse("1.4.2").expect("valid");
        assert_eq!(
            VersionNumber::next(Some(l), Bump::Major).to_string(),
            "2.0.0"
        );
        assert_eq!(
            VersionNumber::next(Some(l), Bump::Minor).to_string(),
            "1.5.0"
        );
        assert_eq!(
            VersionNumber::next(Some(l), Bump::Patch).to_string(),
            "1.4.3"
        );
        assert_eq!(Bump::parse(" PATCH ").expect("valid"), Bump::Patch);
        assert_eq!(
            Bump::parse("huge").expect_err("bad").field.as_deref(),
            Some("bump")
        );
    }

    #[test]
    fn version_refs() {
        assert_eq!(VersionRef::parse("LATEST").expect("ok"), VersionRef::Latest);
        assert_eq!(
            VersionRef::parse("primary").expect("ok"),
            VersionRef::Primary
        );
        assert_eq!(
            VersionRef::parse("Production").expect("ok"),
            VersionRef::Alias("production".into())
        );
        assert!(matches!(
            VersionRef::parse("2.0.1").expect("ok"),
            VersionRef::Number(_)
        ));
        for bad in ["1.2", "../x", "", "a b", "1.2.3.4"] {
            assert_eq!(VersionRef::parse(bad).expect_err(bad).status, 404);
        }
    }

    #[test]
    fn alias_names() {
        for good in [
            "production",
            "staging",
            "champion-2",
            "a",
            "v-next",
            "version_b",
        ] {
            assert_eq!(validate_alias_name(good).expect(good), good);
        }
        for bad in [
            "",
            "Prod",
            "1.0.0",
            "latest",
            "primary",
            "v1",
            "v1.2.0",
            "v2-0",
            "-x",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            let e = validate_alias_name(bad).expect_err(bad);
            assert_eq!(e.error_code, "INVALID_ALIAS", "{bad}");
            assert_eq!(e.field.as_deref(), Some("alias"));
        }
    }
}
