use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "generated_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_type: relay_types::ReportType,
    pub start_date: Date,
    pub end_date: Date,
    pub state: relay_types::ReportState,
    pub report_request_id: String,
    pub poll_started_at: Option<DateTimeUtc>,
    pub next_poll_at: Option<DateTimeUtc>,
    pub poll_delay_ms: i64,
    pub file_path: String,
    pub file_size: i64,
    pub error_details: String,
    pub origin: relay_types::ReportOrigin,
    pub bulk_send_id: Option<i64>,
    pub requested_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub ready_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
