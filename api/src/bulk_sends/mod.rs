//! Bulk sends (campaigns): creation from a recipient CSV, the operator's actions, and the
//! status machine.
//!
//! `importing → ready | ready_with_errors | import_failed`, then
//! `scheduled → queued → sending → done | done_with_errors | failed`, with `paused` and
//! `cancelled` on the way. Never `done` when every recipient failed.

pub mod dispatch;
pub mod schedule;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use relay_types::{BulkCounts, BulkSend, Page, RecipientsFile, ResolveAction, ResolveResult};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;

use crate::app::AppState;
use crate::audit::{self, Actor, Target};
use crate::auth::CurrentUser;
use crate::config::Config;
use crate::db::{icontains, is_unique_violation, Db};
use crate::entities::{bulk_send, bulk_send_attachment, user};
use crate::error::{AppError, AppResult};
use crate::jobs::{self, NewJob};
use crate::pagination::PageRequest;
use crate::recipients::ledger::{self, ImportResult, ImportSummary};
use crate::recipients::rows::RowRules;
use crate::recipients::{self, layout, CsvFile, ImportError};
use crate::{senders, templates};

pub use relay_types::BulkSendStatus as Status;

/// What an operator gives to create a bulk send; the recipients file is already on disk.
#[derive(Debug, Clone)]
pub struct NewBulkSend {
    pub template_id: String,
    pub subject: Option<String>,
    pub sender_id: Option<i64>,
    pub mapping: BTreeMap<String, String>,
    pub attachment_ids: Vec<i64>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub send_now: bool,
    pub client_request_id: Option<String>,
    pub reject_suspicious: bool,
    pub file_path: PathBuf,
    pub file_name: String,
    pub file_size: u64,
}

/// `2025-11-03T08:30` (read in `TIME_ZONE`) or with an offset (`...-05:00`, `...Z`).
pub fn parse_schedule(raw: &str, config: &Config) -> Result<DateTime<Utc>, AppError> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok());
    naive
        .and_then(|n| config.time_zone.from_local_datetime(&n).earliest())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| {
            AppError::invalid(
                "scheduled_at",
                "scheduled_at_invalid",
                format!(
                    "'{raw}' no es una fecha y hora válida (use 2025-11-03T08:30, hora de {}).",
                    config.time_zone.name()
                ),
                format!(
                    "'{raw}' is not a valid date and time (use 2025-11-03T08:30, {} time).",
                    config.time_zone.name()
                ),
            )
        })
}

fn import_status(summary: &ImportSummary) -> Status {
    if summary.valid == 0 {
        Status::ImportFailed
    } else if summary.invalid > 0 {
        Status::ReadyWithErrors
    } else {
        Status::Ready
    }
}

pub fn counts_of(m: &bulk_send::Model) -> BulkCounts {
    BulkCounts {
        total: m.total_count,
        valid: m.valid_count,
        invalid: m.invalid_count,
        warnings: m.warning_count,
        pending: m.pending_count,
        sending: m.sending_count,
        sent: m.sent_count,
        failed: m.failed_count,
        ambiguous: m.ambiguous_count,
    }
}

