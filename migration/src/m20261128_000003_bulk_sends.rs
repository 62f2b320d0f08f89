//! Bulk sends, their recipient ledger, and the job table.

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
                    .table("bulk_sends")
                    .col(id("id"))
                    .col(text_null("client_request_id"))
                    .col(text("template_id"))
                    .col(text_default("template_name", ""))
                    // Empty: the template's own subject.
                    .col(text_default("subject", ""))
                    .col(fk_id_null("sender_id"))
                    .col(text("from_email"))
                    .col(text_default("from_name", ""))
                    // {template variable: CSV column}
                    .col(json("mapping"))
                    // importing, ready, ready_with_errors, import_failed, scheduled, queued,
                    // sending, paused, done, done_with_errors, failed, cancelled
                    .col(text("status"))
                    .col(text_default("status_reason", ""))
                    .col(text_default("status_message", ""))
                    .col(fk_id_null("created_by"))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .col(at_null("scheduled_at"))
                    .col(at_null("queued_at"))
                    .col(at_null("started_at"))
                    .col(at_null("finished_at"))
                    .col(at_null("resume_at"))
                    // The recipients file and what the import found in it.
                    .col(text_default("file_name", ""))
                    .col(text_default("file_path", ""))
                    .col(int("file_size", 0))
                    .col(text_default("encoding", ""))
                    .col(text_default("delimiter", ""))
                    .col(text_default("email_column", ""))
                    .col(json("headers"))
                    .col(text_default("import_error", ""))
                    .col(at_null("imported_at"))
                    // Counters, refreshed from the ledger while sending.
                    .col(int("total_count", 0))
                    .col(int("valid_count", 0))
                    .col(int("invalid_count", 0))
                    .col(int("warning_count", 0))
                    .col(int("pending_count", 0))
                    .col(int("sending_count", 0))
                    .col(int("sent_count", 0))
                    .col(int("failed_count", 0))
                    .col(int("ambiguous_count", 0))
                    .foreign_key(&mut foreign_key(
                        "bulk_sends",
                        "sender_id",
                        "senders",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut foreign_key(
                        "bulk_sends",
                        "created_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "bulk_sends", &["client_request_id"], true).await?;
        index(manager, "bulk_sends", &["status", "scheduled_at"], false).await?;
        index(manager, "bulk_sends", &["created_at"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("bulk_send_attachments")
                    .col(fk_id("bulk_send_id"))
                    .col(fk_id("attachment_id"))
                    .primary_key(Index::create().col("bulk_send_id").col("attachment_id"))
                    .foreign_key(&mut foreign_key(
                        "bulk_send_attachments",
                        "bulk_send_id",
                        "bulk_sends",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "bulk_send_attachments",
                        "attachment_id",
                        "attachments",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "bulk_send_attachments", &["attachment_id"], false).await?;

        // One row per CSV data row. Sending moves a row forward only:
        // not_started → sending → sent | send_failed | ambiguous (an operator may put an
        // ambiguous row back to not_started, explicitly).
        manager
            .create_table(
                Table::create()
                    .table("recipients")
                    .col(id("id"))
                    .col(fk_id("bulk_send_id"))
                    .col(int("row_number", 0))
                    .col(text("email"))
                    .col(text("email_normalized"))
                    .col(text("variables"))
                    // valid | warning | invalid
                    .col(text("validation_status"))
                    .col(text_default("validation_code", ""))
                    .col(text_default("validation_message", ""))
                    .col(text_default("send_status", "not_started"))
                    .col(int("attempts", 0))
                    .col(text_default("message_id", ""))
                    .col(text_default("error_code", ""))
                    .col(text_default("error_message", ""))
                    .col(text("idempotency_key"))
                    .col(fk_id_null("job_id"))
                    .col(at_null("send_started_at"))
                    .col(at_null("sent_at"))
                    .foreign_key(&mut foreign_key(
                        "recipients",
                        "bulk_send_id",
                        "bulk_sends",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "recipients", &["bulk_send_id", "row_number"], true).await?;
        index(
            manager,
            "recipients",
            &["bulk_send_id", "send_status", "row_number"],
            false,
        )
        .await?;
        index(manager, "recipients", &["message_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("jobs")
                    .col(id("id"))
                    // bulk_send, process_reports, post_send_report, load_report, ...
                    .col(text("job_type"))
                    // queued | running | done | error
                    .col(text("state"))
                    // Set while queued or running ("bulk_send:42"): one active job per subject.
                    .col(text_null("dedupe_key"))
                    .col(fk_id_null("bulk_send_id"))
                    .col(fk_id_null("report_id"))
                    .col(json("payload"))
                    .col(at("run_after"))
                    .col(text_null("lease_owner"))
                    .col(at_null("lease_expires_at"))
                    .col(at_null("heartbeat_at"))
                    .col(int("attempts", 0))
                    .col(int("max_attempts", 5))
                    .col(fk_id_null("triggered_by"))
                    .col(fk_id_null("retry_of"))
                    .col(text_default("message", ""))
                    .col(text_default("error", ""))
                    .col(int("progress_done", 0))
                    .col(int("progress_total", 0))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .col(at_null("started_at"))
                    .col(at_null("finished_at"))
                    .foreign_key(&mut foreign_key(
                        "jobs",
                        "bulk_send_id",
                        "bulk_sends",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "jobs",
                        "triggered_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "jobs", &["dedupe_key"], true).await?;
        index(manager, "jobs", &["state", "run_after"], false).await?;
        index(manager, "jobs", &["bulk_send_id", "created_at"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["jobs", "recipients", "bulk_send_attachments", "bulk_sends"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
