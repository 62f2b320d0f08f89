//! Background jobs: a table every process shares. A job is claimed by one worker at a time
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; one atomic `UPDATE … RETURNING` on SQLite,
//! whose writes are serialised), held under a lease the worker keeps renewing, and taken
//! back by any worker once the lease expires.

use std::time::Duration;

use chrono::{DateTime, Utc};
use relay_types::{Job, Page};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::config::DatabaseKind;
use crate::db::{is_unique_violation, Db};
use crate::entities::{job, user};
use crate::error::{AppError, AppResult};
use crate::pagination::PageRequest;
use crate::services::Services;

pub use relay_types::{JobState, JobType};

/// A job to create.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub job_type: JobType,
    pub bulk_send_id: Option<i64>,
    pub report_id: Option<i64>,
    pub payload: serde_json::Value,
    pub run_after: DateTime<Utc>,
    pub triggered_by: Option<i64>,
    pub retry_of: Option<i64>,
    pub message: String,
}

impl NewJob {
    pub fn new(job_type: JobType) -> NewJob {
        NewJob {
            job_type,
            bulk_send_id: None,
            report_id: None,
            payload: json!({}),
            run_after: Utc::now(),
            triggered_by: None,
            retry_of: None,
            message: String::new(),
        }
    }

    /// One active job per type and subject: a second one is not created.
    fn dedupe_key(&self) -> Option<String> {
        match (self.bulk_send_id, self.report_id) {
            (Some(b), _) => Some(format!("{}:bulk:{b}", self.job_type)),
            (None, Some(r)) => Some(format!("{}:report:{r}", self.job_type)),
            (None, None) => Some(self.job_type.to_string()),
        }
    }
}

/// What a running job can see and do.
pub struct JobContext {
    pub services: Services,
    pub job: job::Model,
    pub owner: String,
    /// Cancelled when the process shuts down or the lease is lost: stop taking new work.
    pub stop: CancellationToken,
    /// Cancelled only when the lease was lost (another worker owns the job now).
    pub lease_lost: CancellationToken,
}

impl JobContext {
    pub async fn progress(&self, done: i64, total: i64, message: &str) {
        if let Err(err) = progress(
            &self.services.db,
            self.job.id,
            &self.owner,
            done,
            total,
            message,
        )
        .await
        {
            tracing::warn!(job = self.job.id, error = %err, "could not record progress");
        }
    }
}

