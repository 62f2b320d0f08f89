//! Doppler templates: the list (cached for every process), one template with its body and
//! variables, previews, and changes for `templates.manage`.

use relay_types::mustache;
use relay_types::{
    AuditAction, PreviewResponse, TemplateDetail, TemplateInput, TemplateList, TemplatePatch,
    TemplateSummary,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Target};
use crate::auth::CurrentUser;
use crate::cache;
use crate::config::Config;
use crate::csv_input::header::folded;
use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode, ErrorKind};
use crate::pagination::PageRequest;
use crate::relay::payload::TemplateFields;
use crate::relay::{RelayClient, RelayError, RemoteTemplate};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateFilter {
    /// Text contained in the name, id or subject.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Ask Doppler now instead of using the shared cache.
    pub refresh: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct CachedList {
    items: Vec<TemplateSummary>,
}

fn cache_key(config: &Config) -> String {
    format!("templates:{}", config.relay.account_id)
}

fn summary(t: RemoteTemplate) -> TemplateSummary {
    TemplateSummary {
        label: format!("{} (id={})", t.name, t.id),
        id: t.id,
        name: t.name,
        subject: t.subject,
        from_email: t.from_email,
        from_name: t.from_name,
    }
}

fn upstream(err: RelayError, config: &Config) -> AppError {
    let tz = config.time_zone;
    let mut problem = err.into_app_error(tz);
    if problem.kind == ErrorKind::Upstream {
        problem = AppError::upstream(
            ErrorCode::TemplatesUnavailable,
            format!(
                "No se pudieron cargar las plantillas de Doppler Relay. {}",
                problem.es
            ),
            format!("Could not load the Doppler Relay templates. {}", problem.en),
        );
    }
    problem
}

pub async fn list(
    db: &Db,
    relay: &RelayClient,
    config: &Config,
    filter: &TemplateFilter,
    page: PageRequest,
) -> AppResult<TemplateList> {
    let key = cache_key(config);
    let cached = if filter.refresh.unwrap_or(false) {
        None
    } else {
        cache::get::<CachedList>(db, &key).await?
    };
    let (mut items, from_cache, fetched_at) = match cached {
        Some(hit) => (hit.value.items, true, hit.stored_at),
        None => {
            let remote = relay
                .list_templates()
                .await
                .map_err(|e| upstream(e, config))?;
            let items: Vec<TemplateSummary> = remote.into_iter().map(summary).collect();
            let at = cache::put(
                db,
                &key,
                &CachedList {
                    items: items.clone(),
                },
                config.relay.template_cache_ttl,
            )
            .await?;
            (items, false, at)
        }
    };
    items.sort_by_key(|t| t.name.to_lowercase());
    // Case and accents aside: "notificacion" finds "Notificación".
    if let Some(q) = filter
        .q
        .as_deref()
        .map(|q| folded(q.trim()))
        .filter(|q| !q.is_empty())
    {
        items.retain(|t| {
            folded(&t.name).contains(&q)
                || folded(&t.id).contains(&q)
                || folded(&t.subject).contains(&q)
        });
    }
    let total = items.len() as u64;
    let items = items
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.page_size as usize)
        .collect();
    Ok(TemplateList {
        items,
        total,
        page: page.page,
        page_size: page.page_size,
        cached: from_cache,
        fetched_at,
    })
}

fn detail_key(config: &Config, id: &str) -> String {
    format!("template:{}:{id}", config.relay.account_id)
}

/// The longest template id asked for: Doppler's are short; a longer one is not a template.
const MAX_TEMPLATE_ID_CHARS: usize = 100;

/// One template as the shared cache has it (for `TEMPLATE_CACHE_TTL`, like the list), else
/// from Doppler: previews and forms do not cost a Doppler call each. Changes made through
/// this API refresh it at once; starting a send reads Doppler itself ([`fresh_detail`]).
pub async fn detail(
    db: &Db,
    relay: &RelayClient,
    config: &Config,
    id: &str,
) -> AppResult<TemplateDetail> {
    if id.chars().count() > MAX_TEMPLATE_ID_CHARS {
        return Err(not_found(id));
    }
    let key = detail_key(config, id);
    if let Some(hit) = cache::get::<TemplateDetail>(db, &key).await? {
        return Ok(hit.value);
    }
    let template = fresh_detail(relay, config, id).await?;
    cache::put(db, &key, &template, config.relay.template_cache_ttl).await?;
    Ok(template)
}

fn not_found(id: &str) -> AppError {
    AppError::not_found("Plantilla no encontrada.", "Template not found.").with("template_id", id)
}

