//! The closed choices of a model: what it predicts, who besides those holding a grant may see
//! it, and the role a caller holds on it.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use serde::{Deserialize, Serialize};

/// What a model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    Binary,
    Multiclass,
    Regression,
    Anomaly,
    TextGeneration,
    Other,
}

impl TargetType {
    pub const ALL: [TargetType; 6] = [
        TargetType::Binary,
        TargetType::Multiclass,
        TargetType::Regression,
        TargetType::Anomaly,
        TargetType::TextGeneration,
        TargetType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Binary => "binary",
            TargetType::Multiclass => "multiclass",
            TargetType::Regression => "regression",
            TargetType::Anomaly => "anomaly",
            TargetType::TextGeneration => "text_generation",
            TargetType::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TargetType::Binary => "Binary classification",
            TargetType::Multiclass => "Multiclass classification",
            TargetType::Regression => "Regression",
            TargetType::Anomaly => "Anomaly detection",
            TargetType::TextGeneration => "Text generation",
            TargetType::Other => "Other",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| {
                ApiError::invalid(
                    "target_type",
                    codes::INVALID_TARGET_TYPE,
                    format!("'{value}' is not a target type."),
                    "Use one of binary, multiclass, regression, anomaly, text_generation, other.",
                )
            })
    }
}

/// Who can see a model besides those with a grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only users and teams with a grant (and admins).
    #[default]
    Private,
    /// Every signed-in user can view.
    Internal,
    /// Anyone, even without signing in, can view.
    Public,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [
        Visibility::Private,
        Visibility::Internal,
        Visibility::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Internal => "internal",
            Visibility::Public => "public",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Private => "Private: only people given access",
            Visibility::Internal => "Internal: everyone signed in",
            Visibility::Public => "Public: anyone",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| {
                ApiError::invalid(
                    "visibility",
                    codes::INVALID_VISIBILITY,
                    format!("'{value}' is not a visibility."),
                    "Use private, internal or public.",
                )
            })
    }
}

/// A caller's role on a model, strongest last so roles compare with `>=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Viewer,
    Editor,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "VIEWER",
            Role::Editor => "EDITOR",
            Role::Owner => "OWNER",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "VIEWER" => Some(Role::Viewer),
            "EDITOR" => Some(Role::Editor),
            "OWNER" => Some(Role::Owner),
            _ => None,
        }
    }
}
