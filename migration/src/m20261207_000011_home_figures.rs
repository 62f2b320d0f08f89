//! What the home page shows without reading the reports again: each send's delivered
//! messages and unique openers from its loaded report (kept when the report loads), and
//! recipients found by the time they were sent (the last 30 days' chart) and by their
//! address whatever its case (the search across sends).
//!
//! Additive: a previous version ignores the columns and the index.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["report_delivered", "report_opened"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("bulk_sends")
                        .add_column(int(column, 0))
                        .take(),
                )
                .await?;
        }
        index(manager, "recipients", &["sent_at"], false).await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_recipients_email_lower ON recipients (lower(email_normalized))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_recipients_email_lower")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_recipients_sent_at")
                    .table("recipients")
                    .to_owned(),
            )
            .await?;
        for column in ["report_delivered", "report_opened"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("bulk_sends")
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
