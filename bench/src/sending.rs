//! The import and dispatch cases: a recipient CSV into the ledger, and a bulk send
//! through the simulator.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use relay_console::bulk_sends;

use crate::setup::{import_file, peak_mb, state_for, BenchDb};
use crate::{db_name, median, tokio_util_cancel, verdict, DbChoice};

pub(crate) async fn import_case(
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
    let counts = counts.ok_or_else(|| anyhow::anyhow!("--runs must be at least 1"))?;
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

pub(crate) async fn dispatch_case(
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
