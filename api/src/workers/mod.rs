//! The workers inside a `relay-console` process (or `jobs run`): claim due jobs, keep
//! their leases alive, run them, record how they ended; plus the periodic duties (taking
//! back expired leases, starting scheduled sends).

use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

mod recovery;
mod retry;

pub use recovery::recover_expired;
pub use retry::{retry, retry_permission};

use crate::bulk_sends;
use crate::entities::job;
use crate::error::AppError;
use crate::jobs::{self, Ending, JobContext, JobType};
use crate::services::{Services, Wakeup};

/// How often an idle worker looks for due jobs that no wake-up announced.
const IDLE_POLL: Duration = Duration::from_secs(1);

pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    format!(
        "{}:{}:{}",
        host.trim(),
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

async fn run_one(services: &Services, job: job::Model, owner: &str, shutdown: &CancellationToken) {
    let lease = services.config.jobs.lease;
    let lease_lost = CancellationToken::new();
    let stop = shutdown.child_token();
    let heartbeat = {
        let (db, owner, id, lost, stop) = (
            services.db.clone(),
            owner.to_string(),
            job.id,
            lease_lost.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match jobs::heartbeat(&db, id, &owner, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = id, "lease lost: another worker took the job over");
                        lost.cancel();
                        stop.cancel();
                        return;
                    }
                    Err(err) => {
                        tracing::warn!(job = id, error = %err, "heartbeat failed; retrying")
                    }
                }
            }
        })
    };
    let context = JobContext {
        services: services.clone(),
        job: job.clone(),
        owner: owner.to_string(),
        stop: stop.clone(),
        lease_lost: lease_lost.clone(),
    };
    tracing::info!(job = job.id, job_type = %job.job_type, attempt = job.attempts, "job started");
    let outcome: Result<Ending, AppError> = match job.job_type {
        JobType::BulkSend => bulk_sends::dispatch::run(&context).await,
        JobType::ProcessReport => crate::reports::processing::run(&context).await,
        JobType::PostSendReport => crate::reports::post_send::run(&context).await,
    };
    heartbeat.abort();
    if lease_lost.is_cancelled() {
        return;
    }
    let ending = match outcome {
        Ok(ending) => ending,
        Err(err) => {
            tracing::error!(job = job.id, error = %err, "job failed");
            Ending::Failed {
                message: err.es.clone(),
                error: err.to_string(),
            }
        }
    };
    tracing::info!(job = job.id, ending = ?ending, "job ended");
    // A send's run that stopped (not one that failed: that waits for "Reintentar").
    let stopped = matches!(ending, Ending::Done(_));
    if let Err(err) = jobs::end(&services.db, job.id, owner, ending).await {
        tracing::error!(job = job.id, error = %err, "could not record the end of the job");
        return;
    }
    if let (JobType::BulkSend, Some(bulk_id), true) = (job.job_type, job.bulk_send_id, stopped) {
        if let Err(err) = bulk_sends::queue_if_resumed(services, bulk_id).await {
            tracing::error!(job = job.id, error = %err, "could not queue a resumed send");
        }
    }
}

/// Which jobs a worker takes, and when it stops.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    /// Only these types; any type when `None`.
    pub types: Option<&'static [JobType]>,
    /// Stop once no job of the types is running or due within this long (CLI commands);
    /// keep going when `None` (`serve`, `jobs run --loop`).
    pub until_idle: Option<Duration>,
}

impl Scope {
    pub const EVERYTHING: Scope = Scope {
        types: None,
        until_idle: None,
    };
}

/// For a worker that stops when idle: how long to wait before looking again, or `None`
/// to stop (nothing of its kind running or due soon).
async fn idle_wait(services: &Services, scope: Scope) -> Option<Duration> {
    let horizon = scope.until_idle?;
    let types = scope.types.unwrap_or(JobType::ALL);
    let until = Utc::now() + chrono::Duration::from_std(horizon).unwrap_or_default();
    match jobs::next_due_before(&services.db, types, until).await {
        Ok(Some(at)) => Some(
            (at - Utc::now())
                .to_std()
                .unwrap_or_default()
                .clamp(Duration::from_millis(100), IDLE_POLL),
        ),
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(error = %err, "could not look for due jobs");
            Some(IDLE_POLL)
        }
    }
}

