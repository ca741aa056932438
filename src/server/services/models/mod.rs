//! Models: the records behind them and the caller's role on each; who may see them is
//! [`visibility`](crate::server::services::visibility). Model-level changes never touch a version.

use crate::domain::access::Sharer;
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::model::{
    AliasRef, CardMetadata, Model, ModelFields, ModelOrder, ModelPatch, ModelQuery, NewModel, Role,
    TargetType, Visibility, split_front_matter, validate_license,
};
use crate::domain::paging::{Page, Paging};
use crate::server::audit;
use crate::server::auth::Caller;
use crate::server::card::card_metadata;
use crate::server::db;
use crate::server::db::QueryBuilder;
use crate::server::error::{AppError, AppResult};
use crate::server::services::visibility::{push_grants_of, push_visible_models};
use serde_json::json;
use sqlx::AnyPool;

mod changes;
mod list;

pub use changes::*;
pub use list::*;

/// The id of a model's primary version (SQL over `models m`): the promoted one, else the newest
/// version that is published, active and ready.
pub(crate) const PRIMARY_VERSION_ID: &str =
    "COALESCE(m.primary_version_id, (SELECT p.id FROM versions p
    WHERE p.model_id = m.id AND p.state = 'published' AND p.active = 1 AND p.registration = 'ready'
    ORDER BY p.major DESC, p.minor DESC, p.patch DESC LIMIT 1))";

/// A model's columns with its version summary, built once.
static MODEL_COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "m.id, m.name, m.description, m.readme, m.target_type, m.target_name,
    m.class_labels, m.tags, m.metadata, m.visibility, m.archived, u.username AS created_by,
    m.created_at, m.updated_at, m.copied_from,
    (SELECT COUNT(*) FROM versions v WHERE v.model_id = m.id) AS version_count,
    (SELECT CAST(COALESCE(SUM(d.count), 0) AS BIGINT) FROM version_downloads d
        JOIN versions v ON v.id = d.version_id WHERE v.model_id = m.id) AS download_count,
    (SELECT v.major || '.' || v.minor || '.' || v.patch FROM versions v
        WHERE v.model_id = m.id AND v.registration = 'ready'
        ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT 1) AS latest_version,
    (SELECT v.major || '.' || v.minor || '.' || v.patch FROM versions v
        WHERE v.id = {PRIMARY_VERSION_ID}) AS primary_version"
    )
});

#[derive(sqlx::FromRow)]
pub(super) struct ModelRow {
    id: String,
    name: String,
    description: String,
    readme: String,
    target_type: Option<String>,
    target_name: String,
    class_labels: String,
    tags: String,
    metadata: String,
    visibility: String,
    #[sqlx(try_from = "db::Flag")]
    archived: bool,
    created_by: String,
    created_at: String,
    updated_at: String,
    copied_from: Option<String>,
    version_count: i64,
    download_count: i64,
    latest_version: Option<String>,
    primary_version: Option<String>,
    /// The strongest grant the caller holds on the model, directly or through a team
    /// ([`role_rank`]).
    grant_rank: Option<i64>,
}

impl ModelRow {
    /// The caller's effective role: admins own everything, a grant gives its role, and anyone
    /// else signed in who can see the model views it.
    pub(super) fn role_for(&self, caller: Option<&Caller>) -> Option<Role> {
        role_for(caller, self.grant_rank)
    }

    pub(super) fn fields(&self) -> ModelFields {
        ModelFields {
            name: self.name.clone(),
            description: self.description.clone(),
            readme: self.readme.clone(),
            target_type: self
                .target_type
                .as_deref()
                .and_then(|t| TargetType::parse(t).ok()),
            target_name: self.target_name.clone(),
            class_labels: serde_json::from_str(&self.class_labels).unwrap_or_default(),
            tags: serde_json::from_str(&self.tags).unwrap_or_default(),
            metadata: serde_json::from_str(&self.metadata).unwrap_or_default(),
            visibility: Visibility::parse(&self.visibility).unwrap_or_default(),
            archived: self.archived,
        }
    }

    pub(super) fn into_model(self, role: Option<Role>) -> Model {
        let fields = self.fields();
        // Saved cards were checked; one from before front matter was read shows what it can.
        let card = read_card_metadata(&fields.readme);
        Model {
            id: self.id,
            fields,
            primary_version: self.primary_version,
            latest_version: self.latest_version,
            version_count: self.version_count,
            download_count: self.download_count,
            aliases: Vec::new(),
            role,
            created_by: self.created_by,
            created_at: db::parse_time(&self.created_at),
            updated_at: db::parse_time(&self.updated_at),
            copied_from: self
                .copied_from
                .as_deref()
                .and_then(|c| serde_json::from_str(c).ok()),
            license: card.license.clone(),
            card_metadata: card,
        }
    }
}

/// How many cards' front matter [`read_card_metadata`] keeps read.
const CARD_CACHE_ENTRIES: usize = 4096;

