//! Sender identities: administration for `senders.manage`, one's own for everyone.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use relay_types::{
    CreateSender, MySender, Sender, SenderCandidate, SenderList, SetMySender, UpdateSender,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::{CurrentUser, Permission};
use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::AppState;
use crate::pagination::PageParams;
use crate::senders::{self, SenderFilter};
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_senders, create_sender))
        .routes(routes!(get_my_sender, set_my_sender))
        .routes(routes!(sender_candidates))
        .routes(routes!(get_sender, update_sender, delete_sender))
}

/// Sender identities and the deployment default. Operators see their own active ones (what
/// their sends may use); `senders.manage` sees all.
#[utoipa::path(get, path = "/api/v1/senders", tag = "senders",
    params(SenderFilter, PageParams),
    responses((status = 200, body = SenderList), Unauthorized, Forbidden, Invalid))]
async fn list_senders(
    State(state): State<Services>,
    user: CurrentUser,
    ApiQuery(mut filter): ApiQuery<SenderFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<SenderList>> {
    user.require_any(&[
        Permission::SendersManage,
        Permission::BulkSendsOperate,
        Permission::BulkSendsView,
        Permission::MessagesSend,
    ])?;
    if !user.has(Permission::SendersManage) {
        filter.active = Some(true);
        filter.user_id = Some(user.id);
    }
    Ok(Json(
        senders::list(&state.db, &state.config, &filter, page.into()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/senders", tag = "senders",
    request_body = CreateSender,
    responses((status = 201, body = Sender), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Invalid))]
async fn create_sender(
    State(state): State<Services>,
    user: Authorized<can::ManageSenders>,
    ApiJson(body): ApiJson<CreateSender>,
) -> AppResult<(StatusCode, Json<Sender>)> {
    Ok((
        StatusCode::CREATED,
        Json(senders::create(&state.db, &user, body).await?),
    ))
}

/// Users who may be given an identity (active, none yet), for `senders.manage` to pick an
/// owner without the right to read users: id, username and name only, by username, at
/// most 50 (narrow with `q`: username, name or e-mail).
#[utoipa::path(get, path = "/api/v1/senders/candidates", tag = "senders",
    params(CandidateFilter),
    responses((status = 200, body = Vec<SenderCandidate>), Unauthorized, Forbidden, Invalid))]
async fn sender_candidates(
    State(state): State<Services>,
    _: Authorized<can::ManageSenders>,
    ApiQuery(filter): ApiQuery<CandidateFilter>,
) -> AppResult<Json<Vec<SenderCandidate>>> {
    Ok(Json(
        senders::candidates(&state.db, filter.q.as_deref()).await?,
    ))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CandidateFilter {
    /// Text contained in the username, the name or the e-mail.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    q: Option<String>,
}

/// The caller's own identity and what their sends use.
#[utoipa::path(get, path = "/api/v1/senders/me", tag = "senders",
    responses((status = 200, body = MySender), Unauthorized))]
async fn get_my_sender(
    State(state): State<Services>,
    user: CurrentUser,
) -> AppResult<Json<MySender>> {
    Ok(Json(
        senders::mine(&state.db, &state.config, user.id).await?,
    ))
}

/// Set the caller's own identity (`senders.manage`; created if missing). An identity an
/// administrator deactivated stays inactive.
#[utoipa::path(put, path = "/api/v1/senders/me", tag = "senders",
    request_body = SetMySender,
    responses((status = 200, body = MySender), BadRequest, Unauthorized, Forbidden, Unsupported, Invalid))]
async fn set_my_sender(
    State(state): State<Services>,
    user: Authorized<can::ManageSenders>,
    ApiJson(body): ApiJson<SetMySender>,
) -> AppResult<Json<MySender>> {
    Ok(Json(
        senders::set_mine(&state.db, &state.config, &user, body).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/senders/{id}", tag = "senders",
    params(("id" = i64, Path, description = "Sender id")),
    responses((status = 200, body = Sender), Unauthorized, Forbidden, NotFound))]
async fn get_sender(
    State(state): State<Services>,
    _: Authorized<can::ManageSenders>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Sender>> {
    Ok(Json(senders::get(&state.db, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/senders/{id}", tag = "senders",
    params(("id" = i64, Path, description = "Sender id")),
    request_body = UpdateSender,
    responses((status = 200, body = Sender), BadRequest, Unauthorized, Forbidden, NotFound, Invalid))]
async fn update_sender(
    State(state): State<Services>,
    user: Authorized<can::ManageSenders>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateSender>,
) -> AppResult<Json<Sender>> {
    Ok(Json(senders::update(&state.db, &user, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/senders/{id}", tag = "senders",
    params(("id" = i64, Path, description = "Sender id")),
    responses((status = 204, description = "Deleted"), Unauthorized, Forbidden, NotFound))]
async fn delete_sender(
    State(state): State<Services>,
    user: Authorized<can::ManageSenders>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    senders::delete(&state.db, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