pub async fn to_dtos(
    db: &impl ConnectionTrait,
    config: &Config,
    models: Vec<bulk_send::Model>,
) -> AppResult<Vec<BulkSend>> {
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let reports = crate::reports::post_send::latest_reports(db, &ids).await?;
    let mut files: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in bulk_send_attachment::Entity::find()
        .filter(bulk_send_attachment::Column::BulkSendId.is_in(ids))
        .all(db)
        .await?
    {
        files
            .entry(link.bulk_send_id)
            .or_default()
            .push(link.attachment_id);
    }
    let user_ids: Vec<i64> = models.iter().filter_map(|m| m.created_by).collect();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| BulkSend {
            report: crate::reports::post_send::status_of(config, &m, reports.get(&m.id).copied()),
            id: m.id,
            counts: counts_of(&m),
            attachment_ids: files.remove(&m.id).unwrap_or_default(),
            created_by: m.created_by.and_then(|id| names.get(&id).cloned()),
            client_request_id: m.client_request_id,
            template_id: m.template_id,
            template_name: m.template_name,
            subject: m.subject,
            sender_id: m.sender_id,
            from_email: m.from_email,
            from_name: m.from_name,
            mapping: serde_json::from_value(m.mapping).unwrap_or_default(),
            status: m.status,
            status_reason: m.status_reason,
            status_message: m.status_message,
            file: RecipientsFile {
                name: m.file_name,
                size_bytes: m.file_size,
                encoding: m.encoding,
                delimiter: m.delimiter,
                email_column: m.email_column,
                headers: serde_json::from_value(m.headers).unwrap_or_default(),
            },
            import_error: m.import_error,
            created_at: m.created_at,
            updated_at: m.updated_at,
            scheduled_at: m.scheduled_at,
            queued_at: m.queued_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            resume_at: m.resume_at,
        })
        .collect())
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<bulk_send::Model> {
    bulk_send::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Envío masivo no encontrado.", "Bulk send not found."))
}

/// The bulk send with counters live from its ledger.
pub async fn get(db: &Db, config: &Config, id: i64) -> AppResult<BulkSend> {
    let model = find(&db.conn, id).await?;
    let mut dto = to_dtos(&db.conn, config, vec![model]).await?.remove(0);
    if dto.counts.total > 0 {
        dto.counts = ledger::counts(&db.conn, id).await?;
    }
    Ok(dto)
}

async fn by_request_id(db: &Db, key: &str) -> AppResult<Option<bulk_send::Model>> {
    Ok(bulk_send::Entity::find()
        .filter(bulk_send::Column::ClientRequestId.eq(key))
        .one(&db.conn)
        .await?)
}

fn template_lookup_error(err: AppError, id: &str) -> AppError {
    if err.status == axum::http::StatusCode::NOT_FOUND {
        AppError::missing(
            "template_id",
            "template_not_found",
            format!("La plantilla '{id}' no existe en Doppler Relay."),
            format!("Template '{id}' does not exist in Doppler Relay."),
        )
    } else {
        err
    }
}