/// The metadata of a saved card, as [`card_metadata`] reads it (nothing when it cannot be read).
/// Reading means parsing YAML, which costs more than the rest of a model in a list, and cards
/// rarely change: what was read is kept by front matter text, so a changed card is read again.
/// The cache is bounded (emptied when full) and holds only what any caller could read back
/// from the card itself.
fn read_card_metadata(readme: &str) -> CardMetadata {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static CACHE: LazyLock<Mutex<HashMap<String, CardMetadata>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let (Some(front), _) = split_front_matter(readme) else {
        return CardMetadata::default();
    };
    let lock = || {
        CACHE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(meta) = lock().get(front) {
        return meta.clone();
    }
    let meta = card_metadata(readme).unwrap_or_default();
    let mut cache = lock();
    if cache.len() >= CARD_CACHE_ENTRIES {
        cache.clear();
    }
    cache.insert(front.to_owned(), meta.clone());
    meta
}

pub(crate) fn model_not_found(key: &str) -> ApiError {
    ApiError::new(
        404,
        codes::MODEL_NOT_FOUND,
        format!("No model named '{key}'."),
        "Check the name, or list models with GET /api/v1/models.",
    )
}

pub(crate) fn name_taken(name: &str) -> ApiError {
    ApiError {
        field: Some("name".to_owned()),
        ..ApiError::new(
            409,
            codes::MODEL_NAME_TAKEN,
            format!("There is already a model named '{name}'."),
            "Pick another name; model names are compared ignoring case.",
        )
    }
}

/// A role stored as text, as a number that orders roles (SQL over a row `x` with `role`).
const ROLE_RANK: &str =
    "CASE x.role WHEN 'OWNER' THEN 3 WHEN 'EDITOR' THEN 2 WHEN 'VIEWER' THEN 1 END";

/// The caller's effective role: admins own everything, a grant gives its role, and anyone
/// else signed in who can see the model views it.
fn role_for(caller: Option<&Caller>, grant_rank: Option<i64>) -> Option<Role> {
    let caller = caller?;
    if caller.is_admin {
        return Some(Role::Owner);
    }
    Some(grant_rank.and_then(role_from_rank).unwrap_or(Role::Viewer))
}

fn role_from_rank(rank: i64) -> Option<Role> {
    match rank {
        3 => Some(Role::Owner),
        2 => Some(Role::Editor),
        1 => Some(Role::Viewer),
        _ => None,
    }
}

/// `SELECT <model columns>, <the caller's grants> FROM models m JOIN users u ...`
pub(super) fn select_models(caller: Option<&Caller>) -> QueryBuilder<'static> {
    let columns = &*MODEL_COLUMNS;
    let user_id = caller.map(|c| c.user_id.clone()).unwrap_or_default();
    let mut q = QueryBuilder::new(format!("SELECT {columns}, (SELECT MAX({ROLE_RANK}) FROM "));
    push_grants_of(&mut q, &user_id);
    q.push(") AS grant_rank FROM models m JOIN users u ON u.id = m.created_by");
    q
}

/// Finds a model the caller can see, by name (ignoring case) or id. Invisible models are
/// "not found", so their existence does not leak.
pub(super) async fn find_visible(
    pool: &AnyPool,
    caller: Option<&Caller>,
    key: &str,
) -> AppResult<(ModelRow, Option<Role>)> {
    let mut q = select_models(caller);
    push_one_by_key(&mut q, caller, key);
    let row: Option<ModelRow> = q.build_query_as().fetch_optional(pool).await?;
    let row = row.ok_or_else(|| model_not_found(key))?;
    let role = row.role_for(caller);
    Ok((row, role))
}

pub async fn get_model(pool: &AnyPool, caller: Option<&Caller>, key: &str) -> AppResult<Model> {
    let (row, role) = find_visible(pool, caller, key).await?;
    let mut model = row.into_model(role);
    model.aliases = model_aliases(pool, &[model.id.clone()])
        .await?
        .remove(&model.id)
        .unwrap_or_default();
    Ok(model)
}

/// A model the caller can see, with the caller's role on it; what other services start from.
#[derive(Clone, Debug)]
pub struct ModelRef {
    pub id: String,
    pub name: String,
    pub role: Option<Role>,
    /// What the caller may do when sharing the model.
    pub sharer: Sharer,
}

impl ModelRef {
    /// Fails with 403 unless the caller's role is at least `min`.
    pub fn require(&self, min: Role, what: &str) -> AppResult<()> {
        if self.role < Some(min) {
            return Err(ApiError::forbidden(what).into());
        }
        Ok(())
    }
}

/// The caller's grants on a model, for [`find_model`]: the columns of [`ModelRow`] that say who
/// may do what, without the version summary (which counts every version of the model).
#[derive(sqlx::FromRow)]
struct ModelRefRow {
    id: String,
    name: String,
    grant_rank: Option<i64>,
    grant_can_share: Option<db::Flag>,
}

