//! What talking to Doppler Relay needs: a cache shared by every process, uploaded
//! attachments, and single messages.

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
                    .table("cache_entries")
                    .col(ColumnDef::new("key").text().not_null().primary_key())
                    .col(json("value"))
                    .col(at("stored_at"))
                    .col(at("expires_at"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("attachments")
                    .col(id("id"))
                    // The client's file name, kept only for display and downloads.
                    .col(text("original_name"))
                    // Generated path under DATA_DIR; never derived from client input.
                    .col(text("stored_path"))
                    .col(text("content_type"))
                    .col(int("size_bytes", 0))
                    .col(text("sha256"))
                    .col(fk_id_null("created_by"))
                    .col(at("created_at"))
                    .foreign_key(&mut foreign_key(
                        "attachments",
                        "created_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("messages")
                    .col(id("id"))
                    .col(text_null("client_request_id"))
                    .col(fk_id_null("created_by"))
                    .col(fk_id_null("sender_id"))
                    .col(text("from_email"))
                    .col(text_default("from_name", ""))
                    .col(json("to_addresses"))
                    .col(json("cc_addresses"))
                    .col(json("bcc_addresses"))
                    .col(text("subject"))
                    .col(text_null("html"))
                    .col(text_null("text_body"))
                    // sent | send_failed | ambiguous
                    .col(text("status"))
                    .col(text_default("relay_message_id", ""))
                    .col(text_default("error_code", ""))
                    .col(text_default("error_message", ""))
                    .col(at("created_at"))
                    .col(at_null("sent_at"))
                    .foreign_key(&mut foreign_key(
                        "messages",
                        "created_by",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut foreign_key(
                        "messages",
                        "sender_id",
                        "senders",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "messages", &["client_request_id"], true).await?;
        index(manager, "messages", &["created_at"], false).await?;

        // An attachment in use cannot be deleted: RESTRICT.
        manager
            .create_table(
                Table::create()
                    .table("message_attachments")
                    .col(fk_id("message_id"))
                    .col(fk_id("attachment_id"))
                    .primary_key(Index::create().col("message_id").col("attachment_id"))
                    .foreign_key(&mut foreign_key(
                        "message_attachments",
                        "message_id",
                        "messages",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "message_attachments",
                        "attachment_id",
                        "attachments",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "message_attachments", &["attachment_id"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "message_attachments",
            "messages",
            "attachments",
            "cache_entries",
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
