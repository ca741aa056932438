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

/// A model's fields (each a name and its SQL over `models m JOIN users u` with the model's
/// summary `s`), with its version summary, which triggers keep in `model_summaries` (migration
/// 0013): reading it is one look-up per model, whatever its number of versions.
const MODEL_FIELDS: [(&str, &str); 19] = [
    ("id", "m.id"),
    ("name", "m.name"),
    ("description", "m.description"),
    ("readme", "m.readme"),
    ("target_type", "m.target_type"),
    ("target_name", "m.target_name"),
    ("class_labels", "m.class_labels"),
    ("tags", "m.tags"),
    ("metadata", "m.metadata"),
    ("visibility", "m.visibility"),
    ("archived", "m.archived"),
    ("created_by", "u.username"),
    ("created_at", "m.created_at"),
    ("updated_at", "m.updated_at"),
    ("copied_from", "m.copied_from"),
    ("version_count", "COALESCE(s.version_count, 0)"),
    ("download_count", "COALESCE(s.download_count, 0)"),
    ("latest_version", "s.latest_version"),
    ("primary_version", "s.primary_version"),
];

/// [`MODEL_FIELDS`] as the columns of a `SELECT`.
static MODEL_COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let columns: Vec<String> = MODEL_FIELDS
        .iter()
        .map(|(name, expr)| format!("{expr} AS {name}"))
        .collect();
    columns.join(", ")
});

/// A model as a query answers it: a row (`select_models`), or an object of a JSON array
/// ([`list_models`]), with the same names.
#[derive(sqlx::FromRow, serde::Deserialize)]
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
    #[serde(deserialize_with = "db::json_flag")]
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
        self.fields_with(
            self.name.clone(),
            self.description.clone(),
            self.readme.clone(),
            self.target_name.clone(),
        )
    }

    /// The fields, with the texts given (taken from the row, or copies of them).
    fn fields_with(
        &self,
        name: String,
        description: String,
        readme: String,
        target_name: String,
    ) -> ModelFields {
        ModelFields {
            name,
            description,
            readme,
            target_type: self
                .target_type
                .as_deref()
                .and_then(|t| TargetType::parse(t).ok()),
            target_name,
            class_labels: serde_json::from_str(&self.class_labels).unwrap_or_default(),
            tags: serde_json::from_str(&self.tags).unwrap_or_default(),
            metadata: serde_json::from_str(&self.metadata).unwrap_or_default(),
            visibility: Visibility::parse(&self.visibility).unwrap_or_default(),
            archived: self.archived,
        }
    }

    pub(super) fn into_model(mut self, role: Option<Role>) -> Model {
        // A list builds a hundred of these: the long texts move into the model, uncopied.
        let name = std::mem::take(&mut self.name);
        let description = std::mem::take(&mut self.description);
        let readme = std::mem::take(&mut self.readme);
        let target_name = std::mem::take(&mut self.target_name);
        let fields = self.fields_with(name, description, readme, target_name);
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
    let mut q = QueryBuilder::new("");
    push_select_models(&mut q, caller);
    q
}

/// [`select_models`], onto a query being built.
pub(super) fn push_select_models(q: &mut QueryBuilder<'static>, caller: Option<&Caller>) {
    let columns = &*MODEL_COLUMNS;
    q.push(format!("SELECT {columns}, "));
    match caller {
        // An admin's role does not depend on grants, and anonymous callers hold none.
        Some(c) if !c.is_admin => {
            q.push(format!("(SELECT MAX({ROLE_RANK}) FROM "));
            push_grants_of(q, &c.user_id);
            q.push(")");
        }
        _ => {
            q.push("CAST(NULL AS BIGINT)");
        }
    }
    q.push(
        " AS grant_rank FROM models m JOIN users u ON u.id = m.created_by
        LEFT JOIN model_summaries s ON s.model_id = m.id",
    );
}

/// A JSON object of every column [`select_models`] answers, read from the rows of `table`.
pub(super) fn model_json(backend: db::Backend, table: &str) -> String {
    let names = MODEL_FIELDS.iter().map(|(name, _)| *name);
    backend.json_object(
        names
            .chain(["grant_rank"])
            .map(|name| (name, format!("{table}.{name}"))),
    )
}