/// One template with its body, from Doppler now.
pub async fn fresh_detail(
    relay: &RelayClient,
    config: &Config,
    id: &str,
) -> AppResult<TemplateDetail> {
    if id.chars().count() > MAX_TEMPLATE_ID_CHARS {
        return Err(not_found(id));
    }
    let (template, html) = relay.get_template(id).await.map_err(|e| {
        if e.is_not_found() {
            not_found(id)
        } else {
            upstream(e, config)
        }
    })?;
    Ok(TemplateDetail {
        variables: mustache::variables(&html),
        id: template.id,
        name: template.name,
        subject: template.subject,
        from_email: template.from_email,
        from_name: template.from_name,
        html,
    })
}

pub fn preview(
    template: &TemplateDetail,
    values: &serde_json::Map<String, serde_json::Value>,
) -> PreviewResponse {
    let missing_variables = template
        .variables
        .iter()
        .filter(|v| {
            values
                .get(v.as_str())
                .is_none_or(|value| value.is_null() || value.as_str() == Some(""))
        })
        .cloned()
        .collect();
    PreviewResponse {
        subject: mustache::render(&template.subject, values),
        html: mustache::render(&template.html, values),
        variables: template.variables.clone(),
        missing_variables,
    }
}

/// The rules of a template's fields, as the OpenAPI document states them.
fn check_input(
    name: Option<&str>,
    subject: Option<&str>,
    from_email: Option<&str>,
    from_name: Option<&str>,
    html: Option<&str>,
) -> AppResult<()> {
    if let Some(name) = name {
        crate::input::name(name, 200, "name", ErrorCode::TemplateNameRequired)?;
    }
    if let Some(email) = from_email {
        crate::input::email_field(email, "from_email", ErrorCode::TemplateFromEmailInvalid)?;
    }
    for (field, value, max) in [
        ("subject", subject, relay_types::limits::SUBJECT_MAX_CHARS),
        ("from_name", from_name, 255),
        ("html", html, 200_000),
    ] {
        if let Some(value) = value {
            crate::input::text(value, max, field)?;
        }
    }
    Ok(())
}

pub async fn create(
    db: &Db,
    relay: &RelayClient,
    config: &Config,
    by: &CurrentUser,
    input: TemplateInput,
) -> AppResult<TemplateDetail> {
    check_input(
        Some(&input.name),
        Some(&input.subject),
        Some(&input.from_email),
        Some(&input.from_name),
        Some(&input.html),
    )?;
    let fields = TemplateFields {
        name: Some(input.name.trim().to_string()),
        subject: Some(input.subject),
        from_email: Some(input.from_email.trim().to_string()),
        from_name: Some(input.from_name),
        body: Some(input.html),
    };
    let id = relay
        .create_template(&fields)
        .await
        .map_err(|e| upstream(e, config))?;
    cache::forget(db, &cache_key(config)).await?;
    audit::record(
        &db.conn,
        &by.actor(),
        AuditAction::TemplatesCreate,
        Some(Target::new("template", &id)),
        json!({ "name": fields.name }),
    )
    .await?;
    detail(db, relay, config, &id).await
}

pub async fn update(
    db: &Db,
    relay: &RelayClient,
    config: &Config,
    by: &CurrentUser,
    id: &str,
    patch: TemplatePatch,
) -> AppResult<TemplateDetail> {
    check_input(
        patch.name.as_deref(),
        patch.subject.as_deref(),
        patch.from_email.as_deref(),
        patch.from_name.as_deref(),
        patch.html.as_deref(),
    )?;
    let fields = TemplateFields {
        name: patch.name.map(|n| n.trim().to_string()),
        subject: patch.subject,
        from_email: patch.from_email.map(|e| e.trim().to_string()),
        from_name: patch.from_name,
        body: patch.html,
    };
    relay.update_template(id, &fields).await.map_err(|e| {
        if e.is_not_found() {
            AppError::not_found("Plantilla no encontrada.", "Template not found.")
        } else {
            upstream(e, config)
        }
    })?;
    cache::forget(db, &cache_key(config)).await?;
    cache::forget(db, &detail_key(config, id)).await?;
    audit::record(&db.conn, &by.actor(), AuditAction::TemplatesUpdate, Some(Target::new("template", id)), json!({ "name": fields.name, "subject": fields.subject, "body_changed": fields.body.is_some() })).await?;
    detail(db, relay, config, id).await
}

pub async fn delete(
    db: &Db,
    relay: &RelayClient,
    config: &Config,
    by: &CurrentUser,
    id: &str,
) -> AppResult<()> {
    relay.delete_template(id).await.map_err(|e| {
        if e.is_not_found() {
            AppError::not_found("Plantilla no encontrada.", "Template not found.")
        } else {
            upstream(e, config)
        }
    })?;
    cache::forget(db, &cache_key(config)).await?;
    cache::forget(db, &detail_key(config, id)).await?;
    audit::record(
        &db.conn,
        &by.actor(),
        AuditAction::TemplatesDelete,
        Some(Target::new("template", id)),
        json!({}),
    )
    .await?;
    Ok(())
}
