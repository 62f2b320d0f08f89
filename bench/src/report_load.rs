//! The report-load case: our load against the database's own bulk loader (`psql \\copy`,
//! `sqlite3 .import`) on the same file, in the same run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::setup::{peak_mb, state_for, BenchDb};
use crate::{db_name, median, verdict, DbChoice};

/// The typed columns of a Doppler summary report, for the baselines' equivalent table.
pub(crate) const BASELINE_COLUMNS: &str =
    "subject, sender, sender_name, email, status, event_at, opens, clicks";

/// Loads `file` with the database's own shell tool into an equivalent table (typed
/// columns, an index on e-mail); answers the wall time of the load alone.
pub(crate) fn baseline_load(
    choice: DbChoice,
    db: &BenchDb,
    file: &Path,
) -> anyhow::Result<Duration> {
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
pub(crate) fn run_shell(program: &str, args: &[&str], script: &str) -> anyhow::Result<Duration> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .env("PGTZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "{program} failed: {status}");
    Ok(started.elapsed())
}

pub(crate) async fn load_case(file: PathBuf, choice: DbChoice, runs: usize) -> anyhow::Result<()> {
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
pub(crate) async fn load_once(file: &Path, choice: DbChoice) -> anyhow::Result<(i64, f64, f64)> {
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
    let reports = db.data_dir().join("reports");
    std::fs::create_dir_all(&reports)?;
    let stored = reports.join("bench-report.csv");
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