/// The aliases of the models whose ids `model_ids` (SQL) selects, as one JSON array of
/// [`AliasRow`] in no particular order ([`aliases_by_model`] sorts them).
pub(super) fn aliases_json(backend: db::Backend, model_ids: &str) -> String {
    format!("({}{model_ids}))", aliases_of_models(backend))
}

/// `SELECT <the aliases as a JSON array> FROM … WHERE a.model_id IN (`: [`aliases_json`]
/// up to its list of model ids, for a caller that binds them.
pub(super) fn aliases_of_models(backend: db::Backend) -> String {
    format!(
        "SELECT {} FROM aliases a JOIN versions v ON v.id = a.version_id WHERE a.model_id IN (",
        alias_array(backend)
    )
}

/// The aggregate of [`aliases_json`], over `aliases a JOIN versions v`.
fn alias_array(backend: db::Backend) -> String {
    let object = backend.json_object([
        ("model_id", "a.model_id"),
        ("alias", "a.name"),
        ("version", "v.major || '.' || v.minor || '.' || v.patch"),
        ("protected", "a.protected"),
        ("active", "v.active"),
    ]);
    backend.json_array_unordered(&object)
}

/// An alias as [`aliases_json`] answers it.
#[derive(serde::Deserialize)]
pub(super) struct AliasRow {
    model_id: String,
    alias: String,
    version: String,
    #[serde(deserialize_with = "db::json_flag")]
    protected: bool,
    #[serde(deserialize_with = "db::json_flag")]
    active: bool,
}

/// [`AliasRow`]s by model id, each model's in name order (byte order, the same on both
/// backends: names are lowercase ASCII).
pub(super) fn aliases_by_model(
    rows: Vec<AliasRow>,
) -> std::collections::HashMap<String, Vec<AliasRef>> {
    let mut by_model = db::group_by_key(rows.into_iter().map(|row| {
        let alias = AliasRef {
            alias: row.alias,
            version: row.version,
            protected: row.protected,
            version_active: row.active,
        };
        (row.model_id, alias)
    }));
    for aliases in by_model.values_mut() {
        aliases.sort_unstable_by(|a, b| a.alias.cmp(&b.alias));
    }
    by_model
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
    let row: Option<ModelRow> = q.fetch_optional_as(pool).await?;
    let row = row.ok_or_else(|| model_not_found(key))?;
    let role = row.role_for(caller);
    Ok((row, role))
}

/// A model with its aliases, as [`get_model`] reads them in one query.
#[derive(sqlx::FromRow)]
struct ModelWithAliases {
    #[sqlx(flatten)]
    model: ModelRow,
    aliases: String,
}

pub async fn get_model(pool: &AnyPool, caller: Option<&Caller>, key: &str) -> AppResult<Model> {
    let aliases = aliases_json(db::Backend::of(pool), "p.id");
    let mut q = QueryBuilder::new("SELECT p.*, ");
    q.push(format!("{aliases} AS aliases FROM ("));
    push_select_models(&mut q, caller);
    push_one_by_key(&mut q, caller, key);
    q.push(") p");
    let row: Option<ModelWithAliases> = q.fetch_optional_as(pool).await?;
    let row = row.ok_or_else(|| model_not_found(key))?;
    let role = row.model.role_for(caller);
    let mut model = row.model.into_model(role);
    model.aliases = aliases_by_model(db::json_rows(&row.aliases)?)
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
    let row: Option<ModelRefRow> = q.fetch_optional_as(pool).await?;
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
    async fn a_model_row_reads_none_of_its_versions_and_scans_nothing() {
        // The version figures of each model in a list (count, downloads, latest, primary) come
        // from its summary row: a list costs the same whether its models have one version or
        // ten thousand.
        let (_dir, pool, caller) = database().await;
        for who in [None, Some(&caller)] {
            let mut q = select_models(who);
            q.push(" WHERE m.id = ");
            q.push_bind("m".to_owned());
            let steps = plan(&pool, &mut q).await;
            assert!(
                steps.iter().all(|s| !s.starts_with("SCAN")
                    && !s.contains(" v ")
                    && !s.contains("versions")),
                "{steps:#?}"
            );
            assert!(
                steps.iter().any(|s| s.contains("model_summaries")),
                "{steps:#?}"
            );
        }
    }
}
