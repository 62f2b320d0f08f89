//! Database connections (SQLite or PostgreSQL), migrations and the small amount of
//! backend-specific SQL glue the services share.

pub mod bulk_write;

use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Func, LikeExpr, SimpleExpr};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, ExprTrait, SqlxPostgresConnector,
    SqlxSqliteConnector, Statement, Value,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::config::{DatabaseKind, DatabaseUrl};

/// Where the database stands against this version's migrations.
struct MigrationStatus {
    /// Known here, not applied yet.
    pending: Vec<String>,
    /// Applied by a newer version, unknown here.
    newer: Vec<String>,
}

/// A connected database: the sea-orm connection and which backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pub conn: DatabaseConnection,
    pub kind: DatabaseKind,
}

impl Db {
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> anyhow::Result<Db> {
        match url.kind() {
            DatabaseKind::Sqlite => {
                let options = SqliteConnectOptions::from_str(url.expose())?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true);
                if let Some(parent) = options.get_filename().parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)?;
                    }
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "cannot open SQLite database {}: {}",
                            url.redacted(),
                            url.redact_in(&e.to_string())
                        )
                    })?;
                Ok(Db {
                    conn: SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
                    kind: DatabaseKind::Sqlite,
                })
            }
            DatabaseKind::Postgres => {
                let options = PgConnectOptions::from_str(url.expose())
                    .map_err(|e| anyhow::anyhow!("{}", url.redact_in(&e.to_string())))?;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "cannot connect to PostgreSQL {}: {}",
                            url.redacted(),
                            url.redact_in(&e.to_string())
                        )
                    })?;
                Ok(Db {
                    conn: SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
                    kind: DatabaseKind::Postgres,
                })
            }
        }
    }

    /// A PostgreSQL pool that connects on first use (the optional analytics database must
    /// not stop the application from starting).
    pub fn connect_lazy_postgres(url: &DatabaseUrl, max_connections: u32) -> anyhow::Result<Db> {
        let options = PgConnectOptions::from_str(url.expose())
            .map_err(|e| anyhow::anyhow!("{}", url.redact_in(&e.to_string())))?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(15))
            .connect_lazy_with(options);
        Ok(Db {
            conn: SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
            kind: DatabaseKind::Postgres,
        })
    }

    /// The analytics database holds report rows only, with its own migration history.
    pub async fn migrate_analytics(&self) -> anyhow::Result<()> {
        migration::AnalyticsMigrator::up(&self.conn, None).await?;
        Ok(())
    }

    /// The analytics migrations this database lacks.
    pub async fn pending_analytics_migrations(&self) -> anyhow::Result<Vec<String>> {
        use migration::MigratorTrait;
        Ok(
            migration::AnalyticsMigrator::get_pending_migrations(&self.conn)
                .await?
                .iter()
                .map(|m| m.name().to_string())
                .collect(),
        )
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Applies this version's pending migrations. A database that a newer version has
    /// already migrated further (while an upgrade is under way, or after a rollback) is
    /// served as it is: migrations are additive (infra/DEPLOY.md, "Actualizar"), so an older
    /// version works on the newer schema.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let status = self.migration_status().await?;
        if status.newer.is_empty() {
            Migrator::up(&self.conn, None).await?;
        } else if status.pending.is_empty() {
            tracing::info!(newer = ?status.newer, "the database was migrated by a newer version; nothing to apply");
        } else {
            anyhow::bail!(
                "the database holds migrations this version does not know ({:?}) and lacks some it does ({:?}): run the `migrate` of the newest version",
                status.newer,
                status.pending
            );
        }
        Ok(())
    }

    /// This version's migrations the database lacks.
    pub async fn pending_migrations(&self) -> anyhow::Result<Vec<String>> {
        Ok(self.migration_status().await?.pending)
    }

    async fn migration_status(&self) -> anyhow::Result<MigrationStatus> {
        let table = "seaql_migrations";
        let applied: std::collections::BTreeSet<String> =
            if migration::SchemaManager::new(&self.conn)
                .has_table(table)
                .await?
            {
                self.conn
                    .query_all_raw(Statement::from_string(
                        self.backend(),
                        format!("SELECT version FROM {table}"),
                    ))
                    .await?
                    .iter()
                    .map(|row| row.try_get::<String>("", "version"))
                    .collect::<Result<_, _>>()?
            } else {
                Default::default()
            };
        let known: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        Ok(MigrationStatus {
            pending: known
                .iter()
                .filter(|m| !applied.contains(*m))
                .cloned()
                .collect(),
            newer: applied.into_iter().filter(|m| !known.contains(m)).collect(),
        })
    }

    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }

    /// A statement written with PostgreSQL `$n` placeholders, for either backend.
    pub fn stmt(&self, sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
        statement(self.backend(), sql, values)
    }
}

/// SQLite reads `?n` as the n-th parameter, so `$n` placeholders translate one to one.
pub fn statement(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    let sql = match backend {
        DbBackend::Sqlite => sqlite_placeholders(sql),
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

pub fn sqlite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// `expr` contains `text`, ignoring case, with `%` and `_` in `text` taken literally. The
/// same on both backends (PostgreSQL's `LIKE` is case-sensitive, SQLite's is not).
pub fn icontains(expr: impl Into<SimpleExpr>, text: &str) -> SimpleExpr {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Func::lower(expr.into()).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// Whether a database error is a unique-constraint violation (a conflict, not a fault).
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_take_wildcards_literally() {
        use sea_orm::sea_query::{Expr, PostgresQueryBuilder, Query};
        let sql = Query::select()
            .column("a")
            .from("t")
            .and_where(icontains(Expr::col("a"), "50%_OFF"))
            .to_string(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "a" FROM "t" WHERE LOWER("a") LIKE E'%50\\%\\_off%' ESCAPE E'\\'"#
        );
    }

    #[test]
    fn placeholders_translate_for_sqlite() {
        assert_eq!(
            sqlite_placeholders("SELECT * FROM t WHERE a = $2 AND b = $1 AND c = $10"),
            "SELECT * FROM t WHERE a = ?2 AND b = ?1 AND c = ?10"
        );
    }
}
