//! The typed report-row table, the same in the default and the analytics database.

use sea_orm_migration::prelude::*;

use crate::columns::*;

/// `report_rows`; in the default database its `report_id` also references the report.
pub async fn create(manager: &SchemaManager<'_>, with_report_fk: bool) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table("report_rows")
        .col(id("id"))
        .col(fk_id("report_id"))
        .col(int("row_number", 0))
        .col(text_null("subject"))
        .col(text_null("sender"))
        .col(text_null("sender_name"))
        .col(text_null("email"))
        .col(text_null("status"))
        // The report's `Date`, read as UTC, and the same instant in TIME_ZONE beside it.
        .col(at_null("event_at"))
        .col(text_null("event_local"))
        .col(int_null("opens"))
        .col(int_null("clicks"))
        .col(text_null("message_id"))
        // Columns the summary shape does not name, kept as they came.
        .col(json("extra"))
        .take();
    if with_report_fk {
        table.foreign_key(&mut foreign_key(
            "report_rows",
            "report_id",
            "generated_reports",
            ForeignKeyAction::Cascade,
        ));
    }
    manager.create_table(table).await?;
    // Loading a report twice can never duplicate its rows.
    index(manager, "report_rows", &["report_id", "row_number"], true).await?;
    index(manager, "report_rows", &["report_id", "email"], false).await?;
    Ok(())
}
