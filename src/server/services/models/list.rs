//! The models list: filters (search, tag, target type, licence), order and pages.

use super::*;

/// Where a list page lives, so `next` / `previous` can point at neighbours.
pub fn page_url(base: &str, query: &ModelQuery, offset: i64, limit: i64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("search", &query.search),
        ("order_by", &query.order_by),
        ("tag", &query.tag),
        ("target_type", &query.target_type),
        ("license", &query.license),
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
    pool: &AnyPool,
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
    let license = query
        .license
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| validate_license(l).map_err(|e| e.with_field("license")))
        .transpose()?;

    let filters = |q: &mut QueryBuilder<'_>| {
        q.push(" WHERE ");
        push_visible_models(q, caller);
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
        if let Some(license) = &license {
            q.push(" AND m.license = ");
            q.push_bind(license.clone());
        }
    };

    let backend = db::Backend::of(pool);
    let push_page = |q: &mut QueryBuilder<'_>, table: &str| {
        q.push(format!(" ORDER BY {}", order_terms(order, table)));
        q.push(" LIMIT ");
        q.push_bind(paging.limit);
        q.push(" OFFSET ");
        q.push_bind(paging.offset);
    };
    let (total, rows, aliases) = match backend {
        // SQLite's reads run on the request's own thread ([`db::reads`]), where a row costs
        // little: the page is read as rows, which costs a third of building it into JSON text
        // and reading that back.
        db::Backend::Sqlite => {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM models m");
            filters(&mut count);
            let (total,): (i64,) = count.fetch_one_as(pool).await?;
            let mut q = select_models(caller);
            filters(&mut q);
            push_page(&mut q, "m");
            let rows: Vec<ModelRow> = q.fetch_all_as(pool).await?;
            let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
            let aliases = if ids.is_empty() {
                Vec::new()
            } else {
                let mut q = QueryBuilder::new(aliases_of_models(backend));
                q.push_binds(ids);
                q.push(")");
                let (aliases,): (String,) = q.fetch_one_as(pool).await?;
                db::json_rows(&aliases)?
            };
            (total, rows, aliases)
        }
        // Elsewhere each row is a round trip's worth of work: one query answers the page, its
        // models' aliases and the total, as one row, the page as a JSON array.
        db::Backend::Postgres => {
            let mut q = QueryBuilder::new("WITH page AS (");
            push_select_models(&mut q, caller);
            filters(&mut q);
            push_page(&mut q, "m");
            q.push(") SELECT (SELECT COUNT(*) FROM models m");
            filters(&mut q);
            let models = backend.json_array(&model_json(backend, "p"), &order_terms(order, "p"));
            let aliases = aliases_json(backend, "SELECT id FROM page");
            q.push(format!(
                ") AS total, (SELECT {models} FROM page p) AS models, {aliases} AS aliases"
            ));
            let (total, models, aliases): (i64, String, String) = q.fetch_one_as(pool).await?;
            (total, db::json_rows(&models)?, db::json_rows(&aliases)?)
        }
    };

    let mut aliases = aliases_by_model(aliases);
    let data: Vec<Model> = rows
        .into_iter()
        .map(|row| {
            let role = row.role_for(caller);
            let mut model = row.into_model(role);
            model.aliases = aliases.remove(&model.id).unwrap_or_default();
            model
        })
        .collect();
    Ok(paging.page(data, total, |offset, limit| {
        page_url(base_url, query, offset, limit)
    }))
}

/// The terms of an `ORDER BY` for `order`, over the model columns of `table`: ties are broken
/// by id, so pages never overlap.
fn order_terms(order: ModelOrder, table: &str) -> String {
    let (column, direction) = match order {
        ModelOrder::UpdatedDesc => ("updated_at", "DESC"),
        ModelOrder::UpdatedAsc => ("updated_at", "ASC"),
        ModelOrder::NameAsc => ("name COLLATE NOCASE", "ASC"),
        ModelOrder::NameDesc => ("name COLLATE NOCASE", "DESC"),
        ModelOrder::CreatedDesc => ("created_at", "DESC"),
        ModelOrder::CreatedAsc => ("created_at", "ASC"),
    };
    format!("{table}.{column} {direction}, {table}.id")
}
