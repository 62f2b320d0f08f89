//! Security, second round.
//!
//! - `groups.seed_key`: the seeded groups are found by a stable key, not by a name anyone
//!   with `users.manage` could give another group.
//! - `users.password_change_required`: a password an administrator set must be changed by
//!   its owner at the next sign-in.
//! - Idempotency keys belong to their caller: `client_request_id` is unique per creator
//!   of a bulk send or a message, no longer across everyone. The global unique index goes
//!   (a relaxation: a previous version still serving keeps working, each key now being
//!   unique within its user).

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SEEDED: [(&str, &str); 2] = [
    ("operators", "Operadores UI"),
    ("report_managers", "Report Managers"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("groups")
                    .add_column(text_null("seed_key"))
                    .take(),
            )
            .await?;
        index(manager, "groups", &["seed_key"], true).await?;
        for (key, name) in SEEDED {
            manager
                .exec_stmt(
                    Query::update()
                        .table("groups")
                        .value("seed_key", key)
                        .and_where(Expr::col("name").eq(name))
                        .take(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(flag("password_change_required", false))
                    .take(),
            )
            .await?;
        for table in ["bulk_sends", "messages"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_client_request_id"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
            index(manager, table, &["created_by", "client_request_id"], true).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["bulk_sends", "messages"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_created_by_client_request_id"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
            index(manager, table, &["client_request_id"], true).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("password_change_required")
                    .take(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_groups_seed_key")
                    .table("groups")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("groups")
                    .drop_column("seed_key")
                    .take(),
            )
            .await
    }
}
