//! Bulk loads without per-row reference checks on PostgreSQL.
//!
//! A `COPY` into a table with a foreign key runs a reference-check trigger for every row:
//! it doubled the cost of loading a report and slowed recipient imports by a third. Both
//! tables are only written by a load that has just created or read the row referenced
//! (`bulk_sends`, `generated_reports`), and neither parent is deleted once it has rows
//! (a bulk send is deleted only when its import failed, which stored no row), so the
//! constraint guarded nothing. SQLite keeps it: there the check is an in-engine primary
//! key lookup, cheap next to the insert.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, constraint, column, referenced table)
const CONSTRAINTS: [(&str, &str, &str, &str); 2] = [
    (
        "recipients",
        "fk_recipients_bulk_send_id",
        "bulk_send_id",
        "bulk_sends",
    ),
    (
        "report_rows",
        "fk_report_rows_report_id",
        "report_id",
        "generated_reports",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        for (table, name, _, _) in CONSTRAINTS {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        for (table, name, column, target) in CONSTRAINTS {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (id) ON DELETE CASCADE"
                ))
                .await?;
        }
        Ok(())
    }
}
