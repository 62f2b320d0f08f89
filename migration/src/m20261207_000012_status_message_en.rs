//! The reason a send stopped, in English beside Spanish: the dashboard shows it in the
//! language the user chose (it showed the Spanish one to everybody).
//!
//! Additive: a previous version ignores the column.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("bulk_sends")
                    .add_column(text_default("status_message_en", ""))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("bulk_sends")
                    .drop_column("status_message_en")
                    .take(),
            )
            .await
    }
}
