//! Models: who may see and change them, and the records behind them. Model-level changes never
//! touch a version.

use crate::domain::error::ApiError;
use crate::domain::model::{
    Model, ModelFields, ModelOrder, ModelPatch, ModelQuery, NewModel, Role, TargetType, Visibility,
};
use crate::domain::paging::{Page, Paging};
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::error::{AppError, AppResult};
use crate::server::services::audit;
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

const MODEL_COLUMNS: &str = "m.id, m.name, m.description, m.readme, m.target_type, m.target_name,
    m.class_labels, m.tags, m.metadata, m.visibility, m.archived, u.username AS created_by,
    m.created_at, m.updated_at";

#[derive(sqlx::FromRow)]
struct ModelRow {
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
    archived: bool,
    created_by: String,
    created_at: String,
    updated_at: String,
    /// The caller's own grant on the model, if any.
    grant_role: Option<String>,
}

impl ModelRow {
    /// The caller's effective role: admins own everything, a grant gives its role, and anyone
    /// else signed in who can see the model views it.
    fn role_for(&self, caller: Option<&Caller>) -> Option<Role> {
        let caller = caller?;
        if caller.is_admin {
            return Some(Role::Owner);
        }
        Some(
            self.grant_role
                .as_deref()
                .and_then(Role::parse)
                .unwrap_or(Role::Viewer),
        )
    }

    fn fields(&self) -> ModelFields {
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

    fn into_model(self, role: Option<Role>) -> Model {
        let f = self.fields();
        Model {
            id: self.id,
            name: f.name,
            description: f.description,
            readme: f.readme,
            target_type: f.target_type,
            target_name: f.target_name,
            class_labels: f.class_labels,
            tags: f.tags,
            metadata: f.metadata,
            visibility: f.visibility,
            archived: f.archived,
            primary_version: None,
            latest_version: None,
            version_count: 0,
            aliases: Vec::new(),
            role,
            created_by: self.created_by,
            created_at: db::parse_time(&self.created_at),
            updated_at: db::parse_time(&self.updated_at),
        }
    }
}

fn model_not_found(key: &str) -> ApiError {
    ApiError::new(
        404,
        "MODEL_NOT_FOUND",
        format!("No model named '{key}'."),
        "Check the name, or list models with GET /api/v1/models.",
    )
}

fn name_taken(name: &str) -> ApiError {
    ApiError {
        field: Some("name".to_owned()),
        ..ApiError::new(
            409,
            "MODEL_NAME_TAKEN",
            format!("There is already a model named '{name}'."),
            "Pick another name; model names are compared ignoring case.",
        )
    }
}

/// `SELECT <model columns>, <the caller's grant> FROM models m JOIN users u ...`
fn select_models(caller: Option<&Caller>) -> QueryBuilder<'static, Sqlite> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {MODEL_COLUMNS}, (SELECT g.role FROM model_grants g WHERE g.model_id = m.id AND g.user_id = "
    ));
    q.push_bind(caller.map(|c| c.user_id.clone()).unwrap_or_default());
    q.push(") AS grant_role FROM models m JOIN users u ON u.id = m.created_by");
    q
}

/// Restricts a query on `models m` to what the caller may see.
fn push_visible_to(q: &mut QueryBuilder<'_, Sqlite>, caller: Option<&Caller>) {
    match caller {
        None => {
            q.push(" m.visibility = 'public' ");
        }
        Some(c) if c.is_admin => {
            q.push(" 1 = 1 ");
        }
        Some(c) => {
            q.push(" (m.visibility IN ('public', 'internal') OR EXISTS (SELECT 1 FROM model_grants g WHERE g.model_id = m.id AND g.user_id = ");
            q.push_bind(c.user_id.clone());
            q.push(")) ");
        }
    }
}

/// Finds a model the caller can see, by name (ignoring case) or id. Invisible models are
/// "not found", so their existence does not leak.
async fn find_visible(
    pool: &SqlitePool,
    caller: Option<&Caller>,
    key: &str,
) -> AppResult<(ModelRow, Option<Role>)> {
    let mut q = select_models(caller);
    q.push(" WHERE (m.name = ");
    q.push_bind(key.to_owned());
    q.push(" OR m.id = ");
    q.push_bind(key.to_owned());
    q.push(") AND ");
    push_visible_to(&mut q, caller);
    q.push(" ORDER BY m.name = ");
    q.push_bind(key.to_owned());
    q.push(" DESC LIMIT 1");
    let row: Option<ModelRow> = q.build_query_as().fetch_optional(pool).await?;
    let row = row.ok_or_else(|| model_not_found(key))?;
    let role = row.role_for(caller);
    Ok((row, role))
}

