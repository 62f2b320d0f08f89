//! Doppler reports: requests that advance in short job steps (create, poll, download),
//! loading their rows into the default or the analytics database, the post-send
//! automation, and the per-campaign report.

pub mod campaign;
pub mod load;
pub mod parse;
pub mod post_send;
pub mod processing;

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use relay_types::{AuditAction, Page, Report, ReportLoad};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;

use crate::audit::{self, Target};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::entities::{generated_report, job, report_load, user};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::{self, NewJob};
use crate::pagination::PageRequest;
use crate::services::Services;

pub use relay_types::{LoadTarget, LoadedInto, ReportOrigin, ReportState, ReportType};

/// The databases this deployment can load reports into.
pub fn targets(services: &Services) -> Vec<LoadTarget> {
    match services.analytics {
        Some(_) => vec![LoadTarget::Default, LoadTarget::Analytics],
        None => vec![LoadTarget::Default],
    }
}

pub async fn to_dtos(
    services: &Services,
    models: Vec<generated_report::Model>,
) -> AppResult<Vec<Report>> {
    let db = &services.db;
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let loads = report_load::Entity::find()
        .filter(report_load::Column::ReportId.is_in(ids))
        .order_by_asc(report_load::Column::LoadedAt)
        .all(&db.conn)
        .await?;
    let user_ids: Vec<i64> = models
        .iter()
        .filter_map(|m| m.requested_by)
        .chain(loads.iter().filter_map(|l| l.loaded_by))
        .collect();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let mut loads_of: HashMap<i64, Vec<ReportLoad>> = HashMap::new();
    for l in loads {
        loads_of.entry(l.report_id).or_default().push(ReportLoad {
            loaded_by: l.loaded_by.and_then(|id| names.get(&id).cloned()),
            target: l.target,
            rows: l.rows,
            loaded_at: l.loaded_at,
        });
    }
    let available = targets(services);
    Ok(models
        .into_iter()
        .map(|m| {
            let loads = loads_of.remove(&m.id).unwrap_or_default();
            let load_targets = if m.state == ReportState::Ready {
                available
                    .iter()
                    .filter(|t| !loads.iter().any(|l| l.target == **t))
                    .copied()
                    .collect()
            } else {
                Vec::new()
            };
            Report {
                id: m.id,
                file_name: std::path::Path::new(&m.file_path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                requested_by: m.requested_by.and_then(|id| names.get(&id).cloned()),
                report_type: m.report_type,
                start_date: m.start_date,
                end_date: m.end_date,
                state: m.state,
                report_request_id: m.report_request_id,
                next_poll_at: m.next_poll_at,
                file_size: m.file_size,
                error_details: m.error_details,
                origin: m.origin,
                bulk_send_id: m.bulk_send_id,
                created_at: m.created_at,
                updated_at: m.updated_at,
                ready_at: m.ready_at,
                loads,
                load_targets,
            }
        })
        .collect())
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<generated_report::Model> {
    generated_report::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Reporte no encontrado.", "Report not found."))
}

pub async fn get(services: &Services, id: i64) -> AppResult<Report> {
    let model = find(&services.db.conn, id).await?;
    Ok(to_dtos(services, vec![model]).await?.remove(0))
}

/// A report covers at most this many days (Doppler builds the whole period into one file).
pub const MAX_PERIOD_DAYS: i64 = 366;
/// Reports people asked for that may wait for Doppler at once.
pub const MAX_UNFINISHED: u64 = 20;

/// 422 for a period longer than [`MAX_PERIOD_DAYS`], or one that starts before 2000 or ends
/// after tomorrow (local): no report can cover it.
fn check_period(services: &Services, start: NaiveDate, end: NaiveDate) -> AppResult<()> {
    let tomorrow = Utc::now()
        .with_timezone(&services.config.time_zone)
        .date_naive()
        .succ_opt()
        .unwrap_or(end);
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(start);
    if (end - start).num_days() + 1 > MAX_PERIOD_DAYS || start < earliest || end > tomorrow {
        return Err(AppError::invalid(
            "end_date",
            ErrorCode::ReportPeriodInvalid,
            format!("Un reporte cubre hasta {MAX_PERIOD_DAYS} días, desde el año 2000 hasta mañana."),
            format!("A report covers at most {MAX_PERIOD_DAYS} days, from the year 2000 up to tomorrow."),
        )
        .with("max_days", MAX_PERIOD_DAYS));
    }
    Ok(())
}

/// 409 while [`MAX_UNFINISHED`] requested reports still wait for Doppler.
async fn check_room_for_one_more(services: &Services) -> AppResult<()> {
    let unfinished = generated_report::Entity::find()
        .filter(
            generated_report::Column::State.is_in([ReportState::Pending, ReportState::Processing]),
        )
        .filter(generated_report::Column::RequestedBy.is_not_null())
        .count(&services.db.conn)
        .await?;
    if unfinished >= MAX_UNFINISHED {
        return Err(AppError::conflict(
            ErrorCode::ReportsTooManyUnfinished,
            format!("Ya hay {unfinished} reportes esperando a Doppler; espere a que terminen antes de pedir otro."),
            format!("{unfinished} reports are already waiting for Doppler; wait for them to finish before asking for another."),
        )
        .with("limit", MAX_UNFINISHED));
    }
    Ok(())
}

/// A new PENDING report, its first step queued.
pub async fn create(
    services: &Services,
    by: Option<&CurrentUser>,
    report_type: ReportType,
    start: NaiveDate,
    end: NaiveDate,
    origin: ReportOrigin,
    bulk_send_id: Option<i64>,
) -> AppResult<generated_report::Model> {
    // The two days are the ends of the period, in whichever order they came.
    let (start, end) = (start.min(end), start.max(end));
    check_period(services, start, end)?;
    let now = Utc::now();
    if by.is_some() {
        check_room_for_one_more(services).await?;
    }
    let txn = services.db.conn.begin().await?;
    let report = generated_report::Entity::insert(generated_report::ActiveModel {
        report_type: Set(report_type),
        start_date: Set(start),
        end_date: Set(end),
        state: Set(ReportState::Pending),
        report_request_id: Set(String::new()),
        file_path: Set(String::new()),
        error_details: Set(String::new()),
        origin: Set(origin),
        bulk_send_id: Set(bulk_send_id),
        requested_by: Set(by.map(|u| u.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    queue_step(&txn, report.id, by.map(|u| u.id), now).await?;
    let actor = by
        .map(CurrentUser::actor)
        .unwrap_or_else(|| audit::Actor::system("reports"));
    audit::record(&txn, &actor, AuditAction::ReportsRequest, Some(Target::new("report", report.id)), json!({ "report_type": report_type, "start_date": start, "end_date": end, "origin": origin })).await?;
    txn.commit().await?;
    services.wakeup.wake();
    Ok(report)
}

/// Queues the report's next step unless one is queued or running already.
pub async fn queue_step(
    db: &impl ConnectionTrait,
    report_id: i64,
    by: Option<i64>,
    at: chrono::DateTime<Utc>,
) -> AppResult<bool> {
    let created = jobs::enqueue(
        db,
        NewJob {
            report_id: Some(report_id),
            run_after: at,
            triggered_by: by,
            message: "Reporte en cola".into(),
            ..NewJob::new(jobs::JobType::ProcessReport)
        },
    )
    .await?;
    Ok(created.is_some())
}

/// "Procesar pendientes ahora": every PENDING or PROCESSING report gets its next step now.
pub async fn process_pending(services: &Services, by: Option<&CurrentUser>) -> AppResult<u64> {
    let open = generated_report::Entity::find()
        .filter(
            generated_report::Column::State.is_in([ReportState::Pending, ReportState::Processing]),
        )
        .all(&services.db.conn)
        .await?;
    let now = Utc::now();
    let mut queued = 0;
    for report in open {
        // A step already waiting to poll is brought forward.
        job::Entity::update_many()
            .col_expr(job::Column::RunAfter, Expr::value(now))
            .filter(job::Column::ReportId.eq(report.id))
            .filter(job::Column::JobType.eq(jobs::JobType::ProcessReport))
            .filter(job::Column::State.eq(jobs::JobState::Queued))
            .exec(&services.db.conn)
            .await?;
        generated_report::Entity::update_many()
            .col_expr(generated_report::Column::NextPollAt, Expr::value(now))
            .filter(generated_report::Column::Id.eq(report.id))
            .filter(generated_report::Column::State.eq(ReportState::Processing))
            .exec(&services.db.conn)
            .await?;
        queue_step(&services.db.conn, report.id, by.map(|u| u.id), now).await?;
        queued += 1;
    }
    if let Some(by) = by {
        audit::record(
            &services.db.conn,
            &by.actor(),
            AuditAction::ReportsProcessPending,
            None,
            json!({ "reports": queued }),
        )
        .await?;
    }
    services.wakeup.wake();
    Ok(queued)
}

/// An ERROR report goes back to PENDING, its request forgotten, and is processed again.
pub async fn retry(services: &Services, by: Option<&CurrentUser>, id: i64) -> AppResult<Report> {
    let report = find(&services.db.conn, id).await?;
    if report.state != ReportState::Error {
        return Err(AppError::conflict(
            ErrorCode::ReportNotInError,
            format!(
                "Solo se reintenta un reporte en ERROR; este está en {}.",
                report.state
            ),
            format!(
                "Only a report in ERROR can be retried; this one is {}.",
                report.state
            ),
        ));
    }
    reset(&services.db.conn, id).await?;
    queue_step(&services.db.conn, id, by.map(|u| u.id), Utc::now()).await?;
    if let Some(by) = by {
        audit::record(
            &services.db.conn,
            &by.actor(),
            AuditAction::ReportsRetry,
            Some(Target::new("report", id)),
            json!({}),
        )
        .await?;
    }
    services.wakeup.wake();
    get(services, id).await
}

pub async fn reset(db: &impl ConnectionTrait, id: i64) -> AppResult<()> {
    generated_report::Entity::update_many()
        .col_expr(
            generated_report::Column::State,
            Expr::value(ReportState::Pending),
        )
        .col_expr(generated_report::Column::ReportRequestId, Expr::value(""))
        .col_expr(generated_report::Column::ErrorDetails, Expr::value(""))
        .col_expr(
            generated_report::Column::PollStartedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(
            generated_report::Column::NextPollAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(generated_report::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(generated_report::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportFilter {
    pub state: Option<ReportState>,
    pub report_type: Option<ReportType>,
    /// Reports covering days on or after this one.
    pub date_from: Option<NaiveDate>,
    /// Reports covering days on or before this one.
    pub date_to: Option<NaiveDate>,
    /// Where the report was loaded, or `none` (not loaded anywhere).
    pub loaded_into: Option<LoadedInto>,
    pub bulk_send_id: Option<i64>,
}

pub async fn list(
    services: &Services,
    filter: &ReportFilter,
    page: PageRequest,
) -> AppResult<Page<Report>> {
    let mut query = generated_report::Entity::find();
    if let Some(s) = filter.state {
        query = query.filter(generated_report::Column::State.eq(s));
    }
    if let Some(t) = filter.report_type {
        query = query.filter(generated_report::Column::ReportType.eq(t));
    }
    if let Some(from) = filter.date_from {
        query = query.filter(generated_report::Column::EndDate.gte(from));
    }
    if let Some(to) = filter.date_to {
        query = query.filter(generated_report::Column::StartDate.lte(to));
    }
    if let Some(bulk) = filter.bulk_send_id {
        query = query.filter(generated_report::Column::BulkSendId.eq(bulk));
    }
    if let Some(loaded_into) = filter.loaded_into {
        let loads = report_load::Entity::find();
        let loads = match loaded_into {
            LoadedInto::Default => {
                loads.filter(report_load::Column::Target.eq(LoadTarget::Default))
            }
            LoadedInto::Analytics => {
                loads.filter(report_load::Column::Target.eq(LoadTarget::Analytics))
            }
            LoadedInto::None => loads,
        };
        let ids: Vec<i64> = loads
            .all(&services.db.conn)
            .await?
            .into_iter()
            .map(|l| l.report_id)
            .collect();
        query = match loaded_into {
            LoadedInto::None => query.filter(generated_report::Column::Id.is_not_in(ids)),
            LoadedInto::Default | LoadedInto::Analytics => {
                query.filter(generated_report::Column::Id.is_in(ids))
            }
        };
    }
    let total = query.clone().count(&services.db.conn).await?;
    let models = query
        .order_by_desc(generated_report::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&services.db.conn)
        .await?;
    Ok(page.wrap(to_dtos(services, models).await?, total))
}

/// The downloaded CSV of a READY report.
pub async fn open_file(
    db: &Db,
    config: &crate::config::Config,
    id: i64,
) -> AppResult<(generated_report::Model, tokio::fs::File)> {
    let report = find(&db.conn, id).await?;
    if report.state != ReportState::Ready || report.file_path.is_empty() {
        return Err(AppError::conflict(
            ErrorCode::ReportNotReady,
            "El reporte aún no está listo para descargar.",
            "The report is not ready to download yet.",
        )
        .with("current_state", report.state.as_str()));
    }
    let file = tokio::fs::File::open(config.data_dir.join(&report.file_path))
        .await
        .map_err(|_| {
            AppError::not_found(
                "El archivo del reporte ya no existe.",
                "The report's file no longer exists.",
            )
        })?;
    Ok((report, file))
}
