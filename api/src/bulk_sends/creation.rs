//! Creating a bulk send: the schedule, the idempotency key, the template and sender
//! checks, and the import of its recipients into the ledger.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use relay_types::BulkSend;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use super::history;
use relay_types::BulkEventKind;

use super::{get, import_status, queue, template_lookup_error, transition, Status};
use crate::auth::CurrentUser;
use crate::config::Config;
use crate::csv_input::header::delimiter_name;
use crate::csv_input::{retry_as_windows_1252, CsvFile, ImportError};
use crate::db::{is_unique_violation, Db};
use crate::entities::{bulk_send, bulk_send_attachment};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::recipients;
use crate::recipients::import::{self, ImportResult, ImportSummary};
use crate::recipients::rows::RowRules;
use crate::services::Services;
use crate::{senders, templates};

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
    /// The column holding the addresses, when the operator chose it.
    pub email_column: Option<String>,
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
                ErrorCode::ScheduledAtInvalid,
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

/// The caller's own bulk send with this idempotency key: keys belong to whoever used them.
async fn by_request_id(
    db: &Db,
    by: &CurrentUser,
    key: &str,
) -> AppResult<Option<bulk_send::Model>> {
    Ok(bulk_send::Entity::find()
        .filter(bulk_send::Column::CreatedBy.eq(by.id))
        .filter(bulk_send::Column::ClientRequestId.eq(key))
        .one(&db.conn)
        .await?)
}

/// Creates a bulk send and imports its recipients. Answers it and whether it is new
/// (false: the same `client_request_id` created it before).
pub async fn create(
    services: &Services,
    by: &CurrentUser,
    input: NewBulkSend,
) -> AppResult<(BulkSend, bool)> {
    let db = &services.db;
    if let Some(key) = &input.client_request_id {
        if let Some(existing) = by_request_id(db, by, key).await? {
            let _ = tokio::fs::remove_file(&input.file_path).await;
            return Ok((get(db, &services.config, existing.id).await?, false));
        }
    }
    let template = templates::detail(
        &services.db,
        &services.relay,
        &services.config,
        &input.template_id,
    )
    .await
    .map_err(|e| template_lookup_error(e, &input.template_id))?;
    let (from_email, from_name) =
        senders::resolve(db, &services.config, by, input.sender_id).await?;
    let attachment_ids: Vec<i64> = crate::attachments::choose_for_send(
        db,
        &services.config,
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
                ErrorCode::ScheduledAtPast,
                "La fecha programada ya pasó.",
                "The scheduled time has already passed.",
            ));
        }
    }
    let rules = RowRules {
        required: template.variables.clone(),
        reject_suspicious: input.reject_suspicious,
        max_rows: services.config.limits.import_max_rows,
        email_column: input.email_column.clone(),
    };
    // File-level problems are answered before anything is stored.
    {
        let file = CsvFile::inspect(&input.file_path).await?;
        let reader = recipients::open_rows(&file, &input.mapping, rules.clone()).await?;
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
        status_message_en: Set(String::new()),
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
            let existing = by_request_id(db, by, key)
                .await?
                .ok_or_else(|| AppError::from(err))?;
            return Ok((get(db, &services.config, existing.id).await?, false));
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
    let target = services.config.data_dir.join(&stored_path);
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    tokio::fs::rename(&input.file_path, &target).await?;

    // Reading the rows is CPU work: off the async workers.
    let imported = {
        let (db, target, mapping, bulk_id) =
            (db.clone(), target.clone(), input.mapping.clone(), bulk.id);
        crate::cpu_pool::run(async move { import(&db, bulk_id, &target, &mapping, rules).await })
            .await
    };
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

    history::record(
        &db.conn,
        Some(&by.actor()),
        bulk.id,
        BulkEventKind::Created,
        json!({ "template_id": template.id, "rows": summary.total, "valid": summary.valid, "invalid": summary.invalid }),
    )
    .await?;
    if import_status(&summary) != Status::ImportFailed {
        if input.scheduled_at.is_some() {
            // The "created" entry above holds the schedule's cause: the form asked for it.
            transition(
                &db.conn,
                bulk.id,
                &[Status::Ready, Status::ReadyWithErrors],
                Status::Scheduled,
                "",
                super::Said::NOTHING,
                None,
            )
            .await?;
        } else if input.send_now {
            queue(services, by, bulk.id).await?;
        }
    }
    Ok((get(db, &services.config, bulk.id).await?, true))
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
    if retry_as_windows_1252(&file, &result) {
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
    let reader = recipients::open_rows(file, mapping, rules).await?;
    let delimiter = delimiter_name(file.delimiter);
    let email_column = reader.layout.email_column().to_string();
    let headers = reader.layout.headers.clone();
    let result = ImportResult {
        encoding: file.encoding.name(),
        delimiter: &delimiter,
        email_column: &email_column,
        headers: &headers,
        status: import_status,
    };
    import::store(db, bulk_id, reader, &result).await
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