/// `SELECT` the model named `key` (or with that id) if the caller can see it, with the
/// caller's grants on it: one row of [`ModelRefRow`] at most.
fn model_ref_query(caller: Option<&Caller>, key: &str) -> QueryBuilder<'static> {
    let user_id = caller.map(|c| c.user_id.clone()).unwrap_or_default();
    let mut q = QueryBuilder::new(format!(
        "SELECT m.id, m.name, (SELECT MAX({ROLE_RANK}) FROM "
    ));
    push_grants_of(&mut q, &user_id);
    q.push(") AS grant_rank, (SELECT MAX(x.can_share) FROM ");
    push_grants_of(&mut q, &user_id);
    q.push(") AS grant_can_share FROM models m");
    push_one_by_key(&mut q, caller, key);
    q
}

/// ` WHERE …`: the model named `key` or with that id, if the caller can see it; a name match
/// wins over an id match, and one row at most.
fn push_one_by_key(q: &mut QueryBuilder<'static>, caller: Option<&Caller>, key: &str) {
    q.push(" WHERE (m.name = ");
    q.push_bind(key.to_owned());
    q.push(" OR m.id = ");
    q.push_bind(key.to_owned());
    q.push(") AND ");
    push_visible_models(q, caller);
    q.push(" ORDER BY m.name = ");
    q.push_bind(key.to_owned());
    q.push(" DESC LIMIT 1");
}

pub async fn find_model(pool: &AnyPool, caller: Option<&Caller>, key: &str) -> AppResult<ModelRef> {
    let mut q = model_ref_query(caller, key);
    let row: Option<ModelRefRow> = q.build_query_as().fetch_optional(pool).await?;
    let row = row.ok_or_else(|| model_not_found(key))?;
    let role = role_for(caller, row.grant_rank);
    let sharer = Sharer {
        is_admin: caller.is_some_and(|c| c.is_admin),
        role: row.grant_rank.and_then(role_from_rank),
        can_share: row.grant_can_share.is_some_and(bool::from),
    };
    Ok(ModelRef {
        id: row.id,
        name: row.name,
        role,
        sharer,
    })
}

/// The aliases of the given models, by model id, in name order.
pub(super) async fn model_aliases(
    pool: &AnyPool,
    model_ids: &[String],
) -> AppResult<std::collections::HashMap<String, Vec<AliasRef>>> {
    let mut out: std::collections::HashMap<String, Vec<AliasRef>> = Default::default();
    if model_ids.is_empty() {
        return Ok(out);
    }
    let mut q = QueryBuilder::new(
        "SELECT a.model_id, a.name, v.major || '.' || v.minor || '.' || v.patch, a.protected, v.active
         FROM aliases a JOIN versions v ON v.id = a.version_id WHERE a.model_id IN (",
    );
    q.push_binds(model_ids.iter().cloned());
    q.push(") ORDER BY a.name");
    let rows: Vec<(String, String, String, db::Flag, db::Flag)> =
        q.build_query_as().fetch_all(pool).await?;
    for (model_id, alias, version, protected, active) in rows {
        out.entry(model_id).or_default().push(AliasRef {
            alias,
            version,
            protected: protected.0,
            version_active: active.0,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::AuthMethod;

    async fn database() -> (tempfile::TempDir, AnyPool, Caller) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let pool = db::connect(&url).await.expect("database");
        let caller = Caller {
            user_id: "u".to_owned(),
            username: "ada".to_owned(),
            display_name: String::new(),
            is_admin: false,
            method: AuthMethod::Token,
        };
        (dir, pool, caller)
    }

    /// The steps of SQLite's plan for a query, e.g. `SEARCH v USING INDEX ... (model_id=?)`.
    async fn plan(pool: &AnyPool, q: &mut QueryBuilder<'_>) -> Vec<String> {
        db::query_plan(pool, q).await.expect("query plan")
    }

    #[tokio::test]
    async fn looking_a_model_up_reads_none_of_its_versions() {
        // Every request about a version starts here: counting a model's versions (thousands)
        // to find it would make each of them cost as much as the model's whole history.
        let (_dir, pool, caller) = database().await;
        for who in [None, Some(&caller)] {
            let steps = plan(&pool, &mut model_ref_query(who, "churn")).await;
            assert!(
                steps
                    .iter()
                    .all(|s| !s.contains("versions") && !s.starts_with("SCAN")),
                "{steps:#?}"
            );
        }
    }

    #[tokio::test]
    async fn a_model_row_searches_versions_by_index_and_scans_nothing() {
        // The version figures of each model in a list (count, downloads, latest, primary) are
        // index look-ups of that model's versions, never a scan of a table.
        let (_dir, pool, caller) = database().await;
        for who in [None, Some(&caller)] {
            let mut q = select_models(who);
            q.push(" WHERE m.id = ");
            q.push_bind("m".to_owned());
            let steps = plan(&pool, &mut q).await;
            assert!(steps.iter().all(|s| !s.starts_with("SCAN")), "{steps:#?}");
            let downloads = steps
                .iter()
                .find(|s| s.starts_with("SEARCH v USING COVERING INDEX versions_model_ids"));
            assert!(downloads.is_some(), "{steps:#?}");
        }
    }
}
