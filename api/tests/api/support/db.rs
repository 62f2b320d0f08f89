//! A fresh database per test: a SQLite file, or a new PostgreSQL database dropped after it.

use super::Backend;

/// PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is dropped after it.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend, dir: &std::path::Path) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("test.sqlite3").display()),
                pg_name: None,
            },
            Backend::Postgres => {
                let name = format!("rc_test_{}", uuid::Uuid::new_v4().simple());
                create_postgres_database(&name).await;
                let admin = postgres_admin_url();
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                }
            }
        }
    }
}

pub async fn create_postgres_database(name: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect(
            "PostgreSQL must run on 127.0.0.1:5432 (see README); set TEST_POSTGRES_URL otherwise",
        );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
}

pub fn drop_postgres_database(name: &str) {
    let name = name.to_string();
    // Drop runs outside any runtime we may block; use a private one on its own thread.
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            }
        });
    })
    .join();
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            drop_postgres_database(name);
        }
    }
}
