//! Copies of whole models: versions, files (shared, not copied) and aliases under a new name.
use super::*;

/// Copies a model with its complete versions (not pending or failed ones), their files and
/// aliases under a new name; the caller owns the copy, which records where it came from. File
/// bytes are shared, not copied. Copying needs Editor on the source: its Owner decides who
/// sees the copy, so a Viewer could otherwise publish a private model's files.
pub async fn copy_model(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    new_name: &str,
) -> AppResult<Model> {
    let source = find_model(&state.db, Some(caller), model_key).await?;
    source.require(Role::Editor, "copy this model")?;
    let name = crate::domain::model::validate_model_name(new_name)?;
    let id = db::new_id();
    let now = db::now();
    let mut tx = db::begin_write(&state.db).await?;
    let copied: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT major, minor, patch FROM versions WHERE model_id = $1 AND registration = 'ready'
         ORDER BY major, minor, patch",
    )
    .bind(&source.id)
    .fetch_all(&mut *tx)
    .await?;
    let copied: Vec<String> = copied
        .into_iter()
        .map(|(major, minor, patch)| format!("{major}.{minor}.{patch}"))
        .collect();
    let copied_from = crate::domain::model::CopySource {
        model_id: source.id.clone(),
        model_name: source.name.clone(),
        versions: copied.clone(),
    };
    let copied_from =
        serde_json::to_string(&copied_from).map_err(|e| AppError::Internal(e.to_string()))?;
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM models WHERE name = $1")
        .bind(&name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(models::name_taken(&name).into());
    }
    sqlx::query(
        "INSERT INTO models (id, name, description, readme, target_type, target_name, class_labels,
            tags, metadata, visibility, archived, created_by, created_at, updated_at, copied_from)
         SELECT $1, $2, description, readme, target_type, target_name, class_labels, tags, metadata,
            'private', 0, $3, $4, $5, $6 FROM models WHERE id = $7",
    )
    .bind(&id)
    .bind(&name)
    .bind(&caller.user_id)
    .bind(&now)
    .bind(&now)
    .bind(&copied_from)
    .bind(&source.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO model_grants (model_id, user_id, role, can_share) VALUES ($1, $2, 'OWNER', 1)",
    )
    .bind(&id)
    .bind(&caller.user_id)
    .execute(&mut *tx)
    .await?;
    // New version ids are derived in SQL so the copy is one statement per table however many
    // versions there are.
    let new_version_id = "lower(hex(randomblob(16)))";
    sqlx::query("CREATE TEMP TABLE IF NOT EXISTS version_copy (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM version_copy")
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO version_copy (old_id, new_id) SELECT id, {new_version_id} FROM versions
         WHERE model_id = $1 AND registration = 'ready'"
    ))
    .bind(&source.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO versions (id, model_id, major, minor, patch, state, registration, active,
            description, metadata, tags, metrics, framework, environment, git, source_uri, run_id,
            dependencies, base_version, created_by, created_at, updated_at, published_at,
            training_dataset_id, holdout_dataset_id, signature, signature_note)
         SELECT c.new_id, $1, major, minor, patch, state, registration, active, description, metadata,
            tags, metrics, framework, environment, git, source_uri, run_id, dependencies,
            base_version, created_by, created_at, updated_at, published_at,
            training_dataset_id, holdout_dataset_id, signature, signature_note
         FROM versions v JOIN version_copy c ON c.old_id = v.id",
    )
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO version_files (version_id, path, sha256, size, content_type, created_at)
         SELECT c.new_id, f.path, f.sha256, f.size, f.content_type, f.created_at
         FROM version_files f JOIN version_copy c ON c.old_id = f.version_id",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO aliases (model_id, name, version_id, protected, updated_by, updated_at)
         SELECT $1, a.name, c.new_id, a.protected, $2, $3 FROM aliases a
         JOIN version_copy c ON c.old_id = a.version_id WHERE a.model_id = $4",
    )
    .bind(&id)
    .bind(&caller.user_id)
    .bind(&now)
    .bind(&source.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE models SET primary_version_id = (SELECT c.new_id FROM version_copy c
            WHERE c.old_id = (SELECT primary_version_id FROM models WHERE id = $1)) WHERE id = $2",
    )
    .bind(&source.id)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM version_copy")
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "model.copy",
        &format!("model:{id}"),
        json!({"name": name, "source": source.name, "source_id": source.id, "versions": copied}),
    )
    .await?;
    tx.commit().await?;
    models::get_model(&state.db, Some(caller), &id).await
}
