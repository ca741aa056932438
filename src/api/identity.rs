//! Signing in and out, the first-admin setup, and the caller's API tokens.

use crate::domain::error::ApiError;
#[cfg(feature = "ssr")]
use crate::domain::error::codes;
use crate::domain::identity::{CreatedToken, Me, TokenInfo};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context::{fail, is_form_post, request, require_caller, set_cookie, state};

/// The signed-in user, or `None`.
#[server(prefix = "/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<Me>, ApiError> {
    Ok(super::context::caller().await?.map(|c| c.me()))
}

/// Signs in and goes to the models list.
#[server(prefix = "/fn", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), ApiError> {
    use crate::server::services::users;
    let state = state();
    let cookie = users::sign_in(&state, username.trim(), password)
        .await
        .map_err(fail)?;
    set_cookie(&cookie);
    leptos_axum::redirect("/models");
    Ok(())
}

/// Ends the session and goes to the sign-in page.
#[server(prefix = "/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    let parts = request()?;
    let cookie = crate::server::auth::close_session(&state(), &parts.headers)
        .await
        .map_err(fail)?;
    set_cookie(&cookie);
    leptos_axum::redirect("/login");
    Ok(())
}

/// Whether a first-admin setup link can still be used.
#[server(prefix = "/fn", endpoint = "setup_link_status")]
pub async fn setup_link_status(token: String) -> Result<bool, ApiError> {
    crate::server::services::users::setup_link_is_valid(&state().db, &token)
        .await
        .map_err(fail)
}

/// Creates the first admin from a setup link, then asks them to sign in.
#[server(prefix = "/fn", endpoint = "complete_setup")]
pub async fn complete_setup(
    token: String,
    username: String,
    display_name: String,
    password: String,
    confirm_password: String,
    /// "on" when the box "Load the demo models" is ticked.
    #[server(default)]
    load_demo: Option<String>,
) -> Result<(), ApiError> {
    use crate::server::services::users;
    if password != confirm_password {
        return Err(fail(ApiError::invalid(
            "confirm_password",
            codes::PASSWORDS_DIFFER,
            "The two passwords are not the same.",
            "Type the same password in both boxes.",
        )));
    }
    let new = users::NewUser {
        username: username.trim().to_owned(),
        display_name,
        password,
        is_admin: true,
    };
    let username = new.username.clone();
    let display_name = new.display_name.clone();
    let state = state();
    let admin = users::complete_setup(&state.db, &token, new)
        .await
        .map_err(fail)?;
    if load_demo.is_some_and(|v| !v.is_empty()) {
        let owner = crate::server::auth::Caller {
            user_id: admin,
            username,
            display_name,
            is_admin: true,
            method: crate::server::auth::AuthMethod::Session,
        };
        // Feature impact takes a few seconds per version: the models appear at once and fill
        // in while the admin signs in.
        tokio::spawn(async move {
            if let Err(e) = crate::server::demo::populate(&state, &owner).await {
                tracing::error!("loading the demo models: {e:?}");
            }
        });
        leptos_axum::redirect("/login?setup=done&demo=loading");
    } else {
        leptos_axum::redirect("/login?setup=done");
    }
    Ok(())
}

/// The tokens page: the caller's tokens, and a secret just created by a form post without
/// JavaScript (shown once).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokensView {
    pub tokens: Vec<TokenInfo>,
    pub fresh: Option<CreatedToken>,
}

#[server(prefix = "/fn", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<TokensView, ApiError> {
    use crate::server::{auth, services::tokens};
    let caller = require_caller().await?;
    let state = state();
    let tokens = tokens::list_tokens(&state.db, &caller.user_id)
        .await
        .map_err(fail)?;
    let parts = request()?;
    let fresh = auth::take_flash(&state, &parts.headers)
        .await
        .map_err(fail)?
        .and_then(|f| serde_json::from_str::<CreatedToken>(&f).ok());
    Ok(TokensView { tokens, fresh })
}

#[server(prefix = "/fn", endpoint = "create_token")]
pub async fn create_token(name: String, expires_in_days: String) -> Result<CreatedToken, ApiError> {
    use crate::domain::identity::NewToken;
    use crate::server::{auth, services::tokens};
    let caller = require_caller().await?;
    let days = match expires_in_days.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| {
            fail(ApiError::invalid(
                "expires_in_days",
                codes::INVALID_EXPIRY,
                format!("'{text}' is not a number of days."),
                "Give a whole number of days between 1 and 3650, or leave it empty.",
            ))
        })?),
    };
    let state = state();
    let created = tokens::create_token(
        &state.db,
        &caller.user_id,
        &NewToken {
            name,
            expires_in_days: days,
        },
    )
    .await
    .map_err(fail)?;
    if is_form_post() {
        // Without JavaScript the browser is redirected back to the page, which shows it once.
        let parts = request()?;
        let kept = serde_json::to_string(&created).map_err(|_| ApiError::internal())?;
        auth::set_flash(&state, &parts.headers, &kept)
            .await
            .map_err(fail)?;
    }
    Ok(created)
}

#[server(prefix = "/fn", endpoint = "revoke_token")]
pub async fn revoke_token(id: String) -> Result<(), ApiError> {
    let caller = require_caller().await?;
    crate::server::services::tokens::revoke_token(&state().db, &caller, &id)
        .await
        .map_err(fail)
}

/// The caller changes their own password. Their other sessions end; this one stays signed in.
#[server(prefix = "/fn", endpoint = "change_own_password")]
pub async fn change_own_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), ApiError> {
    use crate::domain::identity::PasswordChange;
    use crate::server::auth::{self, AuthMethod};
    let caller = require_caller().await?;
    if new_password != confirm_password {
        return Err(fail(ApiError::invalid(
            "confirm_password",
            codes::PASSWORDS_DIFFER,
            "The two new passwords are not the same.",
            "Type the same new password in both boxes.",
        )));
    }
    let parts = request()?;
    let session = match caller.method {
        AuthMethod::Session => auth::current_session_hash(&parts.headers),
        AuthMethod::Token => None,
    };
    let change = PasswordChange {
        current_password,
        new_password,
    };
    crate::server::services::users::change_own_password(
        &state().db,
        &caller,
        session.as_deref(),
        change,
    )
    .await
    .map_err(fail)?;
    leptos_axum::redirect("/settings/password?changed=1");
    Ok(())
}
