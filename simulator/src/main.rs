//! `relay-sim`: run the Doppler Relay simulator.

use std::net::SocketAddr;

use clap::Parser;
use relay_sim::{DownloadStyle, Faults, SimConfig};

#[derive(Parser)]
#[command(
    name = "relay-sim",
    version,
    about = "A Doppler Relay simulator with fault injection"
)]
struct Args {
    /// Address to listen on (port 0 picks a free one; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8025")]
    listen: SocketAddr,
    /// The API key callers must present (`Authorization: Bearer <key>` or `token <key>`).
    #[arg(long, default_value = "sim-api-key")]
    api_key: String,
    #[arg(long, default_value_t = 9518)]
    account_id: i64,
    #[arg(long, default_value_t = 20251026)]
    seed: u64,
    /// Start without the sample templates.
    #[arg(long)]
    no_seed_templates: bool,
    /// Milliseconds added to every call.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Random extra latency, up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Share (0..1) of calls answered 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    rate_429: f64,
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
    #[arg(long, default_value_t = 0.0)]
    rate_500: f64,
    #[arg(long, default_value_t = 0.0)]
    rate_503: f64,
    /// Share of calls that are processed and never answered.
    #[arg(long, default_value_t = 0.0)]
    rate_timeout: f64,
    /// Share of calls that are processed and have their connection closed unanswered.
    #[arg(long, default_value_t = 0.0)]
    rate_drop: f64,
    /// Apply the fault shares to sends only (templates and reports stay healthy).
    #[arg(long)]
    faults_on_sends_only: bool,
    /// Refuse sends with 402 (quota exceeded) after this many.
    #[arg(long)]
    quota_after: Option<u64>,
    /// Milliseconds before a report request is ready.
    #[arg(long, default_value_t = 3000)]
    report_delay_ms: u64,
    /// How reports download: inline (text/csv) or link (JSON with file_path).
    #[arg(long, default_value = "inline")]
    report_download: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let report_download = match args.report_download.as_str() {
        "inline" => DownloadStyle::Inline,
        "link" => DownloadStyle::Link,
        other => {
            eprintln!("--report-download: expected inline or link, got '{other}'");
            return std::process::ExitCode::from(2);
        }
    };
    let config = SimConfig {
        api_key: args.api_key,
        account_id: args.account_id,
        seed: args.seed,
        seed_templates: !args.no_seed_templates,
        faults: Faults {
            latency_ms: args.latency_ms,
            jitter_ms: args.jitter_ms,
            rate_429: args.rate_429,
            retry_after_secs: args.retry_after_secs,
            rate_500: args.rate_500,
            rate_503: args.rate_503,
            rate_timeout: args.rate_timeout,
            rate_drop: args.rate_drop,
            quota_after: args.quota_after,
            report_delay_ms: args.report_delay_ms,
            report_download,
            sends_only: args.faults_on_sends_only,
            ..Faults::default()
        },
    };
    let handle = match relay_sim::start(config, args.listen).await {
        Ok(handle) => handle,
        Err(err) => {
            eprintln!("relay-sim: cannot listen on {}: {err}", args.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("relay-sim listening on http://{}", handle.addr);
    let _ = tokio::signal::ctrl_c().await;
    handle.stop().await;
    std::process::ExitCode::SUCCESS
}
