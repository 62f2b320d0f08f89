use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_request_id: Option<String>,
    pub created_by: Option<i64>,
    pub sender_id: Option<i64>,
    pub from_email: String,
    pub from_name: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub to_addresses: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub cc_addresses: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub bcc_addresses: Json,
    pub subject: String,
    pub html: Option<String>,
    pub text_body: Option<String>,
    pub status: relay_types::MessageStatus,
    pub relay_message_id: String,
    pub error_code: String,
    pub error_message: String,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
