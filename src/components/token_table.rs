//! API tokens as a table, with a Revoke button on each live one: the caller's own on the tokens
//! page, everyone's (with their owners) in the admin console.

use crate::api::identity::RevokeToken;
use crate::components::data_table::{Column, DataTable};
use crate::domain::identity::TokenInfo;
use leptos::form::ActionForm;
use leptos::prelude::*;

fn when(at: Option<chrono::DateTime<chrono::Utc>>, none: &'static str) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| none.to_owned())
}

/// "Revoked", or the button that revokes `token`. Among everyone's tokens the button names the
/// owner too.
fn revoke_cell(
    token: &TokenInfo,
    revoke: ServerAction<RevokeToken>,
    owner: Option<&str>,
) -> AnyView {
    if token.revoked {
        return view! { <span class="text-slate-500">"Revoked"</span> }.into_any();
    }
    let (label, title) = match owner {
        Some(owner) => (Some(format!("Revoke {} of {owner}", token.name)), None),
        None => (None, Some(format!("Revoke {}", token.name))),
    };
    let id = token.id.clone();
    view! {
        <ActionForm action=revoke>
            <input type="hidden" name="id" value=id />
            <button type="submit" class="btn-danger" aria-label=label title=title>"Revoke"</button>
        </ActionForm>
    }
    .into_any()
}

/// `tokens`, newest first; `with_owners` adds a first column naming each token's owner.
#[component]
pub fn TokenTable(
    tokens: Vec<TokenInfo>,
    revoke: ServerAction<RevokeToken>,
    #[prop(optional)] with_owners: bool,
    /// Classes added to the table's box (margins).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let mut columns = Vec::new();
    if with_owners {
        columns.push(Column::new("Owner", "px-4 py-2 font-mono"));
    }
    columns.extend([
        Column::new("Name", "px-4 py-2 font-medium"),
        Column::new("Starts with", "px-4 py-2 font-mono"),
        Column::new("Created", "px-4 py-2"),
        Column::new("Expires", "px-4 py-2"),
        Column::new("Last used", "px-4 py-2"),
        Column::actions("px-4 py-2 text-right"),
    ]);
    let rows = tokens
        .into_iter()
        .map(|t| {
            let owner = with_owners.then(|| t.username.clone().unwrap_or_default());
            let mut cells = Vec::new();
            if let Some(owner) = &owner {
                cells.push(owner.clone().into_any());
            }
            cells.extend([
                t.name.clone().into_any(),
                format!("{}…", t.prefix).into_any(),
                when(Some(t.created_at), "").into_any(),
                when(t.expires_at, "Never").into_any(),
                when(t.last_used_at, "Never").into_any(),
                revoke_cell(&t, revoke, owner.as_deref()),
            ]);
            cells
        })
        .collect();
    view! { <DataTable label="API tokens" columns rows class /> }
}
