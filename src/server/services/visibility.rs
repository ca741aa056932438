//! Who may see what. One rule, used by every list and look-up that filters by it:
//! - a model: public ones by anyone, internal ones by everyone signed in, private ones by those
//!   holding a grant on it (their own or a team's), and everything by admins;
//! - a dataset: by its uploader, by admins, and by everyone who can see a model with a version
//!   that uses it;
//! - a model's audit log: by the model's owners (their own grant or a team's) and admins.
//!
//! What a caller cannot see is "not found", so its existence does not leak.

use crate::server::auth::Caller;
use crate::server::db::QueryBuilder;

/// `(...) x`: the grants a user holds on the model `m`, their own and their teams'.
pub(crate) fn push_grants_of(q: &mut QueryBuilder<'_>, user_id: &str) {
    q.push(
        "(SELECT g.role, g.can_share FROM model_grants g WHERE g.model_id = m.id AND g.user_id = ",
    );
    q.push_bind(user_id.to_owned());
    q.push(
        " UNION ALL SELECT tg.role, tg.can_share FROM model_team_grants tg
          JOIN team_members tm ON tm.team_id = tg.team_id
          WHERE tg.model_id = m.id AND tm.user_id = ",
    );
    q.push_bind(user_id.to_owned());
    q.push(") x");
}

/// The ids of the models a user holds any grant on, directly or through a team (a sub-select).
fn push_granted_model_ids(q: &mut QueryBuilder<'_>, user_id: &str) {
    q.push("SELECT g.model_id FROM model_grants g WHERE g.user_id = ");
    q.push_bind(user_id.to_owned());
    q.push(
        " UNION ALL SELECT tg.model_id FROM model_team_grants tg
          JOIN team_members tm ON tm.team_id = tg.team_id WHERE tm.user_id = ",
    );
    q.push_bind(user_id.to_owned());
}

/// The ids of the models a user owns, directly or through a team (a sub-select): the models
/// whose audit log they may read.
pub(crate) fn push_owned_model_ids(q: &mut QueryBuilder<'_>, user_id: &str) {
    q.push("SELECT g.model_id FROM model_grants g WHERE g.role = 'OWNER' AND g.user_id = ");
    q.push_bind(user_id.to_owned());
    q.push(
        " UNION SELECT tg.model_id FROM model_team_grants tg
          JOIN team_members tm ON tm.team_id = tg.team_id
          WHERE tg.role = 'OWNER' AND tm.user_id = ",
    );
    q.push_bind(user_id.to_owned());
}

/// Restricts a query on `models m` to what the caller may see.
pub(crate) fn push_visible_models(q: &mut QueryBuilder<'_>, caller: Option<&Caller>) {
    match caller {
        None => {
            q.push(" m.visibility = 'public' ");
        }
        Some(c) if c.is_admin => {
            q.push(" 1 = 1 ");
        }
        Some(c) => {
            // Not correlated with `m`: the database reads the caller's grants once per query,
            // not once per model it looks at.
            q.push(" (m.visibility IN ('public', 'internal') OR m.id IN (");
            push_granted_model_ids(q, &c.user_id);
            q.push(")) ");
        }
    }
}

/// Restricts a query on `datasets d` to what the caller may see: their own, everything for an
/// admin, and whatever a version of a model they can see uses.
pub(crate) fn push_visible_datasets(q: &mut QueryBuilder<'_>, caller: &Caller) {
    if caller.is_admin {
        q.push(" 1 = 1 ");
        return;
    }
    q.push(" (d.created_by = ");
    q.push_bind(caller.user_id.clone());
    q.push(
        " OR EXISTS (SELECT 1 FROM versions uv JOIN models m ON m.id = uv.model_id
          WHERE (uv.training_dataset_id = d.id OR uv.holdout_dataset_id = d.id) AND ",
    );
    push_visible_models(q, Some(caller));
    q.push(")) ");
}