/// Creates a bulk send and imports its recipients. Answers it and whether it is new
/// (false: the same `client_request_id` created it before).
pub async fn create(
    state: &AppState,
    by: &CurrentUser,
    input: NewBulkSend,
) -> AppResult<(BulkSend, bool)> {
    let db = &state.db;
    if let Some(key) = &input.client_request_id {
        if let Some(existing) = by_request_id(db, key).await? {
            let _ = tokio::fs::remove_file(&input.file_path).await;
            return Ok((get(db, &state.config, existing.id).await?, false));
        }
    }
    let template = templates::detail(&state.relay, &state.config, &input.template_id)
        .await
        .map_err(|e| template_lookup_error(e, &input.template_id))?;
    let (from_email, from_name) = senders::resolve(db, &state.config, by, input.sender_id).await?;
    let attachment_ids: Vec<i64> = crate::attachments::choose_for_send(
        db,
        &state.config,
        by,
        &input.attachment_ids,
        "attachment_ids",
    )
    .await?
    .into_iter()
    .map(|a| a.id)
    .collect();
    if let Some(at) = input.scheduled_at {
        if at < Utc::now() - chrono::Duration::minutes(1) {
            return Err(AppError::invalid(
                "scheduled_at",
                "scheduled_at_past",
                "La fecha programada ya pasó.",
                "The scheduled time has already passed.",
            ));
        }
    }
    let rules = RowRules {
        required: template.variables.clone(),
        reject_suspicious: input.reject_suspicious,
        max_rows: state.config.limits.import_max_rows,
    };
    // File-level problems are answered before anything is stored.
    {
        let file = CsvFile::inspect(&input.file_path).await?;
        let reader = file.rows(&input.mapping, rules.clone()).await?;
        if !reader.layout.missing.is_empty() {
            return Err(ImportError::VariablesMissing(reader.layout.missing.clone()).into());
        }
    }

    let now = Utc::now();
    let txn = db.conn.begin().await?;
    let inserted = bulk_send::Entity::insert(bulk_send::ActiveModel {
        client_request_id: Set(input.client_request_id.clone()),
        template_id: Set(template.id.clone()),
        template_name: Set(template.name.clone()),
        template_subject: Set(template.subject.clone()),
        subject: Set(input.subject.clone().unwrap_or_default().trim().to_string()),
        sender_id: Set(input.sender_id),
        from_email: Set(from_email),
        from_name: Set(from_name),
        mapping: Set(json!(input.mapping)),
        status: Set(Status::Importing),
        status_reason: Set(String::new()),
        status_message: Set(String::new()),
        created_by: Set(Some(by.id)),
        created_at: Set(now),
        updated_at: Set(now),
        scheduled_at: Set(input.scheduled_at),
        file_name: Set(input.file_name.clone()),
        file_size: Set(input.file_size as i64),
        headers: Set(json!([])),
        import_error: Set(String::new()),
        report_status: Set(relay_types::BulkReportState::NotStarted),
        report_error: Set(String::new()),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await;
    let bulk = match inserted {
        Ok(model) => model,
        Err(err) if is_unique_violation(&err) => {
            drop(txn);
            let _ = tokio::fs::remove_file(&input.file_path).await;
            let key = input.client_request_id.as_deref().unwrap_or_default();
            let existing = by_request_id(db, key)
                .await?
                .ok_or_else(|| AppError::from(err))?;
            return Ok((get(db, &state.config, existing.id).await?, false));
        }
        Err(err) => return Err(err.into()),
    };
    for attachment_id in &attachment_ids {
        bulk_send_attachment::Entity::insert(bulk_send_attachment::ActiveModel {
            bulk_send_id: Set(bulk.id),
            attachment_id: Set(*attachment_id),
        })
        .exec(&txn)
        .await?;
    }
    let stored_path = format!("uploads/bulk-{}.csv", bulk.id);
    bulk_send::Entity::update_many()
        .col_expr(
            bulk_send::Column::FilePath,
            Expr::value(stored_path.clone()),
        )
        .filter(bulk_send::Column::Id.eq(bulk.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let target = state.config.data_dir.join(&stored_path);
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    tokio::fs::rename(&input.file_path, &target).await?;

    let imported = import(db, bulk.id, &target, &input.mapping, rules).await;
    let summary = match imported {
        Ok(summary) => summary,
        Err(err @ (ImportError::Database(_) | ImportError::Io(_))) => {
            let message = format!("{err:?}");
            bulk_send::Entity::update_many()
                .col_expr(bulk_send::Column::Status, Expr::value(Status::ImportFailed))
                .col_expr(
                    bulk_send::Column::ImportError,
                    Expr::value(message.chars().take(255).collect::<String>()),
                )
                .filter(bulk_send::Column::Id.eq(bulk.id))
                .exec(&db.conn)
                .await?;
            return Err(err.into());
        }
        Err(err) => {
            // A problem with the file itself: nothing is kept, the operator fixes the file.
            bulk_send::Entity::delete_by_id(bulk.id)
                .exec(&db.conn)
                .await?;
            let _ = tokio::fs::remove_file(&target).await;
            return Err(err.into());
        }
    };

    audit::record(
        &db.conn,
        &by.actor(),
        "bulk_sends.create",
        Some(Target::new("bulk_send", bulk.id)),
        json!({ "template_id": template.id, "rows": summary.total, "valid": summary.valid, "invalid": summary.invalid }),
    )
    .await?;
    if import_status(&summary) != Status::ImportFailed {
        if input.scheduled_at.is_some() {
            set_status(
                &db.conn,
                bulk.id,
                &[Status::Ready, Status::ReadyWithErrors],
                Status::Scheduled,
                "",
                "",
            )
            .await?;
        } else if input.send_now {
            queue(state, by, bulk.id).await?;
        }
    }
    Ok((get(db, &state.config, bulk.id).await?, true))
}

async fn import(
    db: &Db,
    bulk_id: i64,
    path: &std::path::Path,
    mapping: &BTreeMap<String, String>,
    rules: RowRules,
) -> Result<ImportSummary, ImportError> {
    let mut file = CsvFile::inspect(path).await?;
    let mut result = import_file(db, bulk_id, &file, mapping, rules.clone()).await;
    if recipients::retry_as_windows_1252(&file, &result) {
        file = file.as_windows_1252().await?;
        result = import_file(db, bulk_id, &file, mapping, rules).await;
    }
    result
}

async fn import_file(
    db: &Db,
    bulk_id: i64,
    file: &CsvFile,
    mapping: &BTreeMap<String, String>,
    rules: RowRules,
) -> Result<ImportSummary, ImportError> {
    let reader = file.rows(mapping, rules).await?;
    let delimiter = layout::delimiter_name(file.delimiter);
    let email_column = reader.layout.email_column().to_string();
    let headers = reader.layout.headers.clone();
    let result = ImportResult {
        encoding: file.encoding.name(),
        delimiter: &delimiter,
        email_column: &email_column,
        headers: &headers,
        status: import_status,
    };
    ledger::store(db, bulk_id, reader, &result).await
}

/// Moves a bulk send from one of `from` to `to`; false when it was in none of them.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: i64,
    from: &[Status],
    to: Status,
    reason: &str,
    message: &str,
) -> AppResult<bool> {
    let mut update = bulk_send::Entity::update_many()
        .col_expr(bulk_send::Column::Status, Expr::value(to))
        .col_expr(bulk_send::Column::StatusReason, Expr::value(reason))
        .col_expr(bulk_send::Column::StatusMessage, Expr::value(message))
        .col_expr(bulk_send::Column::UpdatedAt, Expr::value(Utc::now()));
    match to {
        Status::Queued => {
            update = update.col_expr(bulk_send::Column::QueuedAt, Expr::value(Utc::now()))
        }
        Status::Done | Status::DoneWithErrors | Status::Failed | Status::Cancelled => {
            update = update.col_expr(bulk_send::Column::FinishedAt, Expr::value(Utc::now()))
        }
        Status::Importing
        | Status::Ready
        | Status::ReadyWithErrors
        | Status::ImportFailed
        | Status::Scheduled
        | Status::Sending
        | Status::Paused => {}
    }
    if to != Status::Paused {
        update = update.col_expr(
            bulk_send::Column::ResumeAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    }
    let result = update
        .filter(bulk_send::Column::Id.eq(id))
        .filter(bulk_send::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

fn state_conflict(action_es: &str, action_en: &str, current: Status) -> AppError {
    AppError::conflict(
        "bulk_send_state_conflict",
        format!("No se puede {action_es} un envío en estado '{current}'."),
        format!("Cannot {action_en} a bulk send in status '{current}'."),
    )
    .with("current_status", current.as_str())
}

/// Every sendable row still to send has a value for every template variable; otherwise
/// 422 naming the variables and rows.
pub async fn check_variables(state: &AppState, bulk: &bulk_send::Model) -> AppResult<()> {
    let template = templates::detail(&state.relay, &state.config, &bulk.template_id)
        .await
        .map_err(|e| template_lookup_error(e, &bulk.template_id))?;
    let required: Vec<String> = template
        .variables
        .into_iter()
        .filter(|v| *v != bulk.email_column)
        .collect();
    let (missing, rows, total) =
        ledger::rows_missing_variables(&state.db, bulk.id, &required, 20).await?;
    if total == 0 {
        return Ok(());
    }
    let sample: Vec<String> = rows.iter().map(i64::to_string).collect();
    Err(AppError::invalid(
        "template_id",
        "template_variables_missing",
        format!(
            "La plantilla usa {} y {total} destinatario(s) no tienen valor (filas {}). El envío no empezó.",
            missing.join(", "),
            sample.join(", ")
        ),
        format!(
            "The template uses {} and {total} recipient(s) have no value (rows {}). The send did not start.",
            missing.join(", "),
            sample.join(", ")
        ),
    )
    .with("missing_variables", missing)
    .with("rows", rows)
    .with("rows_total", total))
}

/// Starts sending: checks the template's variables against every row, then queues the job.
pub async fn queue(state: &AppState, by: &CurrentUser, id: i64) -> AppResult<BulkSend> {
    start(
        state,
        Some(by),
        id,
        &[Status::Ready, Status::ReadyWithErrors, Status::Scheduled],
        "enviar",
        "send",
    )
    .await?;
    audit::record(
        &state.db.conn,
        &by.actor(),
        "bulk_sends.queue",
        Some(Target::new("bulk_send", id)),
        json!({}),
    )
    .await?;
    get(&state.db, &state.config, id).await
}

/// The common part of queue, resume and scheduled starts.
pub async fn start(
    state: &AppState,
    by: Option<&CurrentUser>,
    id: i64,
    from: &[Status],
    action_es: &str,
    action_en: &str,
) -> AppResult<()> {
    let bulk = find(&state.db.conn, id).await?;
    if !from.contains(&bulk.status) {
        return Err(state_conflict(action_es, action_en, bulk.status));
    }
    if jobs::active_for_bulk(&state.db.conn, jobs::JobType::BulkSend, id)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "bulk_send_job_active",
            "Ya existe un envío en cola o en ejecución para este envío masivo.",
            "A send for this bulk send is already queued or running.",
        ));
    }
    check_variables(state, &bulk).await?;
    let txn = state.db.conn.begin().await?;
    if !set_status(&txn, id, from, Status::Queued, "", "").await? {
        return Err(state_conflict(
            action_es,
            action_en,
            find(&state.db.conn, id).await?.status,
        ));
    }
    let job = NewJob {
        bulk_send_id: Some(id),
        triggered_by: by.map(|u| u.id),
        message: "Envío en cola".into(),
        ..NewJob::new(jobs::JobType::BulkSend)
    };
    if jobs::enqueue(&txn, job).await?.is_none() {
        return Err(AppError::conflict(
            "bulk_send_job_active",
            "Ya existe un envío en cola o en ejecución para este envío masivo.",
            "A send for this bulk send is already queued or running.",
        ));
    }
    txn.commit().await?;
    state.wakeup.wake();
    Ok(())
}

pub async fn pause(state: &AppState, by: &CurrentUser, id: i64) -> AppResult<BulkSend> {
    let bulk = find(&state.db.conn, id).await?;
    let message = format!("Pausado por {}", by.username);
    if !set_status(
        &state.db.conn,
        id,
        &[Status::Queued, Status::Sending],
        Status::Paused,
        "operator",
        &message,
    )
    .await?
    {
        return Err(state_conflict("pausar", "pause", bulk.status));
    }
    audit::record(
        &state.db.conn,
        &by.actor(),
        "bulk_sends.pause",
        Some(Target::new("bulk_send", id)),
        json!({ "from": bulk.status }),
    )
    .await?;
    get(&state.db, &state.config, id).await
}

pub async fn resume(state: &AppState, by: &CurrentUser, id: i64) -> AppResult<BulkSend> {
    start(state, Some(by), id, &[Status::Paused], "reanudar", "resume").await?;
    audit::record(
        &state.db.conn,
        &by.actor(),
        "bulk_sends.resume",
        Some(Target::new("bulk_send", id)),
        json!({}),
    )
    .await?;
    get(&state.db, &state.config, id).await
}

pub async fn cancel(state: &AppState, by: &CurrentUser, id: i64) -> AppResult<BulkSend> {
    let bulk = find(&state.db.conn, id).await?;
    let message = format!("Cancelado por {}", by.username);
    let from = [
        Status::Ready,
        Status::ReadyWithErrors,
        Status::Scheduled,
        Status::Queued,
        Status::Sending,
        Status::Paused,
    ];
    if !set_status(
        &state.db.conn,
        id,
        &from,
        Status::Cancelled,
        "operator",
        &message,
    )
    .await?
    {
        return Err(state_conflict("cancelar", "cancel", bulk.status));
    }
    audit::record(
        &state.db.conn,
        &by.actor(),
        "bulk_sends.cancel",
        Some(Target::new("bulk_send", id)),
        json!({ "from": bulk.status }),
    )
    .await?;
    get(&state.db, &state.config, id).await
}

/// The status a bulk send ends in once nothing is left to send; `None` while rows remain.
pub fn final_status(c: &BulkCounts) -> Option<Status> {
    if c.pending > 0 || c.sending > 0 {
        None
    } else if c.sent == 0 && c.failed + c.ambiguous > 0 {
        Some(Status::Failed)
    } else if c.failed + c.ambiguous > 0 {
        Some(Status::DoneWithErrors)
    } else {
        Some(Status::Done)
    }
}

/// An operator settles ambiguous recipients: they did go out (`mark_sent`), or they did not
/// and are sent again (`resend`, which queues the bulk send when it had finished).
pub async fn resolve(
    state: &AppState,
    by: &CurrentUser,
    id: i64,
    action: ResolveAction,
    ids: Option<Vec<i64>>,
) -> AppResult<ResolveResult> {
    let bulk = find(&state.db.conn, id).await?;
    if matches!(bulk.status, Status::Importing | Status::ImportFailed) {
        return Err(state_conflict("resolver", "resolve", bulk.status));
    }
    let resend = action == ResolveAction::Resend;
    let resolved =
        ledger::resolve_ambiguous(&state.db.conn, id, resend, ids.as_deref(), &by.username).await?;
    let counts = ledger::refresh_counters(&state.db.conn, id).await?;
    audit::record(
        &state.db.conn,
        &by.actor(),
        if resend {
            "bulk_sends.resend_ambiguous"
        } else {
            "bulk_sends.mark_sent"
        },
        Some(Target::new("bulk_send", id)),
        json!({ "recipients": resolved, "recipient_ids": ids }),
    )
    .await?;
    let finished = [Status::Done, Status::DoneWithErrors, Status::Failed];
    if resolved > 0 && finished.contains(&bulk.status) {
        if resend {
            start(state, Some(by), id, &finished, "reenviar", "resend").await?;
        } else if let Some(end) = final_status(&counts) {
            set_status(&state.db.conn, id, &finished, end, "", "").await?;
        }
    }
    Ok(ResolveResult {
        resolved,
        bulk_send: get(&state.db, &state.config, id).await?,
    })
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkFilter {
    /// One status, or several separated by commas (`queued,sending`).
    #[serde(default, deserialize_with = "crate::pagination::comma_list")]
    #[param(value_type = Option<Vec<Status>>, style = Form, explode = false, min_items = 1)]
    pub status: Option<Vec<Status>>,
    /// `current_month` (local calendar month) or `all` (default).
    pub period: Option<relay_types::Period>,
    /// First local day of creation (`YYYY-MM-DD`).
    pub date_from: Option<chrono::NaiveDate>,
    /// Last local day of creation, inclusive.
    pub date_to: Option<chrono::NaiveDate>,
    pub created_by: Option<i64>,
    /// Id, template, subject or file name.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
}

pub async fn list(
    db: &Db,
    config: &Config,
    filter: &BulkFilter,
    page: PageRequest,
) -> AppResult<Page<BulkSend>> {
    let mut query = bulk_send::Entity::find();
    if let Some(statuses) = &filter.status {
        query = query.filter(bulk_send::Column::Status.is_in(statuses.iter().copied()));
    }
    let mut from = filter.date_from;
    if filter.period == Some(relay_types::Period::CurrentMonth) {
        let today = Utc::now().with_timezone(&config.time_zone).date_naive();
        from = chrono::NaiveDate::from_ymd_opt(
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today),
            1,
        );
    }
    if let Some(day) = from {
        query = query
            .filter(bulk_send::Column::CreatedAt.gte(crate::messages::local_midnight(config, day)));
    }
    if let Some(day) = filter.date_to {
        query = query.filter(
            bulk_send::Column::CreatedAt.lt(crate::messages::local_midnight(
                config,
                day + chrono::Days::new(1),
            )),
        );
    }
    if let Some(user) = filter.created_by {
        query = query.filter(bulk_send::Column::CreatedBy.eq(user));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let mut any = Condition::any()
            .add(icontains(Expr::col(bulk_send::Column::TemplateId), q))
            .add(icontains(Expr::col(bulk_send::Column::TemplateName), q))
            .add(icontains(Expr::col(bulk_send::Column::Subject), q))
            .add(icontains(Expr::col(bulk_send::Column::FileName), q));
        if let Ok(id) = q.parse::<i64>() {
            any = any.add(bulk_send::Column::Id.eq(id));
        }
        query = query.filter(any);
    }
    let total = query.clone().count(&db.conn).await?;
    let models = query
        .order_by_desc(bulk_send::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&db.conn)
        .await?;
    Ok(page.wrap(to_dtos(&db.conn, config, models).await?, total))
}

/// An import lasts seconds; one still `importing` after this was cut short by a crash.
const STALE_IMPORT: chrono::Duration = chrono::Duration::minutes(30);

/// Marks imports a crash cut short as failed (their transaction left no rows).
pub async fn recover_stale_imports(db: &Db) -> AppResult<u64> {
    let result = bulk_send::Entity::update_many()
        .col_expr(bulk_send::Column::Status, Expr::value(Status::ImportFailed))
        .col_expr(
            bulk_send::Column::ImportError,
            Expr::value(
                "La importación se interrumpió (el proceso se detuvo). Vuelva a crear el envío.",
            ),
        )
        .filter(bulk_send::Column::Status.eq(Status::Importing))
        .filter(bulk_send::Column::UpdatedAt.lt(Utc::now() - STALE_IMPORT))
        .exec(&db.conn)
        .await?;
    Ok(result.rows_affected)
}

/// Who acts for the system when no user does (scheduler, timers).
pub fn system_actor() -> Actor {
    Actor::system("scheduler")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pending: i64, sending: i64, sent: i64, failed: i64, ambiguous: i64) -> BulkCounts {
        BulkCounts {
            pending,
            sending,
            sent,
            failed,
            ambiguous,
            ..Default::default()
        }
    }

    #[test]
    fn a_send_is_never_done_when_every_recipient_failed() {
        assert_eq!(final_status(&counts(0, 0, 10, 0, 0)), Some(Status::Done));
        assert_eq!(
            final_status(&counts(0, 0, 9, 1, 0)),
            Some(Status::DoneWithErrors)
        );
        assert_eq!(
            final_status(&counts(0, 0, 9, 0, 1)),
            Some(Status::DoneWithErrors)
        );
        assert_eq!(final_status(&counts(0, 0, 0, 5, 5)), Some(Status::Failed));
        assert_eq!(final_status(&counts(1, 0, 9, 0, 0)), None);
        assert_eq!(final_status(&counts(0, 1, 9, 0, 0)), None);
    }

    #[test]
    fn schedules_without_offset_are_local() {
        let vars = std::collections::HashMap::from([(
            "SECRET_KEY".to_string(),
            crate::config::tests::STRONG_KEY.to_string(),
        )]);
        let config = Config::from_vars(&vars).unwrap();
        assert_eq!(
            parse_schedule("2025-11-03T08:30", &config)
                .unwrap()
                .to_rfc3339(),
            "2025-11-03T13:30:00+00:00"
        );
        assert_eq!(
            parse_schedule("2025-11-03 08:30:15", &config)
                .unwrap()
                .to_rfc3339(),
            "2025-11-03T13:30:15+00:00"
        );
        assert_eq!(
            parse_schedule("2025-11-03T08:30:00Z", &config)
                .unwrap()
                .to_rfc3339(),
            "2025-11-03T08:30:00+00:00"
        );
        assert_eq!(
            parse_schedule("mañana", &config).unwrap_err().code,
            "scheduled_at_invalid"
        );
    }
}
