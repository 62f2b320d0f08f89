use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_sends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_request_id: Option<String>,
    pub template_id: String,
    pub template_name: String,
    pub subject: String,
    pub sender_id: Option<i64>,
    pub from_email: String,
    pub from_name: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub mapping: Json,
    pub status: relay_types::BulkSendStatus,
    pub status_reason: String,
    pub status_message: String,
    pub status_message_en: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub scheduled_at: Option<DateTimeUtc>,
    pub queued_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub resume_at: Option<DateTimeUtc>,
    pub file_name: String,
    pub file_path: String,
    pub file_size: i64,
    pub encoding: String,
    pub delimiter: String,
    pub email_column: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub headers: Json,
    pub import_error: String,
    pub imported_at: Option<DateTimeUtc>,
    pub total_count: i64,
    pub valid_count: i64,
    pub invalid_count: i64,
    pub warning_count: i64,
    pub pending_count: i64,
    pub sending_count: i64,
    pub sent_count: i64,
    pub failed_count: i64,
    pub ambiguous_count: i64,
    pub report_status: relay_types::BulkReportState,
    pub report_error: String,
    pub template_subject: String,
    pub report_requested_at: Option<DateTimeUtc>,
    pub report_loaded_at: Option<DateTimeUtc>,
    pub report_rows: i64,
    /// From the loaded report: messages delivered (`Sent`) and recipients who opened.
    pub report_delivered: i64,
    pub report_opened: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