pub async fn get_model(pool: &SqlitePool, caller: Option<&Caller>, key: &str) -> AppResult<Model> {
    let (row, role) = find_visible(pool, caller, key).await?;
    Ok(row.into_model(role))
}

/// Where a list page lives, so `next` / `previous` can point at neighbours.
pub fn page_url(base: &str, query: &ModelQuery, offset: i64, limit: i64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("search", &query.search),
        ("order_by", &query.order_by),
        ("tag", &query.tag),
        ("target_type", &query.target_type),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            s.append_pair(key, v);
        }
    }
    s.append_pair("offset", &offset.to_string());
    s.append_pair("limit", &limit.to_string());
    format!("{base}?{}", s.finish())
}

pub async fn list_models(
    pool: &SqlitePool,
    caller: Option<&Caller>,
    query: &ModelQuery,
    base_url: &str,
) -> AppResult<Page<Model>> {
    let paging = Paging::new(query.offset, query.limit)?;
    let order = match query.order_by.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => ModelOrder::parse(o)?,
        None => ModelOrder::default(),
    };
    let target_type = query
        .target_type
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(TargetType::parse)
        .transpose()?;
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let tag = query
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());

    let filters = |q: &mut QueryBuilder<'_, Sqlite>| {
        q.push(" WHERE ");
        push_visible_to(q, caller);
        if let Some(search) = search {
            let needle = search.to_lowercase();
            q.push(" AND (instr(lower(m.name), ");
            q.push_bind(needle.clone());
            q.push(") > 0 OR instr(lower(m.description), ");
            q.push_bind(needle.clone());
            q.push(
                ") > 0 OR EXISTS (SELECT 1 FROM json_each(m.tags) t WHERE instr(lower(t.value), ",
            );
            q.push_bind(needle);
            q.push(") > 0))");
        }
        if let Some(tag) = tag {
            q.push(" AND EXISTS (SELECT 1 FROM json_each(m.tags) t WHERE lower(t.value) = ");
            q.push_bind(tag.to_lowercase());
            q.push(")");
        }
        if let Some(t) = target_type {
            q.push(" AND m.target_type = ");
            q.push_bind(t.as_str());
        }
    };

    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM models m");
    filters(&mut count);
    let (total,): (i64,) = count.build_query_as().fetch_one(pool).await?;

    let mut select = select_models(caller);
    filters(&mut select);
    select.push(match order {
        ModelOrder::UpdatedDesc => " ORDER BY m.updated_at DESC, m.id",
        ModelOrder::UpdatedAsc => " ORDER BY m.updated_at ASC, m.id",
        ModelOrder::NameAsc => " ORDER BY m.name COLLATE NOCASE ASC, m.id",
        ModelOrder::NameDesc => " ORDER BY m.name COLLATE NOCASE DESC, m.id",
        ModelOrder::CreatedDesc => " ORDER BY m.created_at DESC, m.id",
        ModelOrder::CreatedAsc => " ORDER BY m.created_at ASC, m.id",
    });
    select.push(" LIMIT ");
    select.push_bind(paging.limit);
    select.push(" OFFSET ");
    select.push_bind(paging.offset);
    let rows: Vec<ModelRow> = select.build_query_as().fetch_all(pool).await?;

    let data: Vec<Model> = rows
        .into_iter()
        .map(|row| {
            let role = row.role_for(caller);
            row.into_model(role)
        })
        .collect();
    Ok(Page {
        count: data.len() as i64,
        total_count: total,
        offset: paging.offset,
        limit: paging.limit,
        next: paging
            .has_next(total)
            .then(|| page_url(base_url, query, paging.offset + paging.limit, paging.limit)),
        previous: paging
            .previous_offset()
            .map(|o| page_url(base_url, query, o, paging.limit)),
        data,
    })
}

