//! `relay-bench`: one measured case per run, printed beside its SPEC §8 target.
//!
//! Each case runs in its own process (so the peak memory reported is that case's), on a
//! fresh database, through the same service code the API uses. `just bench` runs them all.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use relay_console::auth::CurrentUser;
use relay_console::bulk_sends::{self, NewBulkSend};
use relay_console::config::Config;
use relay_console::server;
use relay_console::services::Services;
use relay_types::CreateUser;

#[derive(Parser)]
#[command(
    name = "relay-bench",
    about = "Relay Console benchmarks (see docs/benchmarks.md)"
)]
struct Cli {
    #[command(subcommand)]
    case: Case,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum DbChoice {
    Sqlite,
    Postgres,
}

#[derive(Subcommand)]
enum Case {
    /// Import a recipient CSV (parse, validate, store in the ledger) into a fresh database.
    Import {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, value_enum)]
        db: DbChoice,
        /// Seconds the import should take at most.
        #[arg(long)]
        target_seconds: f64,
        /// Fresh-database runs; the median is judged, every run is shown.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Send every recipient of a generated file to a simulator with fixed latency.
    Dispatch {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, value_enum)]
        db: DbChoice,
        /// Base URL of a running relay-sim (api key `bench`, account 9518).
        #[arg(long)]
        sim: String,
        /// The simulator's latency, to compute the bound.
        #[arg(long)]
        latency_ms: u64,
        #[arg(long)]
        concurrency: usize,
        /// Sends per second; 0 = no limit.
        #[arg(long, default_value_t = 0)]
        rate: u32,
    },
    /// Load a READY report CSV into typed rows, beside the database's own bulk loader
    /// (`psql \copy` or the `sqlite3` shell's `.import`) filling an equivalent table.
    Load {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, value_enum)]
        db: DbChoice,
        /// Fresh-database runs (each: baseline, then ours); the median ratio is judged.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for this run only.
struct BenchDb {
    url: String,
    pg_name: Option<String>,
    _dir: tempfile_dir::Dir,
}

