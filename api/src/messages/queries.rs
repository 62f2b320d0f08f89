//! Reading single messages: one with its attachments, a filtered page.

use std::collections::HashMap;

use chrono::NaiveDate;
use relay_types::{Message, Page};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::MessageStatus;
use crate::config::Config;
use crate::db::{icontains, Db};
use crate::entities::{message, message_attachment, user};
use crate::error::{AppError, AppResult};
use crate::pagination::PageRequest;

pub(super) fn addresses(json: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(json.clone()).unwrap_or_default()
}

async fn to_dtos(db: &Db, models: Vec<message::Model>) -> AppResult<Vec<Message>> {
    let user_ids: Vec<i64> = models.iter().filter_map(|m| m.created_by).collect();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let mut files: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in message_attachment::Entity::find()
        .filter(message_attachment::Column::MessageId.is_in(ids))
        .all(&db.conn)
        .await?
    {
        files
            .entry(link.message_id)
            .or_default()
            .push(link.attachment_id);
    }
    Ok(models
        .into_iter()
        .map(|m| Message {
            id: m.id,
            client_request_id: m.client_request_id,
            created_by: m.created_by.and_then(|id| names.get(&id).cloned()),
            from_email: m.from_email,
            from_name: m.from_name,
            to: addresses(&m.to_addresses),
            cc: addresses(&m.cc_addresses),
            bcc: addresses(&m.bcc_addresses),
            subject: m.subject,
            html: m.html,
            text: m.text_body,
            attachment_ids: files.remove(&m.id).unwrap_or_default(),
            status: m.status,
            relay_message_id: m.relay_message_id,
            error_code: m.error_code,
            error_message: m.error_message,
            created_at: m.created_at,
            sent_at: m.sent_at,
        })
        .collect())
}

pub(super) async fn one(db: &Db, model: message::Model) -> AppResult<Message> {
    Ok(to_dtos(db, vec![model]).await?.remove(0))
}

pub async fn find(db: &Db, id: i64) -> AppResult<message::Model> {
    message::Entity::find_by_id(id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| AppError::not_found("Mensaje no encontrado.", "Message not found."))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageFilter {
    /// Text in the subject, sender, recipients or Doppler id.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub status: Option<MessageStatus>,
    /// First day (local, `YYYY-MM-DD`) of the period.
    pub date_from: Option<NaiveDate>,
    /// Last day (local, `YYYY-MM-DD`) of the period, inclusive.
    pub date_to: Option<NaiveDate>,
}

pub async fn list(
    db: &Db,
    config: &Config,
    filter: &MessageFilter,
    page: PageRequest,
) -> AppResult<Page<Message>> {
    let mut query = message::Entity::find();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(icontains(Expr::col(message::Column::Subject), q))
                .add(icontains(Expr::col(message::Column::FromEmail), q))
                .add(icontains(Expr::col(message::Column::RelayMessageId), q))
                .add(icontains(
                    sea_orm::sea_query::Expr::col(message::Column::ToAddresses).cast_as("text"),
                    q,
                )),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(message::Column::Status.eq(status));
    }
    if let Some(from) = filter.date_from {
        query = query.filter(message::Column::CreatedAt.gte(config.local_midnight(from)));
    }
    if let Some(to) = filter.date_to {
        query = query.filter(
            message::Column::CreatedAt.lt(config.local_midnight(to + chrono::Days::new(1))),
        );
    }
    let total = query.clone().count(&db.conn).await?;
    let models = query
        .order_by_desc(message::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&db.conn)
        .await?;
    Ok(page.wrap(to_dtos(db, models).await?, total))
}

pub async fn get(db: &Db, id: i64) -> AppResult<Message> {
    let model = find(db, id).await?;
    one(db, model).await
}