fn map_unique(name: &str) -> impl FnOnce(sqlx::Error) -> AppError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => name_taken(name).into(),
        _ => e.into(),
    }
}

/// Creates a model (and no version); the creator becomes its Owner.
pub async fn create_model(pool: &SqlitePool, caller: &Caller, new: NewModel) -> AppResult<Model> {
    let fields = ModelFields::from_new(new)?;
    let id = db::new_id();
    let now = db::now();
    let mut tx = pool.begin().await?;
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM models WHERE name = ?")
        .bind(&fields.name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(name_taken(&fields.name).into());
    }
    sqlx::query(
        "INSERT INTO models (id, name, description, readme, target_type, target_name, class_labels,
            tags, metadata, visibility, archived, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
    )
    .bind(&id)
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(&fields.readme)
    .bind(fields.target_type.map(TargetType::as_str))
    .bind(&fields.target_name)
    .bind(json!(fields.class_labels).to_string())
    .bind(json!(fields.tags).to_string())
    .bind(json!(fields.metadata).to_string())
    .bind(fields.visibility.as_str())
    .bind(&caller.user_id)
    .bind(&now)
    .bind(&now)
    .execute(&mut *tx)
    .await
    .map_err(map_unique(&fields.name))?;
    sqlx::query(
        "INSERT INTO model_grants (model_id, user_id, role, can_share) VALUES (?, ?, 'OWNER', 1)",
    )
    .bind(&id)
    .bind(&caller.user_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "model.create",
        &format!("model:{id}"),
        json!({"name": fields.name}),
    )
    .await?;
    tx.commit().await?;
    get_model(pool, Some(caller), &id).await
}

/// Changes model-level fields. Editors may change descriptive fields; visibility and archiving
/// are the Owner's.
pub async fn update_model(
    pool: &SqlitePool,
    caller: &Caller,
    key: &str,
    patch: ModelPatch,
) -> AppResult<Model> {
    let (row, role) = find_visible(pool, Some(caller), key).await?;
    if role < Some(Role::Editor) {
        return Err(ApiError::forbidden("change this model").into());
    }
    let before = row.fields();
    let after = before.clone().apply(patch)?;
    let owner_only = before.visibility != after.visibility || before.archived != after.archived;
    if owner_only && role < Some(Role::Owner) {
        return Err(ApiError::forbidden("change this model's visibility or archive it").into());
    }
    if after == before {
        return Ok(row.into_model(role));
    }
    let mut tx = pool.begin().await?;
    if !after.name.eq_ignore_ascii_case(&before.name) {
        let taken: Option<(String,)> =
            sqlx::query_as("SELECT id FROM models WHERE name = ? AND id <> ?")
                .bind(&after.name)
                .bind(&row.id)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(name_taken(&after.name).into());
        }
    }
    sqlx::query(
        "UPDATE models SET name = ?, description = ?, readme = ?, target_type = ?, target_name = ?,
            class_labels = ?, tags = ?, metadata = ?, visibility = ?, archived = ?, updated_at = ?
         WHERE id = ?",
    )
    .bind(&after.name)
    .bind(&after.description)
    .bind(&after.readme)
    .bind(after.target_type.map(TargetType::as_str))
    .bind(&after.target_name)
    .bind(json!(after.class_labels).to_string())
    .bind(json!(after.tags).to_string())
    .bind(json!(after.metadata).to_string())
    .bind(after.visibility.as_str())
    .bind(after.archived)
    .bind(db::now())
    .bind(&row.id)
    .execute(&mut *tx)
    .await
    .map_err(map_unique(&after.name))?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "model.update",
        &format!("model:{}", row.id),
        json!({"name": after.name, "previous_name": before.name}),
    )
    .await?;
    tx.commit().await?;
    get_model(pool, Some(caller), &row.id).await
}

/// Deletes a model; Owner only.
pub async fn delete_model(pool: &SqlitePool, caller: &Caller, key: &str) -> AppResult<()> {
    let (row, role) = find_visible(pool, Some(caller), key).await?;
    if role < Some(Role::Owner) {
        return Err(ApiError::forbidden("delete this model").into());
    }
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM models WHERE id = ?")
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "model.delete",
        &format!("model:{}", row.id),
        json!({"name": row.name}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