async fn worker(
    services: Services,
    owner: String,
    wakeup: Wakeup,
    shutdown: CancellationToken,
    scope: Scope,
) {
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        match jobs::claim(
            &services.db,
            &owner,
            services.config.jobs.lease,
            scope.types,
        )
        .await
        {
            Ok(Some(job)) => run_one(&services, job, &owner, &shutdown).await,
            Ok(None) if scope.until_idle.is_some() => match idle_wait(&services, scope).await {
                None => return,
                Some(wait) => {
                    tokio::select! {
                        _ = wakeup.wait() => {}
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.cancelled() => return,
                    }
                }
            },
            Ok(None) => {
                tokio::select! {
                    _ = wakeup.wait() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not claim a job; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_POLL * 2) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
        }
    }
}

/// Periodic duties: expired leases, due scheduled sends.
async fn maintenance(services: Services, wakeup: Wakeup, shutdown: CancellationToken) {
    let lease_check = (services.config.jobs.lease / 2).max(Duration::from_millis(500));
    let schedule_every = services.config.sending.scheduler_interval;
    let mut last_schedule = tokio::time::Instant::now() - schedule_every;
    let reports_every = services.config.reports.timer_interval;
    let mut last_reports = tokio::time::Instant::now();
    loop {
        match recover_expired(&services.db).await {
            Ok(recovered) if !recovered.is_empty() => wakeup.wake(),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "lease recovery failed"),
        }
        if let Err(err) = bulk_sends::recover_stale_imports(&services.db).await {
            tracing::warn!(error = %err, "stale import recovery failed");
        }
        if let Err(err) = crate::messages::recover_stale(&services.db, &services.config).await {
            tracing::warn!(error = %err, "stale message recovery failed");
        }
        if services.config.sending.scheduler_enabled && last_schedule.elapsed() >= schedule_every {
            last_schedule = tokio::time::Instant::now();
            match bulk_sends::schedule::start_due(&services, Utc::now()).await {
                Ok(started) if started > 0 => wakeup.wake(),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "scheduler run failed"),
            }
        }
        if services.config.reports.timer_enabled && last_reports.elapsed() >= reports_every {
            last_reports = tokio::time::Instant::now();
            let swept = async {
                crate::reports::process_pending(&services, None).await?;
                crate::reports::post_send::schedule_missing(&services).await
            };
            if let Err(err) = swept.await {
                tracing::warn!(error = %err, "reports timer run failed");
            }
        }
        let next = if services.config.sending.scheduler_enabled {
            lease_check.min(
                schedule_every
                    .saturating_sub(last_schedule.elapsed())
                    .max(Duration::from_millis(200)),
            )
        } else {
            lease_check
        };
        tokio::select! {
            _ = tokio::time::sleep(next) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// The background side of `serve`: workers and periodic duties, until `shutdown`.
pub fn spawn(services: &Services, shutdown: CancellationToken) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let owner = worker_name();
    for slot in 0..services.config.jobs.workers {
        tasks.spawn(worker(
            services.clone(),
            format!("{owner}/{slot}"),
            services.wakeup.clone(),
            shutdown.clone(),
            Scope::EVERYTHING,
        ));
    }
    tasks.spawn(maintenance(
        services.clone(),
        services.wakeup.clone(),
        shutdown,
    ));
    tasks
}

/// A CLI command's workers: the jobs of `scope` until it is idle (or forever with the
/// periodic duties, for `jobs run --loop`).
pub async fn run_cli(services: Services, scope: Scope, shutdown: CancellationToken) {
    let mut tasks = JoinSet::new();
    let owner = worker_name();
    if scope.until_idle.is_none() {
        tasks.spawn(maintenance(
            services.clone(),
            services.wakeup.clone(),
            shutdown.clone(),
        ));
    } else if let Err(err) = recover_expired(&services.db).await {
        tracing::warn!(error = %err, "lease recovery failed");
    }
    for slot in 0..services.config.jobs.workers {
        tasks.spawn(worker(
            services.clone(),
            format!("{owner}/{slot}"),
            services.wakeup.clone(),
            shutdown.clone(),
            scope,
        ));
    }
    while tasks.join_next().await.is_some() {}
}
