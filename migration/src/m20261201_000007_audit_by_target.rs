//! A bulk send's timeline reads the audit entries about it: an index on the target makes
//! that a lookup rather than a scan of every sign-in ever recorded. Additive.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(manager, "audit_log", &["target_type", "target_id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_log_target_type_target_id")
                    .table("audit_log")
                    .to_owned(),
            )
            .await
    }
}
