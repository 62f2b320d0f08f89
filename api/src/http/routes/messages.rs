//! Single messages (`messages.send`).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use relay_types::{Message, Page, ResolveMessage, SendMessage};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::extract::{idempotency_key, ApiJson, ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::AppState;
use crate::messages::{self, MessageFilter};
use crate::pagination::PageParams;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_message, list_messages))
        .routes(routes!(get_message))
        .routes(routes!(resolve_message))
}

/// Send one message through `POST /accounts/{id}/messages`. The answer records Doppler's
/// message id, or why it failed (`status`: `sent`, `send_failed`, `ambiguous`). A repeated
/// `client_request_id` (or `Idempotency-Key`) answers 200 with the message already sent.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messages",
    request_body = SendMessage,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, max_length = 64, description = "Alternative to client_request_id")),
    responses(
        (status = 201, description = "Sent (or failed: see status)", body = Message),
        (status = 200, description = "Already sent with this client_request_id", body = Message),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, Invalid))]
async fn send_message(
    State(state): State<Services>,
    user: Authorized<can::SendMessages>,
    headers: HeaderMap,
    ApiJson(mut body): ApiJson<SendMessage>,
) -> AppResult<(StatusCode, Json<Message>)> {
    body.client_request_id = idempotency_key(&headers, body.client_request_id.take())?;
    let (message, created) = messages::send(&state, &user, body).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(message)))
}

/// Messages sent, newest first, with search and a period of local days.
#[utoipa::path(get, path = "/api/v1/messages", tag = "messages",
    params(MessageFilter, PageParams),
    responses((status = 200, body = Page<Message>), Unauthorized, Forbidden, Invalid))]
async fn list_messages(
    State(state): State<Services>,
    _: Authorized<can::SendMessages>,
    ApiQuery(filter): ApiQuery<MessageFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<Message>>> {
    Ok(Json(
        messages::list(&state.db, &state.config, &filter, page.into()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = i64, Path, description = "Message id")),
    responses((status = 200, body = Message), Unauthorized, Forbidden, NotFound))]
async fn get_message(
    State(state): State<Services>,
    _: Authorized<can::SendMessages>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Message>> {
    Ok(Json(messages::get(&state.db, id).await?))
}

/// Settle an ambiguous message (it may have gone out): `mark_sent` when it did, `resend`
/// to send it once more. Only `ambiguous` messages can be resolved (409 otherwise).
#[utoipa::path(post, path = "/api/v1/messages/{id}/resolve", tag = "messages",
    params(("id" = i64, Path, description = "Message id")),
    request_body = ResolveMessage,
    responses((status = 200, body = Message), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Invalid))]
async fn resolve_message(
    State(state): State<Services>,
    user: Authorized<can::SendMessages>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ResolveMessage>,
) -> AppResult<Json<Message>> {
    Ok(Json(
        messages::resolve(&state, &user, id, body.action).await?,
    ))
}
