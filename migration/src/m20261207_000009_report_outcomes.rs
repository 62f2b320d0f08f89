//! What each report row's status means, stored beside it (`outcome`: delivered, bounced,
//! dropped, pending, spam, unsubscribed, other), so that SQL on `report_rows` — in the
//! default and the analytics database — counts as the campaign pages do; and recipients
//! found by address (a report row without a message id is matched by it).
//!
//! Additive: a previous version ignores the column (rows it loads have none, and the
//! campaign figures never read it). Rows loaded before are filled here, with the meanings
//! this version knows (`relay_types::DeliveryOutcome::SPELLINGS`, written out as they stand).

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `DeliveryOutcome::of` as SQL, frozen at this version.
pub const OUTCOME_OF_STATUS: &str = "CASE lower(trim(status)) \
    WHEN 'sent' THEN 'delivered' WHEN 'delivered' THEN 'delivered' WHEN 'delivery' THEN 'delivered' \
    WHEN 'success' THEN 'delivered' \
    WHEN 'rejected' THEN 'bounced' WHEN 'invalid' THEN 'bounced' WHEN 'bounced' THEN 'bounced' \
    WHEN 'bounce' THEN 'bounced' WHEN 'hardbounce' THEN 'bounced' WHEN 'softbounce' THEN 'bounced' \
    WHEN 'dropped' THEN 'dropped' WHEN 'discarded' THEN 'dropped' \
    WHEN 'queued' THEN 'pending' WHEN 'retrying' THEN 'pending' WHEN 'pending' THEN 'pending' \
    WHEN 'spam' THEN 'spam' WHEN 'complaint' THEN 'spam' \
    WHEN 'unsubscribed' THEN 'unsubscribed' WHEN 'unsubscribe' THEN 'unsubscribed' \
    ELSE 'other' END";

/// The column and its backfill, in the default or the analytics database.
pub async fn add_outcome(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table("report_rows")
                .add_column(text_null("outcome"))
                .take(),
        )
        .await?;
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "UPDATE report_rows SET outcome = {OUTCOME_OF_STATUS} WHERE outcome IS NULL"
        ))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_outcome(manager).await?;
        index(manager, "recipients", &["email_normalized"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_recipients_email_normalized")
                    .table("recipients")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("report_rows")
                    .drop_column("outcome")
                    .take(),
            )
            .await
    }
}