/// Creates the job unless one of the same type for the same subject is queued or running
/// (then answers `None`).
pub async fn enqueue(db: &impl ConnectionTrait, new: NewJob) -> AppResult<Option<job::Model>> {
    let now = Utc::now();
    let inserted = job::Entity::insert(job::ActiveModel {
        job_type: Set(new.job_type),
        state: Set(JobState::Queued),
        dedupe_key: Set(new.dedupe_key()),
        bulk_send_id: Set(new.bulk_send_id),
        report_id: Set(new.report_id),
        payload: Set(new.payload),
        run_after: Set(new.run_after),
        triggered_by: Set(new.triggered_by),
        retry_of: Set(new.retry_of),
        message: Set(new.message),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await;
    match inserted {
        Ok(model) => Ok(Some(model)),
        Err(err) if is_unique_violation(&err) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// The active job of this type for a bulk send, if any.
pub async fn active_for_bulk(
    db: &impl ConnectionTrait,
    job_type: JobType,
    bulk_id: i64,
) -> AppResult<Option<job::Model>> {
    Ok(job::Entity::find()
        .filter(job::Column::DedupeKey.eq(format!("{job_type}:bulk:{bulk_id}")))
        .one(db)
        .await?)
}

/// Takes the oldest due job, if any, under a lease for `owner`; only of `types` when given
/// (a CLI command works only its own kind).
pub async fn claim(
    db: &Db,
    owner: &str,
    lease: Duration,
    types: Option<&[JobType]>,
) -> AppResult<Option<job::Model>> {
    let now = Utc::now();
    let lock = match db.kind {
        DatabaseKind::Postgres => "FOR UPDATE SKIP LOCKED",
        DatabaseKind::Sqlite => "",
    };
    let expires = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let mut values: Vec<sea_orm::Value> = vec![owner.into(), expires.into(), now.into()];
    let type_filter = match types {
        Some(types) => {
            let placeholders: Vec<String> = types
                .iter()
                .map(|t| {
                    values.push(t.as_str().into());
                    format!("${}", values.len())
                })
                .collect();
            format!("AND job_type IN ({})", placeholders.join(", "))
        }
        None => String::new(),
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, heartbeat_at = $3, \
         attempts = attempts + 1, started_at = COALESCE(started_at, $3), updated_at = $3 \
         WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= $3 {type_filter} \
         ORDER BY run_after, id LIMIT 1 {lock}) AND state = 'queued' RETURNING *"
    );
    Ok(job::Entity::find()
        .from_raw_sql(db.stmt(&sql, values))
        .one(&db.conn)
        .await?)
}

/// When the next job of `types` is due, if one is queued to run before `horizon` or one is
/// running now (its steps may queue more).
pub async fn next_due_before(
    db: &Db,
    types: &[JobType],
    horizon: DateTime<Utc>,
) -> AppResult<Option<DateTime<Utc>>> {
    let open = job::Entity::find()
        .filter(job::Column::JobType.is_in(types.iter().copied()))
        .filter(
            sea_orm::Condition::any()
                .add(job::Column::State.eq(JobState::Running))
                .add(
                    sea_orm::Condition::all()
                        .add(job::Column::State.eq(JobState::Queued))
                        .add(job::Column::RunAfter.lte(horizon)),
                ),
        )
        .order_by_asc(job::Column::RunAfter)
        .all(&db.conn)
        .await?;
    Ok(open
        .iter()
        .map(|j| {
            if j.state == JobState::Running {
                Utc::now()
            } else {
                j.run_after
            }
        })
        .min())
}

/// Renews the lease; false when the job is no longer this worker's.
pub async fn heartbeat(db: &Db, id: i64, owner: &str, lease: Duration) -> AppResult<bool> {
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let result = job::Entity::update_many()
        .col_expr(
            job::Column::LeaseExpiresAt,
            sea_orm::sea_query::Expr::value(expires),
        )
        .col_expr(
            job::Column::HeartbeatAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::LeaseOwner.eq(owner))
        .filter(job::Column::State.eq(JobState::Running))
        .exec(&db.conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn progress(
    db: &Db,
    id: i64,
    owner: &str,
    done: i64,
    total: i64,
    message: &str,
) -> AppResult<()> {
    job::Entity::update_many()
        .col_expr(
            job::Column::ProgressDone,
            sea_orm::sea_query::Expr::value(done),
        )
        .col_expr(
            job::Column::ProgressTotal,
            sea_orm::sea_query::Expr::value(total),
        )
        .col_expr(
            job::Column::Message,
            sea_orm::sea_query::Expr::value(message),
        )
        .col_expr(
            job::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::LeaseOwner.eq(owner))
        .exec(&db.conn)
        .await?;
    Ok(())
}

/// How a job run ended, as the runner records it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Done(String),
    Failed {
        message: String,
        error: String,
    },
    /// Run again at `at` (a step of a longer process, e.g. polling a report).
    Again {
        at: DateTime<Utc>,
        message: String,
    },
    /// Given back unfinished (shutdown): any worker may take it up now.
    Released(String),
}

/// Records the end of a run; only the lease owner can.
pub async fn end(db: &Db, id: i64, owner: &str, ending: Ending) -> AppResult<bool> {
    let now = Utc::now();
    let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let (sql, values): (&str, Vec<sea_orm::Value>) = match &ending {
        Ending::Done(message) => (
            "UPDATE jobs SET state = 'done', dedupe_key = NULL, lease_owner = NULL, lease_expires_at = NULL, \
             message = $3, error = '', finished_at = $4, updated_at = $4 WHERE id = $1 AND lease_owner = $2",
            vec![id.into(), owner.into(), clip(message, 255).into(), now.into()],
        ),
        Ending::Failed { message, error } => (
            "UPDATE jobs SET state = 'error', dedupe_key = NULL, lease_owner = NULL, lease_expires_at = NULL, \
             message = $3, error = $5, finished_at = $4, updated_at = $4 WHERE id = $1 AND lease_owner = $2",
            vec![id.into(), owner.into(), clip(message, 255).into(), now.into(), clip(error, 8000).into()],
        ),
        Ending::Again { at, message } => (
            "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, attempts = 0, \
             run_after = $5, message = $3, updated_at = $4 WHERE id = $1 AND lease_owner = $2",
            vec![id.into(), owner.into(), clip(message, 255).into(), now.into(), (*at).into()],
        ),
        Ending::Released(message) => (
            "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_after = $4, message = $3, \
             updated_at = $4 WHERE id = $1 AND lease_owner = $2",
            vec![id.into(), owner.into(), clip(message, 255).into(), now.into()],
        ),
    };
    let result = db.conn.execute_raw(db.stmt(sql, values)).await?;
    Ok(result.rows_affected() == 1)
}

/// Takes back jobs whose worker stopped renewing its lease, in the caller's transaction,
/// which settles what each job type's run left half done before committing
/// (`workers::recover_expired`). Answers the jobs taken back.
pub async fn take_back_expired(txn: &DatabaseTransaction) -> AppResult<Vec<job::Model>> {
    let now = Utc::now();
    Ok(job::Entity::find()
        .from_raw_sql(crate::db::statement(
            txn.get_database_backend(),
            "UPDATE jobs SET \
               state = CASE WHEN attempts >= max_attempts THEN 'error' ELSE 'queued' END, \
               dedupe_key = CASE WHEN attempts >= max_attempts THEN NULL ELSE dedupe_key END, \
               finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
               error = CASE WHEN attempts >= max_attempts THEN $2 ELSE error END, \
               message = $3, lease_owner = NULL, lease_expires_at = NULL, run_after = $1, updated_at = $1 \
             WHERE state = 'running' AND lease_expires_at < $1 RETURNING *",
            [
                now.into(),
                "El trabajador dejó de responder demasiadas veces.".into(),
                "Recuperado: el trabajador anterior dejó de renovar su lease.".into(),
            ],
        ))
        .all(txn)
        .await?)
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub job_type: Option<JobType>,
    pub bulk_send_id: Option<i64>,
}

pub async fn to_dtos(db: &impl ConnectionTrait, models: Vec<job::Model>) -> AppResult<Vec<Job>> {
    let ids: Vec<i64> = models.iter().filter_map(|m| m.triggered_by).collect();
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| Job {
            id: m.id,
            triggered_by: m.triggered_by.and_then(|id| names.get(&id).cloned()),
            job_type: m.job_type,
            state: m.state,
            bulk_send_id: m.bulk_send_id,
            report_id: m.report_id,
            attempts: m.attempts,
            message: m.message,
            error: m.error,
            progress_done: m.progress_done,
            progress_total: m.progress_total,
            retry_of: m.retry_of,
            run_after: m.run_after,
            created_at: m.created_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
        })
        .collect())
}

pub async fn list(db: &Db, filter: &JobFilter, page: PageRequest) -> AppResult<Page<Job>> {
    let mut query = job::Entity::find();
    if let Some(state) = filter.state {
        query = query.filter(job::Column::State.eq(state));
    }
    if let Some(kind) = filter.job_type {
        query = query.filter(job::Column::JobType.eq(kind));
    }
    if let Some(bulk) = filter.bulk_send_id {
        query = query.filter(job::Column::BulkSendId.eq(bulk));
    }
    let total = query.clone().count(&db.conn).await?;
    let models = query
        .order_by_desc(job::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&db.conn)
        .await?;
    Ok(page.wrap(to_dtos(&db.conn, models).await?, total))
}

/// One job as the API shows it.
pub async fn get(db: &Db, id: i64) -> AppResult<Job> {
    let model = find(db, id).await?;
    Ok(to_dtos(&db.conn, vec![model]).await?.remove(0))
}

pub async fn find(db: &Db, id: i64) -> AppResult<job::Model> {
    job::Entity::find_by_id(id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| AppError::not_found("Trabajo no encontrado.", "Job not found."))
}
