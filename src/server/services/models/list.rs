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

    let mut data: Vec<Model> = rows
        .into_iter()
        .map(|row| {
            let role = row.role_for(caller);
            row.into_model(role)
        })
        .collect();
    let ids: Vec<String> = data.iter().map(|m| m.id.clone()).collect();
    let mut aliases = model_aliases(pool, &ids).await?;
    for model in &mut data {
        model.aliases = aliases.remove(&model.id).unwrap_or_default();
    }
    Ok(paging.page(data, total, |offset, limit| {
        page_url(base_url, query, offset, limit)
    }))
}
