//! What every case starts from: a database of its own, the services over it, a user,
//! and a recipient file imported.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use relay_console::auth::CurrentUser;
use relay_console::bulk_sends::{self, NewBulkSend};
use relay_console::config::Config;
use relay_console::server;
use relay_console::services::Services;
use relay_types::CreateUser;

use crate::DbChoice;

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for this run only.
pub(crate) struct BenchDb {
    pub(crate) url: String,
    pg_name: Option<String>,
    _dir: tempfile_dir::Dir,
}

pub(crate) mod tempfile_dir {
    /// A directory removed at the end of the run.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> std::io::Result<Dir> {
            let path =
                std::env::temp_dir().join(format!("relay-bench-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path)?;
            Ok(Dir(path))
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl BenchDb {
    pub(crate) async fn new(choice: DbChoice) -> anyhow::Result<BenchDb> {
        let dir = tempfile_dir::Dir::new()?;
        Ok(match choice {
            DbChoice::Sqlite => BenchDb {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.0.join("bench.sqlite3").display()
                ),
                pg_name: None,
                _dir: dir,
            },
            DbChoice::Postgres => {
                use sqlx::Connection;
                let name = format!("relay_bench_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(PG_ADMIN).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await?;
                BenchDb {
                    url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    pg_name: Some(name),
                    _dir: dir,
                }
            }
        })
    }

    pub(crate) fn data_dir(&self) -> &Path {
        &self._dir.0
    }

    pub(crate) async fn drop_database(&self) {
        if let Some(name) = &self.pg_name {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(PG_ADMIN).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            }
        }
    }
}

/// Peak resident memory of this process so far, in MB (Linux `VmHWM`).
pub(crate) fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

pub(crate) async fn state_for(
    db: &BenchDb,
    sim_url: &str,
    extra: &[(&str, String)],
) -> anyhow::Result<(Services, CurrentUser)> {
    let mut vars: HashMap<String, String> = [
        (
            "SECRET_KEY",
            "bN4cR8vK1pZ6mQ9xT3wL7fJ2hY5sG0dEaUoIiVnWqXt".to_string(),
        ),
        ("DATABASE_URL", db.url.clone()),
        ("DATA_DIR", db.data_dir().display().to_string()),
        ("DOPPLER_RELAY_BASE_URL", sim_url.to_string()),
        ("DOPPLER_RELAY_API_KEY", "bench".to_string()),
        ("DOPPLER_RELAY_ACCOUNT_ID", "9518".to_string()),
        (
            "DOPPLER_RELAY_FROM_EMAIL",
            "cobranzas@example.com".to_string(),
        ),
        ("IMPORT_MAX_ROWS", "2000000".to_string()),
        ("UPLOAD_MAX_BYTES", (1u64 << 31).to_string()),
        ("BULK_SCHEDULER_ENABLED", "false".to_string()),
        ("REPORTS_TIMER_ENABLED", "false".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        vars.insert(k.to_string(), v.clone());
    }
    let config = Config::from_vars(&vars)?;
    let conn = server::connect(&config).await?;
    server::migrate(&conn).await?;
    let state = Services::new(config, conn)?;
    let user = relay_console::accounts::users::create(
        &state.db,
        &state.hasher,
        None,
        CreateUser {
            username: "bench".into(),
            email: None,
            password: "bench-clave-Galapagos-7".into(),
            first_name: String::new(),
            last_name: String::new(),
            is_superuser: true,
            is_active: true,
            group_ids: vec![],
            permissions: vec![],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let current = CurrentUser {
        id: user.id,
        username: user.username,
        is_superuser: true,
        permissions: Default::default(),
        ip: None,
        api_token_id: None,
        password_change_required: false,
    };
    Ok((state, current))
}

pub(crate) async fn import_file(
    state: &Services,
    user: &CurrentUser,
    file: &Path,
    template_id: &str,
) -> anyhow::Result<(i64, Duration)> {
    let spool = relay_console::storage::spool_path(&state.config);
    if let Some(dir) = spool.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(file, &spool)?;
    let size = std::fs::metadata(&spool)?.len();
    let started = Instant::now();
    let (bulk, _) = bulk_sends::create(
        state,
        user,
        NewBulkSend {
            template_id: template_id.to_string(),
            subject: None,
            sender_id: None,
            mapping: Default::default(),
            attachment_ids: vec![],
            scheduled_at: None,
            send_now: false,
            client_request_id: None,
            reject_suspicious: false,
            email_column: None,
            file_path: spool,
            file_name: file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            file_size: size,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((bulk.id, started.elapsed()))
}
