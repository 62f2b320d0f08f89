//! `relay-bench`: one measured case per run, printed beside its SPEC §8 target.
//!
//! Each case runs in its own process (so the peak memory reported is that case's), on a
//! fresh database, through the same service code the API uses. `just bench` runs them all.
mod report_load;
mod sending;
mod setup;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use report_load::load_case;
use sending::{dispatch_case, import_case};

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

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok {
        "meets target"
    } else {
        "MISSES target"
    }
}

pub(crate) fn db_name(db: DbChoice) -> &'static str {
    match db {
        DbChoice::Sqlite => "SQLite",
        DbChoice::Postgres => "PostgreSQL",
    }
}

/// The median of some measurements, and all of them as "a, b, c" (in run order).
pub(crate) fn median(values: &[f64]) -> (f64, String) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let all = values
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(", ");
    (sorted[sorted.len() / 2], all)
}

pub(crate) fn tokio_util_cancel() -> tokio_util::sync::CancellationToken {
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