mod tempfile_dir {
    /// A directory removed at the end of the run.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let path =
                std::env::temp_dir().join(format!("relay-bench-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path).expect("temp dir");
            Dir(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl BenchDb {
    async fn new(choice: DbChoice) -> anyhow::Result<BenchDb> {
        let dir = tempfile_dir::Dir::new();
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

    fn data_dir(&self) -> &Path {
        &self._dir.0
    }

    async fn drop_database(&self) {
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
fn peak_mb() -> f64 {
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

async fn state_for(
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
            password: "bench-password".into(),
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
    };
    Ok((state, current))
}

async fn import_file(
    state: &Services,
    user: &CurrentUser,
    file: &Path,
    template_id: &str,
) -> anyhow::Result<(i64, Duration)> {
    let spool = relay_console::storage::spool_path(&state.config);
    std::fs::create_dir_all(spool.parent().unwrap())?;
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

fn verdict(ok: bool) -> &'static str {
    if ok {
        "meets target"
    } else {
        "MISSES target"
    }
}

fn db_name(db: DbChoice) -> &'static str {
    match db {
        DbChoice::Sqlite => "SQLite",
        DbChoice::Postgres => "PostgreSQL",
    }
}

/// The median of some measurements, and all of them as "a, b, c" (in run order).
fn median(values: &[f64]) -> (f64, String) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let all = values
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(", ");
    (sorted[sorted.len() / 2], all)
}

async fn import_case(
    file: PathBuf,
    choice: DbChoice,
    target_seconds: f64,
    runs: usize,
) -> anyhow::Result<()> {
    let sim = relay_sim::start(
        relay_sim::SimConfig {
            api_key: "bench".into(),
            ..Default::default()
        },
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let template = sim.template_id("Descuento en su deuda").unwrap_or_default();
    let mut times = Vec::new();
    let mut counts = None;
    // Memory of the first run, in a fresh process; later runs inherit the allocator's cache.
    let mut first_run_peak = None;
    for _ in 0..runs.max(1) {
        let db = BenchDb::new(choice).await?;
        let (state, user) =
            state_for(&db, &sim.base_url(), &[("JOBS_ENABLED", "false".into())]).await?;
        let (id, elapsed) = import_file(&state, &user, &file, &template).await?;
        let bulk = bulk_sends::get(&state.db, &state.config, id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(elapsed.as_secs_f64());
        first_run_peak.get_or_insert_with(peak_mb);
        counts = Some(bulk.counts);
        drop(state);
        db.drop_database().await;
    }
    let counts = counts.expect("at least one run");
    let peak = first_run_peak.unwrap_or(f64::NAN);
    let (seconds, all) = median(&times);
    println!(
        "| import | {} | {} rows ({} valid) | {:.2} s median of {} runs [{all}] (target < {target_seconds} s: {}) | peak {:.0} MB, first run (target < 100 MB: {}) | {:.0} rows/s |",
        db_name(choice),
        counts.total,
        counts.valid,
        seconds,
        times.len(),
        verdict(seconds < target_seconds),
        peak,
        verdict(peak < 100.0),
        counts.total as f64 / seconds
    );
    Ok(())
}

async fn dispatch_case(
    file: PathBuf,
    choice: DbChoice,
    sim: String,
    latency_ms: u64,
    concurrency: usize,
    rate: u32,
) -> anyhow::Result<()> {
    let db = BenchDb::new(choice).await?;
    let (state, user) = state_for(
        &db,
        &sim,
        &[
            ("SEND_CONCURRENCY", concurrency.to_string()),
            ("SEND_RATE_PER_SECOND", rate.to_string()),
            ("JOB_WORKERS", "1".into()),
        ],
    )
    .await?;
    let http = reqwest::Client::new();
    let templates: serde_json::Value = http
        .get(format!("{sim}accounts/9518/templates"))
        .bearer_auth("bench")
        .send()
        .await?
        .json()
        .await?;
    let template = templates["items"]
        .as_array()
        .and_then(|items| items.iter().find(|t| t["name"] == "Descuento en su deuda"))
        .and_then(|t| t["id"].as_str())
        .unwrap_or_default()
        .to_string();
    let (id, _) = import_file(&state, &user, &file, &template).await?;
    http.post(format!("{sim}_sim/reset")).send().await?;

    let shutdown = tokio_util_cancel();
    let mut workers = relay_console::workers::spawn(&state, shutdown.clone());
    let started = Instant::now();
    bulk_sends::queue(&state, &user, id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bulk = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let bulk = bulk_sends::get(&state.db, &state.config, id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if matches!(
            bulk.status.as_str(),
            "done" | "done_with_errors" | "failed" | "paused"
        ) {
            break bulk;
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let peak = peak_mb();
    shutdown.cancel();
    while workers.join_next().await.is_some() {}
    // Verification (not measured): how many messages the simulator accepted.
    let received = http
        .get(format!("{sim}_sim/messages"))
        .send()
        .await?
        .text()
        .await?
        .matches("\"message_id\"")
        .count();
    let achieved = bulk.counts.sent as f64 / elapsed;
    let by_concurrency = concurrency as f64 * 1000.0 / latency_ms as f64;
    let bound = if rate > 0 {
        by_concurrency.min(rate as f64)
    } else {
        by_concurrency
    };
    let ratio = achieved / bound;
    println!(
        "| dispatch | {} | {} sent ({} received by the simulator), status {} | {:.1} s | {:.0}/s vs bound {:.0}/s (concurrency {concurrency} at {latency_ms} ms{}) = {:.0}% (target ≥ 85%: {}) | peak {:.0} MB |",
        db_name(choice),
        bulk.counts.sent,
        received,
        bulk.status,
        elapsed,
        achieved,
        bound,
        if rate > 0 { format!(", rate limit {rate}/s") } else { String::new() },
        ratio * 100.0,
        verdict(ratio >= 0.85),
        peak
    );
    db.drop_database().await;
    Ok(())
}

/// The typed columns of a Doppler summary report, for the baselines' equivalent table.
const BASELINE_COLUMNS: &str =
    "subject, sender, sender_name, email, status, event_at, opens, clicks";

/// Loads `file` with the database's own shell tool into an equivalent table (typed
/// columns, an index on e-mail); answers the wall time of the load alone.
fn baseline_load(choice: DbChoice, db: &BenchDb, file: &Path) -> anyhow::Result<Duration> {
    let file = file.display();
    match choice {
        DbChoice::Postgres => {
            let args = [db.url.as_str(), "-q", "-v", "ON_ERROR_STOP=1"];
            run_shell("psql", &args, "CREATE TABLE baseline_rows (id BIGSERIAL PRIMARY KEY, subject TEXT, sender TEXT, sender_name TEXT, email TEXT, status TEXT, event_at TIMESTAMPTZ, opens BIGINT, clicks BIGINT);\n\
                 CREATE INDEX baseline_rows_email ON baseline_rows (email);\n")?;
            run_shell(
                "psql",
                &args,
                &format!("\\copy baseline_rows ({BASELINE_COLUMNS}) FROM '{file}' WITH (FORMAT csv, HEADER true)\n"),
            )
        }
        DbChoice::Sqlite => {
            let path = db.data_dir().join("baseline.sqlite3").display().to_string();
            let args = [path.as_str()];
            // The implicit rowid is the table's integer primary key.
            run_shell("sqlite3", &args, "CREATE TABLE baseline_rows (subject TEXT, sender TEXT, sender_name TEXT, email TEXT, status TEXT, event_at TEXT, opens INTEGER, clicks INTEGER);\n\
                 CREATE INDEX baseline_rows_email ON baseline_rows (email);\n")?;
            run_shell(
                "sqlite3",
                &args,
                &format!(".import --csv --skip 1 '{file}' baseline_rows\n"),
            )
        }
    }
}

/// Runs `program args` with `script` on its standard input; answers the wall time.
fn run_shell(program: &str, args: &[&str], script: &str) -> anyhow::Result<Duration> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .env("PGTZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(script.as_bytes())?;
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "{program} failed: {status}");
    Ok(started.elapsed())
}

async fn load_case(file: PathBuf, choice: DbChoice, runs: usize) -> anyhow::Result<()> {
    let mut ratios = Vec::new();
    let mut ours = Vec::new();
    let mut baselines = Vec::new();
    let mut rows = 0;
    // Memory of the first run, in a fresh process; later runs inherit the allocator's cache.
    let mut first_run_peak = None;
    for _ in 0..runs.max(1) {
        let (loaded, elapsed, baseline) = load_once(&file, choice).await?;
        first_run_peak.get_or_insert_with(peak_mb);
        rows = loaded;
        ours.push(elapsed);
        baselines.push(baseline);
        ratios.push(elapsed / baseline);
    }
    let peak = first_run_peak.unwrap_or(f64::NAN);
    let (ratio, all_ratios) = median(&ratios);
    let (_, all_ours) = median(&ours);
    let (_, all_baselines) = median(&baselines);
    println!(
        "| report load | {} | {rows} rows | ours [{all_ours}] s vs {} [{all_baselines}] s: ratios [{all_ratios}], median {:.2}× (target ≤ 1.5×: {}) | | peak {:.0} MB, first run |",
        db_name(choice),
        match choice {
            DbChoice::Postgres => "psql \\copy",
            DbChoice::Sqlite => "sqlite3 .import",
        },
        ratio,
        verdict(ratio <= 1.5),
        peak
    );
    Ok(())
}

/// One fresh database: the baseline loader, then ours. Rows, our seconds, baseline seconds.
async fn load_once(file: &Path, choice: DbChoice) -> anyhow::Result<(i64, f64, f64)> {
    use relay_console::db::Db;
    use sea_orm::ConnectionTrait;
    let db = BenchDb::new(choice).await?;
    let baseline = baseline_load(choice, &db, file)?;
    let (state, user) = state_for(
        &db,
        "http://127.0.0.1:9/",
        &[("JOBS_ENABLED", "false".into())],
    )
    .await?;
    let stored = db.data_dir().join("reports").join("bench-report.csv");
    std::fs::create_dir_all(stored.parent().unwrap())?;
    std::fs::copy(file, &stored)?;
    let size = std::fs::metadata(&stored)?.len() as i64;
    let now = chrono::Utc::now();
    let conn: &Db = &state.db;
    conn.conn
        .execute_raw(conn.stmt(
            "INSERT INTO generated_reports (report_type, start_date, end_date, state, report_request_id, poll_delay_ms, file_path, file_size, error_details, origin, created_at, updated_at, ready_at) \
             VALUES ('deliveries', $1, $1, 'READY', 'bench', 0, 'reports/bench-report.csv', $2, '', 'manual', $3, $3, $3)",
            [now.date_naive().into(), size.into(), now.into()],
        ))
        .await?;
    let started = Instant::now();
    let rows = relay_console::reports::load::load(
        &state,
        1,
        relay_console::reports::LoadTarget::Default,
        Some(&user),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let elapsed = started.elapsed().as_secs_f64();
    drop(state);
    db.drop_database().await;
    Ok((rows, elapsed, baseline.as_secs_f64()))
}

fn tokio_util_cancel() -> tokio_util::sync::CancellationToken {
    tokio_util::sync::CancellationToken::new()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().case {
        Case::Import {
            file,
            db,
            target_seconds,
            runs,
        } => import_case(file, db, target_seconds, runs).await,
        Case::Dispatch {
            file,
            db,
            sim,
            latency_ms,
            concurrency,
            rate,
        } => dispatch_case(file, db, sim, latency_ms, concurrency, rate).await,
        Case::Load { file, db, runs } => load_case(file, db, runs).await,
    }
}
