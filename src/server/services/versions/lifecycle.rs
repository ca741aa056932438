//! A version's life after it exists: its fields (frozen once published), publishing,
//! deactivating, promotion to primary and deletion.
use super::*;
use crate::domain::error::codes;

/// Changes version-level fields; never files, never the model.
pub async fn update_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    patch: VersionPatch,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "change this model's versions")?;
    let row = find_version(&state.db, &model, reference).await?;
    let before = row.fields();
    let after = before.clone().apply(patch)?;
    let changed = before.changed_fields(&after);
    if row.state() == VersionState::Published {
        check_published_change(&row.number().to_string(), &changed)?;
    }
    if !changed.is_empty() {
        let now = db::now();
        let mut tx = db::begin_write(&state.db).await?;
        store_fields(&mut tx, &row.id, &after, &now).await?;
        record_version_event(
            &mut tx,
            caller,
            "version.update",
            &model,
            &row,
            json!({"fields": changed}),
        )
        .await?;
        tx.commit().await?;
        if after.environment != before.environment {
            refresh_dependencies(state, &row.id).await?;
        }
    }
    version_now(state, &model, row.number()).await
}

/// Freezes a draft's files. Publishing a published version again changes nothing.
pub async fn publish_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "publish this model's versions")?;
    let row = find_version(&state.db, &model, reference).await?;
    if row.registration() != Registration::Ready {
        return Err(conflict(
            codes::VERSION_NOT_READY,
            format!(
                "Version {} is {}: its uploads did not finish.",
                row.number(),
                row.registration().as_str()
            ),
            "Wait for a pending version, or delete a failed one and upload it again.",
        )
        .into());
    }
    if row.state() == VersionState::Draft {
        let now = db::now();
        let mut tx = db::begin_write(&state.db).await?;
        sqlx::query(
            "UPDATE versions SET state = 'published', published_at = $1, updated_at = $2 WHERE id = $3 AND state = 'draft'",
        )
        .bind(&now)
        .bind(&now)
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        touch_model(&mut tx, &model.id, &now).await?;
        record_version_event(&mut tx, caller, "version.publish", &model, &row, json!({})).await?;
        tx.commit().await?;
    }
    version_now(state, &model, row.number()).await
}

/// Deactivates or reactivates a version. The promoted primary version cannot be deactivated.
pub async fn set_active(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    active: bool,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(
        Role::Editor,
        "deactivate or reactivate this model's versions",
    )?;
    let row = find_version(&state.db, &model, reference).await?;
    if !active {
        let pinned: Option<(Option<String>,)> =
            sqlx::query_as("SELECT primary_version_id FROM models WHERE id = $1")
                .bind(&model.id)
                .fetch_optional(&state.db)
                .await?;
        if pinned.and_then(|p| p.0).as_deref() == Some(row.id.as_str()) {
            return Err(conflict(
                codes::VERSION_IS_PRIMARY,
                format!("Version {} is the model's promoted primary version.", row.number()),
                "Promote another version first (PUT /api/v1/models/{model}/primary), then deactivate this one.",
            )
            .into());
        }
    }
    if row.active != active {
        let now = db::now();
        let mut tx = db::begin_write(&state.db).await?;
        if !active {
            let number = row.number().to_string();
            aliases::check_no_protected_alias(&mut tx, &model, &row.id, &number, "deactivate")
                .await?;
        }
        sqlx::query("UPDATE versions SET active = $1, updated_at = $2 WHERE id = $3")
            .bind(db::flag(active))
            .bind(&now)
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        let action = if active {
            "version.activate"
        } else {
            "version.deactivate"
        };
        record_version_event(&mut tx, caller, action, &model, &row, json!({})).await?;
        tx.commit().await?;
    }
    version_now(state, &model, row.number()).await
}

/// Why a version may not be primary, if it may not.
pub(super) fn primary_blocker(row: &VersionRow) -> Option<String> {
    let number = row.number();
    if row.registration() != Registration::Ready {
        return Some(format!(
            "Version {number} is {}: its uploads did not finish.",
            row.registration().as_str()
        ));
    }
    if row.state() == VersionState::Draft {
        return Some(format!("Version {number} is a draft."));
    }
    if !row.active {
        return Some(format!("Version {number} is inactive."));
    }
    None
}

/// Promotes a version to primary.
pub async fn promote_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
) -> AppResult<Model> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Owner, "choose this model's primary version")?;
    let row = find_named_version(&state.db, &model, reference, "version").await?;
    if let Some(why) = primary_blocker(&row) {
        return Err(conflict(
            codes::VERSION_CANNOT_BE_PRIMARY,
            format!("{why} Only a published, active, ready version can be primary."),
            "Publish (and reactivate) the version first, or promote another one.",
        )
        .into());
    }
    let now = db::now();
    let mut tx = db::begin_write(&state.db).await?;
    let previous: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT v.major || '.' || v.minor || '.' || v.patch FROM models m
         JOIN versions v ON v.id = {PRIMARY_VERSION_ID} WHERE m.id = $1"
    ))
    .bind(&model.id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query("UPDATE models SET primary_version_id = $1, updated_at = $2 WHERE id = $3")
        .bind(&row.id)
        .bind(&now)
        .bind(&model.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "version.promote",
        &format!("model:{}", model.id),
        json!({
            "model": model.name,
            "version": row.number().to_string(),
            "from": previous.map(|(v,)| v),
        }),
    )
    .await?;
    tx.commit().await?;
    models::get_model(&state.db, Some(caller), &model.id).await
}

/// Deletes a version for good. Drafts need an Editor; published versions, and the last version
/// (which takes the model with it), need an Owner.
/// With `keep_model`, the model stays (without versions) even when this was its last version:
/// what an abandoned first upload needs.
pub async fn delete_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    keep_model: bool,
) -> AppResult<VersionDeleted> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "delete this model's versions")?;
    let row = find_version(&state.db, &model, reference).await?;
    let mut tx = db::begin_write(&state.db).await?;
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM versions WHERE model_id = $1")
        .bind(&model.id)
        .fetch_one(&mut *tx)
        .await?;
    let model_deleted = count <= 1 && !keep_model;
    if model_deleted {
        model.require(
            Role::Owner,
            "delete the only version of this model (which deletes the model)",
        )?;
    } else if row.state() == VersionState::Published {
        model.require(Role::Owner, "delete a published version")?;
    }
    let number = row.number().to_string();
    if model_deleted {
        sqlx::query("DELETE FROM models WHERE id = $1")
            .bind(&model.id)
            .execute(&mut *tx)
            .await?;
    } else {
        aliases::check_no_protected_alias(&mut tx, &model, &row.id, &number, "delete").await?;
        aliases::record_removal_with_version(&mut tx, &model, caller, &row.id, &number).await?;
        sqlx::query("DELETE FROM versions WHERE id = $1")
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        touch_model(&mut tx, &model.id, &db::now()).await?;
    }
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "version.delete",
        &format!("model:{}", model.id),
        json!({"model": model.name, "version": number, "model_deleted": model_deleted}),
    )
    .await?;
    tx.commit().await?;
    Ok(VersionDeleted {
        version: number,
        model_deleted,
    })
}
