use sea_orm::entity::prelude::*;

/// One data row of a bulk send's recipient CSV, and how sending it went: the ledger.
/// Rows are written in bulk (`recipients::import`) and moved only by compare-and-set
/// (`recipients::ledger`); this entity reads them.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recipients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bulk_send_id: i64,
    pub row_number: i64,
    pub email: String,
    pub email_normalized: String,
    /// The row's template variables, as a JSON object in text.
    pub variables: String,
    pub validation_status: relay_types::ValidationStatus,
    pub validation_code: String,
    pub validation_message: String,
    pub send_status: relay_types::SendStatus,
    pub attempts: i64,
    pub message_id: String,
    pub error_code: String,
    pub error_message: String,
    pub idempotency_key: String,
    pub job_id: Option<i64>,
    pub send_started_at: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
