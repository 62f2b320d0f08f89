//! The optional "analytics" PostgreSQL database holds only report rows. It has its own
//! migration history table, so it may even share a server with the main database.

use sea_orm_migration::prelude::*;

pub struct AnalyticsMigrator;

#[async_trait::async_trait]
impl MigratorTrait for AnalyticsMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(ReportRows), Box::new(ReportOutcomes)]
    }

    fn migration_table_name() -> DynIden {
        "relay_console_analytics_migrations".into_iden()
    }
}

#[derive(DeriveMigrationName)]
struct ReportRows;

#[async_trait::async_trait]
impl MigrationTrait for ReportRows {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::report_rows::create(manager, false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("report_rows").take())
            .await
    }
}

/// The `outcome` column beside each row's status, as in the default database.
struct ReportOutcomes;

// Named by hand: the derive names a migration after its file, and this file holds two.
impl MigrationName for ReportOutcomes {
    fn name(&self) -> &str {
        "analytics_report_outcomes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ReportOutcomes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::m20261207_000009_report_outcomes::add_outcome(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
