//! Doppler report requests, where each is loaded, their typed rows, and the report status
//! of bulk sends.

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
                    .table("generated_reports")
                    .col(id("id"))
                    // deliveries, bounces, opens, clicks, spam, unsubscribed, sent
                    .col(text("report_type"))
                    // Local days, inclusive.
                    .col(date("start_date"))
                    .col(date("end_date"))
                    // PENDING, PROCESSING, READY, ERROR (the legacy upper-case values)
                    .col(text("state"))
                    .col(text_default("report_request_id", ""))
                    .col(at_null("poll_started_at"))
                    .col(at_null("next_poll_at"))
                    .col(int("poll_delay_ms", 0))
                    .col(text_default("file_path", ""))
                    .col(int("file_size", 0))
                    .col(text_default("error_details", ""))
                    // manual, post_send
                    .col(text_default("origin", "manual"))
                    .col(fk_id_null("bulk_send_id"))
                    .col(fk_id_null("requested_by"))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .col(at_null("ready_at"))
                    .foreign_key(&mut foreign_key(
                        "generated_reports",
                        "bulk_send_id",
                        "bulk_sends",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut foreign_key(
                        "generated_reports",
                        "requested_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "generated_reports", &["state"], false).await?;
        index(
            manager,
            "generated_reports",
            &["start_date", "end_date"],
            false,
        )
        .await?;
        index(manager, "generated_reports", &["bulk_send_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("report_loads")
                    .col(id("id"))
                    .col(fk_id("report_id"))
                    // default | analytics
                    .col(text("target"))
                    .col(int("rows", 0))
                    .col(fk_id_null("loaded_by"))
                    .col(at("loaded_at"))
                    .foreign_key(&mut foreign_key(
                        "report_loads",
                        "report_id",
                        "generated_reports",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "report_loads",
                        "loaded_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        // Never twice into the same database.
        index(manager, "report_loads", &["report_id", "target"], true).await?;

        crate::report_rows::create(manager, true).await?;

        // not_started, pending, processing, ready, zero_rows, error
        for column in [
            text_default("report_status", "not_started"),
            text_default("report_error", ""),
            text_default("template_subject", ""),
        ] {
            manager
                .alter_table(Table::alter().table("bulk_sends").add_column(column).take())
                .await?;
        }
        for column in [at_null("report_requested_at"), at_null("report_loaded_at")] {
            manager
                .alter_table(Table::alter().table("bulk_sends").add_column(column).take())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("bulk_sends")
                    .add_column(int("report_rows", 0))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            "report_status",
            "report_error",
            "template_subject",
            "report_requested_at",
            "report_loaded_at",
            "report_rows",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("bulk_sends")
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        for table in ["report_rows", "report_loads", "generated_reports"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
