//! The schema of Relay Console: the only place it is defined.
//!
//! Every migration builds its tables with the sea-query schema builder so the same
//! definitions produce equivalent DDL on SQLite and PostgreSQL.
//!
//! Migrations only add (tables, columns with a default or nullable, indexes): an upgrade runs
//! `relay-console migrate` while the previous version still serves, and a rollback starts the
//! previous version on the migrated database. Dropping, renaming or tightening takes two
//! versions: N stops using the old thing, N+1 removes it (infra/DEPLOY.md, "Actualizar").

pub use sea_orm_migration::prelude::*;

mod analytics;
mod columns;
mod m20261128_000001_accounts;
mod m20261128_000002_relay;
mod m20261128_000003_bulk_sends;
mod m20261128_000004_reports;
mod m20261128_000005_bulk_load_without_row_triggers;
mod m20261130_000006_session_versions;
mod m20261201_000007_audit_by_target;
mod m20261207_000008_security_round_two;
mod m20261207_000009_report_outcomes;
mod m20261207_000010_send_budget;
mod m20261207_000011_home_figures;
mod m20261207_000012_status_message_en;
mod report_rows;

pub use analytics::AnalyticsMigrator;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_accounts::Migration),
            Box::new(m20261128_000002_relay::Migration),
            Box::new(m20261128_000003_bulk_sends::Migration),
            Box::new(m20261128_000004_reports::Migration),
            Box::new(m20261128_000005_bulk_load_without_row_triggers::Migration),
            Box::new(m20261130_000006_session_versions::Migration),
            Box::new(m20261201_000007_audit_by_target::Migration),
            Box::new(m20261207_000008_security_round_two::Migration),
            Box::new(m20261207_000009_report_outcomes::Migration),
            Box::new(m20261207_000010_send_budget::Migration),
            Box::new(m20261207_000011_home_figures::Migration),
            Box::new(m20261207_000012_status_message_en::Migration),
        ]
    }
}
