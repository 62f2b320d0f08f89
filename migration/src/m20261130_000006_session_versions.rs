//! Sessions that end at once: every access token names the session version it was signed
//! under, and signing out, a password change, deactivation or demotion move the version on,
//! so tokens signed before stop working on their next request. Additive: a running older
//! version ignores the column.

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
                    .table("users")
                    .add_column(int("session_version", 0))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("session_version")
                    .take(),
            )
            .await
    }
}
