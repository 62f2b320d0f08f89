//! Doppler templates: read by operators, changed by `templates.manage`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{
    PreviewRequest, PreviewResponse, TemplateDetail, TemplateInput, TemplateList, TemplatePatch,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::AppState;
use crate::pagination::PageParams;
use crate::services::Services;
use crate::templates::{self, TemplateFilter};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(preview_template))
}

/// The account's templates, sorted by name. Cached for every process for
/// `TEMPLATE_CACHE_TTL` seconds; `refresh=true` asks Doppler now.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    params(TemplateFilter, PageParams),
    responses((status = 200, body = TemplateList), Unauthorized, Forbidden, Invalid, Upstream))]
async fn list_templates(
    State(state): State<Services>,
    _: Authorized<can::ReadTemplates>,
    ApiQuery(filter): ApiQuery<TemplateFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<TemplateList>> {
    Ok(Json(
        templates::list(&state.db, &state.relay, &state.config, &filter, page.into()).await?,
    ))
}

/// One template with its HTML body and the variables it uses.
#[utoipa::path(get, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = String, Path, description = "Doppler template id")),
    responses((status = 200, body = TemplateDetail), Unauthorized, Forbidden, NotFound, Upstream))]
async fn get_template(
    State(state): State<Services>,
    _: Authorized<can::ReadTemplates>,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<TemplateDetail>> {
    Ok(Json(
        templates::detail(&state.db, &state.relay, &state.config, &id).await?,
    ))
}

/// The template rendered with the given values, as Doppler's Mustache would.
#[utoipa::path(post, path = "/api/v1/templates/{template_id}/preview", tag = "templates",
    params(("template_id" = String, Path, description = "Doppler template id")),
    request_body = PreviewRequest,
    responses((status = 200, body = PreviewResponse), BadRequest, Unauthorized, Forbidden, NotFound, Invalid, Upstream))]
async fn preview_template(
    State(state): State<Services>,
    _: Authorized<can::ReadTemplates>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> AppResult<Json<PreviewResponse>> {
    let template = templates::detail(&state.db, &state.relay, &state.config, &id).await?;
    Ok(Json(templates::preview(&template, &body.variables)))
}

#[utoipa::path(post, path = "/api/v1/templates", tag = "templates",
    request_body = TemplateInput,
    responses((status = 201, body = TemplateDetail), BadRequest, Unauthorized, Forbidden, Invalid, Upstream))]
async fn create_template(
    State(state): State<Services>,
    user: Authorized<can::ManageTemplates>,
    ApiJson(body): ApiJson<TemplateInput>,
) -> AppResult<(StatusCode, Json<TemplateDetail>)> {
    let created = templates::create(&state.db, &state.relay, &state.config, &user, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Change a template's name, subject, sender or body.
#[utoipa::path(patch, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = String, Path, description = "Doppler template id")),
    request_body = TemplatePatch,
    responses((status = 200, body = TemplateDetail), BadRequest, Unauthorized, Forbidden, NotFound, Invalid, Upstream))]
async fn update_template(
    State(state): State<Services>,
    user: Authorized<can::ManageTemplates>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TemplatePatch>,
) -> AppResult<Json<TemplateDetail>> {
    Ok(Json(
        templates::update(&state.db, &state.relay, &state.config, &user, &id, body).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = String, Path, description = "Doppler template id")),
    responses((status = 204, description = "Deleted in Doppler"), Unauthorized, Forbidden, NotFound, Upstream))]
async fn delete_template(
    State(state): State<Services>,
    user: Authorized<can::ManageTemplates>,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    templates::delete(&state.db, &state.relay, &state.config, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
