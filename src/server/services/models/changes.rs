//! Creating, changing and deleting a model; each change is recorded in the audit log.

use super::*;

fn map_unique(name: &str) -> impl FnOnce(sqlx::Error) -> AppError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => name_taken(name).into(),
        _ => e.into(),
    }
}

/// Creates a model (and no version); the creator becomes its Owner.
pub async fn create_model(pool: &AnyPool, caller: &Caller, new: NewModel) -> AppResult<Model> {
    let fields = ModelFields::from_new(new)?;
    let card = card_metadata(&fields.readme)?;
    let id = db::new_id();
    let now = db::now();
    let mut tx = db::begin_write(pool).await?;
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM models WHERE name = $1")
        .bind(&fields.name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(name_taken(&fields.name).into());
    }
    sqlx::query(
        "INSERT INTO models (id, name, description, readme, target_type, target_name, class_labels,
            tags, metadata, visibility, archived, created_by, created_at, updated_at, license)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13, $14)",
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
    .bind(card.license.as_deref())
    .execute(&mut *tx)
    .await
    .map_err(map_unique(&fields.name))?;
    sqlx::query(
        "INSERT INTO model_grants (model_id, user_id, role, can_share) VALUES ($1, $2, 'OWNER', 1)",
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
    pool: &AnyPool,
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
    let card = card_metadata(&after.readme)?;
    let mut tx = db::begin_write(pool).await?;
    if !after.name.eq_ignore_ascii_case(&before.name) {
        let taken: Option<(String,)> =
            sqlx::query_as("SELECT id FROM models WHERE name = $1 AND id <> $2")
                .bind(&after.name)
                .bind(&row.id)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(name_taken(&after.name).into());
        }
    }
    sqlx::query(
        "UPDATE models SET name = $1, description = $2, readme = $3, target_type = $4, target_name = $5,
            class_labels = $6, tags = $7, metadata = $8, visibility = $9, archived = $10, updated_at = $11,
            license = $13
         WHERE id = $12",
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
    .bind(db::flag(after.archived))
    .bind(db::now())
    .bind(&row.id)
    .bind(card.license.as_deref())
    .execute(&mut *tx)
    .await
    .map_err(map_unique(&after.name))?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "model.update",
        &format!("model:{}", row.id),
        json!({
            "name": after.name,
            "previous_name": before.name,
            "changed": before.changed_fields(&after),
            "visibility": {"from": before.visibility.as_str(), "to": after.visibility.as_str()},
        }),
    )
    .await?;
    tx.commit().await?;
    get_model(pool, Some(caller), &row.id).await
}

/// Deletes a model; Owner only.
pub async fn delete_model(pool: &AnyPool, caller: &Caller, key: &str) -> AppResult<()> {
    let (row, role) = find_visible(pool, Some(caller), key).await?;
    if role < Some(Role::Owner) {
        return Err(ApiError::forbidden("delete this model").into());
    }
    let mut tx = db::begin_write(pool).await?;
    sqlx::query("DELETE FROM models WHERE id = $1")
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
