//! Single messages ("Mensajes"): send one, the history with search, settle an ambiguous one.

use relay_types::{Message, MessageStatus, Page, ResolveAction, ResolveMessage, SendMessage};

use super::{get, post, query, spelled, ApiResult, Body};

/// The history's filters, as they stand in the page's URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageFilter {
    pub q: String,
    pub status: Option<MessageStatus>,
    pub date_from: String,
    pub date_to: String,
    pub page: u64,
}

pub async fn list(filter: &MessageFilter) -> ApiResult<Page<Message>> {
    get(&format!(
        "/api/v1/messages{}",
        query(&[
            ("q", filter.q.clone()),
            ("status", spelled(&filter.status)),
            ("date_from", filter.date_from.clone()),
            ("date_to", filter.date_to.clone()),
            ("page", filter.page.max(1).to_string()),
            ("page_size", "20".into()),
        ])
    ))
    .await
}

pub async fn one(id: i64) -> ApiResult<Message> {
    get(&format!("/api/v1/messages/{id}")).await
}

/// The body carries a `client_request_id`: sending twice (a double click, a retry after a
/// lost answer) answers the message already sent.
pub async fn send(body: &SendMessage) -> ApiResult<Message> {
    post("/api/v1/messages", Body::json(body)).await
}

pub async fn resolve(id: i64, action: ResolveAction) -> ApiResult<Message> {
    post(
        &format!("/api/v1/messages/{id}/resolve"),
        Body::json(&ResolveMessage { action }),
    )
    .await
}
