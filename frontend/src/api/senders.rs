//! Sender identities: the ones a user may send from, their own ("Mi remitente"), and the
//! administration of all of them (`senders.manage`).

use relay_types::{
    CreateSender, MySender, Sender, SenderCandidate, SenderList, SetMySender, UpdateSender,
};

use super::{delete, get, patch, post, put, query, ApiResult, Body};

pub async fn usable() -> ApiResult<SenderList> {
    get("/api/v1/senders?active=true&page_size=100").await
}

/// Users who may be given an identity (active, none yet) whose name contains `q`.
pub async fn candidates(q: &str) -> ApiResult<Vec<SenderCandidate>> {
    get(&format!(
        "/api/v1/senders/candidates{}",
        query(&[("q", q.to_string())])
    ))
    .await
}

/// "Mi remitente": the user's own identity and what their sends use.
pub async fn mine() -> ApiResult<MySender> {
    get("/api/v1/senders/me").await
}

pub async fn set_mine(body: &SetMySender) -> ApiResult<MySender> {
    put("/api/v1/senders/me", Body::json(body)).await
}

/// "Remitentes": every identity, searched and filtered by state (`""`, `"true"`, `"false"`).
pub async fn list(q: &str, active: &str, page: u64) -> ApiResult<SenderList> {
    get(&format!(
        "/api/v1/senders{}",
        query(&[
            ("q", q.to_string()),
            ("active", active.to_string()),
            ("page", page.max(1).to_string()),
            ("page_size", "20".into()),
        ])
    ))
    .await
}

/// One identity as it is now (an edit starts from the stored values).
pub async fn one(id: i64) -> ApiResult<Sender> {
    get(&format!("/api/v1/senders/{id}")).await
}

pub async fn create(body: &CreateSender) -> ApiResult<Sender> {
    post("/api/v1/senders", Body::json(body)).await
}

pub async fn update(id: i64, body: &UpdateSender) -> ApiResult<Sender> {
    patch(&format!("/api/v1/senders/{id}"), Body::json(body)).await
}

pub async fn remove(id: i64) -> ApiResult<()> {
    delete(&format!("/api/v1/senders/{id}")).await
}
