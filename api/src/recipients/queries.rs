//! Reading a bulk send's recipients: a filtered page for the screen, and the export in
//! keyset-paged batches.

use relay_types::{Page, Recipient};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::{icontains, Db};
use crate::entities::recipient;
use crate::error::AppResult;
use crate::pagination::PageRequest;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecipientFilter {
    pub send_status: Option<relay_types::SendStatus>,
    pub validation_status: Option<relay_types::ValidationStatus>,
    /// Text contained in the address.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
}

impl RecipientFilter {
    fn condition(&self, bulk_id: i64) -> Condition {
        let mut condition = Condition::all().add(recipient::Column::BulkSendId.eq(bulk_id));
        if let Some(status) = self.send_status {
            condition = condition.add(recipient::Column::SendStatus.eq(status));
        }
        if let Some(status) = self.validation_status {
            condition = condition.add(recipient::Column::ValidationStatus.eq(status));
        }
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            condition = condition.add(icontains(Expr::col(recipient::Column::Email), q));
        }
        condition
    }
}

fn to_dto(m: recipient::Model) -> Recipient {
    Recipient {
        id: m.id,
        row_number: m.row_number,
        email: m.email,
        email_normalized: m.email_normalized,
        variables: serde_json::from_str(&m.variables).unwrap_or_default(),
        validation_status: m.validation_status,
        validation_code: m.validation_code,
        validation_message: m.validation_message,
        send_status: m.send_status,
        attempts: m.attempts,
        message_id: m.message_id,
        error_code: m.error_code,
        error_message: m.error_message,
        send_started_at: m.send_started_at,
        sent_at: m.sent_at,
    }
}

pub async fn list(
    db: &Db,
    bulk_id: i64,
    filter: &RecipientFilter,
    page: PageRequest,
) -> AppResult<Page<Recipient>> {
    let query = recipient::Entity::find().filter(filter.condition(bulk_id));
    let total = query.clone().count(&db.conn).await?;
    let items = query
        .order_by_asc(recipient::Column::RowNumber)
        .limit(page.page_size)
        .offset(page.offset())
        .all(&db.conn)
        .await?;
    Ok(page.wrap(items.into_iter().map(to_dto).collect(), total))
}

/// One batch of the export: up to `size` recipients in row order after `after_row`.
pub async fn export_page(
    db: &Db,
    bulk_id: i64,
    filter: &RecipientFilter,
    after_row: i64,
    size: u64,
) -> AppResult<Vec<Recipient>> {
    let rows = recipient::Entity::find()
        .filter(filter.condition(bulk_id))
        .filter(recipient::Column::RowNumber.gt(after_row))
        .order_by_asc(recipient::Column::RowNumber)
        .limit(size)
        .all(&db.conn)
        .await?;
    Ok(rows.into_iter().map(to_dto).collect())
}
