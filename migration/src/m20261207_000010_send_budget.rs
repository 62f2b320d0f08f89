//! The Doppler account's sending limits as token buckets every process shares on PostgreSQL
//! (`send_budget`: one row per account and limit, refilled by the database's clock). SQLite
//! has the table too (same schema everywhere) and keeps its budget in the one process.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("send_budget")
                    .col(ColumnDef::new("account_id").big_integer().not_null())
                    // `second` or `hour`.
                    .col(ColumnDef::new("bucket").text().not_null())
                    .col(ColumnDef::new("tokens").double().not_null())
                    .col(at("updated_at"))
                    .primary_key(Index::create().col("account_id").col("bucket"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("send_budget").take())
            .await
    }
}
