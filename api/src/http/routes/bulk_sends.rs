//! Bulk sends: create from a CSV, list, follow, act on, and read their recipients.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use relay_types::{
    BulkEvent, BulkSend, BulkSummary, CampaignReport, Page, Recipient, ResolveAmbiguous,
    ResolveResult,
};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::bulk_sends::{self, BulkFilter, NewBulkSend};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::http::auth::{can, Authorized};
use crate::http::downloads::{csv_download, EXCEL_ES};
use crate::http::extract::{idempotency_key, ApiJson, ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::uploads::{self, UploadForm};
use crate::http::AppState;
use crate::pagination::PageParams;
use crate::recipients::queries::{self, RecipientFilter};
use crate::reports::campaign::SendRows;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_bulk_send).layer(DefaultBodyLimit::disable()))
        .routes(routes!(list_bulk_sends))
        .routes(routes!(summarize_bulk_sends))
        .routes(routes!(bulk_send_activity))
        .routes(routes!(get_bulk_send))
        .routes(routes!(get_bulk_send_history))
        .routes(routes!(list_recipients))
        .routes(routes!(export_recipients_csv))
        .routes(routes!(queue_bulk_send))
        .routes(routes!(pause_bulk_send))
        .routes(routes!(resume_bulk_send))
        .routes(routes!(cancel_bulk_send))
        .routes(routes!(resolve_ambiguous_recipients))
        .routes(routes!(get_campaign_report))
        .routes(routes!(export_campaign_report_csv))
        .routes(routes!(refresh_campaign_report))
}

/// The multipart form that creates a bulk send.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CreateForm {
    /// The recipient CSV (at most `UPLOAD_MAX_BYTES`, `IMPORT_MAX_ROWS` rows).
    #[schema(value_type = String, format = Binary)]
    recipients_file: Vec<u8>,
    /// Doppler template id.
    #[schema(min_length = 1, max_length = 100)]
    template_id: String,
    /// Empty: the template's subject.
    #[schema(max_length = 998, nullable = false)]
    subject: Option<String>,
    /// A sender identity (one's own, or any with `senders.manage`); the deployment
    /// default when absent.
    #[schema(nullable = false)]
    sender_id: Option<i64>,
    /// `{"variable": "column"}`, for columns named unlike the template's variables.
    #[schema(nullable = false)]
    mapping: Option<std::collections::BTreeMap<String, String>>,
    /// Attachment ids (at most 10): repeated fields, comma-separated, or a JSON array.
    #[schema(max_items = 10, nullable = false)]
    attachment_ids: Option<Vec<i64>>,
    /// When to send, with an offset (`2025-11-03T08:30:00-05:00`); a time without one
    /// (`2025-11-03T08:30`) is read in `TIME_ZONE`.
    #[schema(nullable = false)]
    scheduled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Queue right away (ignored when scheduled).
    #[schema(nullable = false)]
    send_now: Option<bool>,
    /// Idempotency key (or the `Idempotency-Key` header): a repeat answers the bulk send
    /// already created.
    #[schema(max_length = 64, nullable = false)]
    client_request_id: Option<String>,
    /// Make unknown top-level domains invalid rather than a warning.
    #[schema(nullable = false)]
    reject_suspicious: Option<bool>,
    /// The column holding the addresses; when absent, the column named like one (`email`,
    /// `correo`...), else the one whose values look like addresses.
    #[schema(min_length = 1, max_length = 1000, nullable = false)]
    email_column: Option<String>,
}

impl CreateForm {
    const FIELDS: &'static [&'static str] = &[
        "template_id",
        "subject",
        "sender_id",
        "mapping",
        "attachment_ids",
        "scheduled_at",
        "send_now",
        "client_request_id",
        "reject_suspicious",
        "email_column",
    ];
}

/// Create a bulk send: the CSV is imported into the recipient ledger (a verdict per row)
/// and the send is scheduled, queued (`send_now`), or left ready. 201 when created, 200
/// with the existing one for a repeated `client_request_id`.
#[utoipa::path(post, path = "/api/v1/bulk-sends", tag = "bulk_sends",
    request_body(content = CreateForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, max_length = 64, description = "Alternative to client_request_id")),
    responses(
        (status = 201, description = "Created", body = BulkSend),
        (status = 200, description = "Already created with this client_request_id", body = BulkSend),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Invalid, Upstream))]
async fn create_bulk_send(
    State(state): State<Services>,
    user: Authorized<can::OperateBulkSends>,
    headers: HeaderMap,
    form: Multipart,
) -> AppResult<(StatusCode, Json<BulkSend>)> {
    let limit = state.config.limits.upload_max_bytes;
    uploads::check_declared_length(&headers, limit)?;
    let mut form = UploadForm::read(
        form,
        "recipients_file",
        CreateForm::FIELDS,
        &state.config,
        limit,
    )
    .await?;
    let template_id = form.text("template_id").ok_or_else(|| {
        AppError::invalid(
            "template_id",
            ErrorCode::TemplateRequired,
            "Elige una plantilla.",
            "Choose a template.",
        )
    })?;
    let file = form
        .file
        .take()
        .ok_or_else(|| uploads::missing_file("recipients_file"))?;
    let key = idempotency_key(&headers, form.text("client_request_id"))?;
    let sender_id = match form.text("sender_id") {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            AppError::invalid(
                "sender_id",
                ErrorCode::FieldInvalid,
                "sender_id debe ser un número.",
                "sender_id must be a number.",
            )
        })?),
        None => None,
    };
    let scheduled_at = form
        .text("scheduled_at")
        .map(|raw| bulk_sends::parse_schedule(&raw, &state.config))
        .transpose()?;
    let input = NewBulkSend {
        template_id,
        subject: form
            .text("subject")
            .map(|subject| {
                crate::input::text(&subject, relay_types::limits::SUBJECT_MAX_CHARS, "subject")
            })
            .transpose()?,
        sender_id,
        mapping: form.mapping()?,
        attachment_ids: form.ids("attachment_ids")?,
        scheduled_at,
        send_now: form.flag("send_now")? && scheduled_at.is_none(),
        client_request_id: key,
        reject_suspicious: form.flag("reject_suspicious")?,
        email_column: form.email_column()?,
        file_path: file.spool.0.clone(),
        file_name: file.name.clone(),
        file_size: file.size,
    };
    // The service moves the file into place; the spool then has nothing left to remove.
    let (bulk, created) = bulk_sends::create(&state, &user, input).await?;
    drop(file);
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(bulk),
    ))
}

/// Bulk sends, newest first: filter by status, period, creator; search by id, template,
/// subject or file name.
#[utoipa::path(get, path = "/api/v1/bulk-sends", tag = "bulk_sends",
    params(BulkFilter, PageParams),
    responses((status = 200, body = Page<BulkSend>), Unauthorized, Forbidden, Invalid))]
async fn list_bulk_sends(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiQuery(filter): ApiQuery<BulkFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<BulkSend>>> {
    Ok(Json(
        bulk_sends::list(&state.db, &state.config, &filter, page.into()).await?,
    ))
}

/// How many bulk sends of a view are scheduled, in progress, finished or with errors (the
/// list's cards). Takes the list's filters; `status` is ignored.
#[utoipa::path(get, path = "/api/v1/bulk-sends/summary", tag = "bulk_sends",
    params(BulkFilter),
    responses((status = 200, body = BulkSummary), Unauthorized, Forbidden, Invalid))]
async fn summarize_bulk_sends(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiQuery(filter): ApiQuery<BulkFilter>,
) -> AppResult<Json<BulkSummary>> {
    Ok(Json(
        bulk_sends::summary(&state.db, &state.config, &filter).await?,
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ActivityParams {
    /// Local days, today included (1–90, default 30).
    #[serde(default, deserialize_with = "activity_days")]
    #[param(minimum = 1, maximum = 90)]
    days: Option<u32>,
}

fn activity_days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let days = <u32 as serde::Deserialize>::deserialize(d)?;
    if (1..=bulk_sends::MAX_ACTIVITY_DAYS).contains(&days) {
        Ok(Some(days))
    } else {
        Err(serde::de::Error::custom(format!(
            "must be between 1 and {}, got {days}",
            bulk_sends::MAX_ACTIVITY_DAYS
        )))
    }
}

/// E-mails sent per local day (`TIME_ZONE`) over the last `days` days by the sends of a
/// view (the list's filters but the period, which the days replace), days without any as 0.
#[utoipa::path(get, path = "/api/v1/bulk-sends/activity", tag = "bulk_sends",
    params(BulkFilter, ActivityParams),
    responses((status = 200, body = Vec<relay_types::DailyEmails>), Unauthorized, Forbidden, Invalid))]
async fn bulk_send_activity(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiQuery(filter): ApiQuery<BulkFilter>,
    ApiQuery(params): ApiQuery<ActivityParams>,
) -> AppResult<Json<Vec<relay_types::DailyEmails>>> {
    let filter = BulkFilter {
        period: None,
        date_from: None,
        date_to: None,
        ..filter
    };
    Ok(Json(
        bulk_sends::activity(&state.db, &state.config, &filter, params.days.unwrap_or(30)).await?,
    ))
}

/// What happened to a bulk send, oldest first: created, queued, started, paused (by an
/// operator, the quota or an outage), resumed, finished, recipients resolved.
#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}/history", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, body = Vec<BulkEvent>), Unauthorized, Forbidden, NotFound))]
async fn get_bulk_send_history(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<BulkEvent>>> {
    Ok(Json(bulk_sends::history::of(&state.db, id).await?))
}

/// One bulk send, with its counters live from the ledger.
#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, body = BulkSend), Unauthorized, Forbidden, NotFound))]
async fn get_bulk_send(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BulkSend>> {
    Ok(Json(bulk_sends::get(&state.db, &state.config, id).await?))
}

/// The recipients of a bulk send in file order, with their verdict and send outcome.
#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}/recipients", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id"), RecipientFilter, PageParams),
    responses((status = 200, body = Page<Recipient>), Unauthorized, Forbidden, NotFound, Invalid))]
async fn list_recipients(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(filter): ApiQuery<RecipientFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<Recipient>>> {
    bulk_sends::load(&state.db, id).await?;
    Ok(Json(
        queries::list(&state.db, id, &filter, page.into()).await?,
    ))
}

/// Recipients read per query of an export.
const EXPORT_PAGE: u64 = 2000;

/// The fixed columns of `recipients.csv`, in Spanish and English; the send's variables
/// follow, one column each.
const RECIPIENT_COLUMNS: [(&str, &str); 10] = [
    ("Fila", "Row"),
    ("Correo", "Email"),
    ("Estado", "State"),
    ("Validación", "Validation"),
    ("Detalle de la validación", "Validation detail"),
    ("Intentos", "Attempts"),
    ("Id del mensaje en Doppler", "Doppler message id"),
    ("Código de error", "Error code"),
    ("Error", "Error message"),
    ("Enviado (hora local)", "Sent (local time)"),
];

/// A time as people read it in a spreadsheet: local (`TIME_ZONE`), to the second.
fn local_time(config: &crate::config::Config, at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|t| {
        t.with_timezone(&config.time_zone)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    })
    .unwrap_or_default()
}

/// The variables a send's rows carry, in the file's order: its columns but the e-mail,
/// then the mapped variables.
fn variable_columns(bulk: &crate::entities::bulk_send::Model) -> Vec<String> {
    let headers: Vec<String> = serde_json::from_value(bulk.headers.clone()).unwrap_or_default();
    let mapping: std::collections::BTreeMap<String, String> =
        serde_json::from_value(bulk.mapping.clone()).unwrap_or_default();
    let mut names: Vec<String> = headers
        .into_iter()
        .filter(|h| !h.is_empty() && *h != bulk.email_column)
        .collect();
    for variable in mapping.into_keys() {
        if !names.contains(&variable) {
            names.push(variable);
        }
    }
    names
}

fn recipient_cells(
    r: Recipient,
    bulk_status: relay_types::BulkSendStatus,
    variables: &[String],
    config: &crate::config::Config,
    spanish: bool,
) -> Vec<String> {
    let state = relay_types::RecipientState::of(r.validation_status, r.send_status, bulk_status);
    let mut cells = vec![
        r.row_number.to_string(),
        r.email,
        state.label(spanish).to_string(),
        r.validation_status.label(spanish).to_string(),
        r.validation_message,
        r.attempts.to_string(),
        r.message_id,
        r.error_code,
        r.error_message,
        local_time(config, r.sent_at),
    ];
    cells.extend(variables.iter().map(|name| match r.variables.get(name) {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }));
    cells
}

/// Every recipient (with the same filters as the list) as CSV: `;`-separated UTF-8 with a
/// BOM, as Excel in Spanish opens it. Headers and states in the request's language
/// (`Accept-Language`: Spanish unless English is preferred), times local to the second,
/// each variable of the send in a column of its own.
#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}/recipients.csv", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id"), RecipientFilter),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String), Unauthorized, Forbidden, NotFound, Invalid))]
async fn export_recipients_csv(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(filter): ApiQuery<RecipientFilter>,
) -> AppResult<Response> {
    let bulk = bulk_sends::load(&state.db, id).await?;
    let spanish = crate::http::problem::lang_of(&headers) == crate::error::Lang::Es;
    let variables = variable_columns(&bulk);
    let name = if spanish {
        format!("envio_{id}_destinatarios.csv")
    } else {
        format!("bulk_send_{id}_recipients.csv")
    };
    csv_download(&name, EXCEL_ES, move |mut out| async move {
        let header = RECIPIENT_COLUMNS
            .iter()
            .map(|(es, en)| if spanish { *es } else { *en })
            .chain(variables.iter().map(String::as_str));
        out.row(header).await?;
        let mut after = 0i64;
        loop {
            let rows = queries::export_page(&state.db, id, &filter, after, EXPORT_PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = last.row_number;
            for recipient in rows {
                let cells =
                    recipient_cells(recipient, bulk.status, &variables, &state.config, spanish);
                out.row(cells).await?;
            }
        }
        Ok(out)
    })
}

/// Start sending now. The template's variables are checked against every row first: when
/// any is missing the send does not start and the answer names the variables and rows.
#[utoipa::path(post, path = "/api/v1/bulk-sends/{id}/queue", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, body = BulkSend), Unauthorized, Forbidden, NotFound, Conflict, Invalid, Upstream))]
async fn queue_bulk_send(
    State(state): State<Services>,
    user: Authorized<can::OperateBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BulkSend>> {
    Ok(Json(bulk_sends::queue(&state, &user, id).await?))
}

/// Pause a queued or sending send: requests in flight finish, nothing new starts.
#[utoipa::path(post, path = "/api/v1/bulk-sends/{id}/pause", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, body = BulkSend), Unauthorized, Forbidden, NotFound, Conflict))]
async fn pause_bulk_send(
    State(state): State<Services>,
    user: Authorized<can::OperateBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BulkSend>> {
    Ok(Json(bulk_sends::pause(&state, &user, id).await?))
}

/// Go on with a paused send (after a pause by an operator, a quota or an outage). Right
/// after a pause, while the paused run still finishes its requests in flight, the resume
/// is taken at once and that run carries on (no 409 to wait out).
#[utoipa::path(post, path = "/api/v1/bulk-sends/{id}/resume", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, body = BulkSend), Unauthorized, Forbidden, NotFound, Conflict, Invalid, Upstream))]
async fn resume_bulk_send(
    State(state): State<Services>,
    user: Authorized<can::OperateBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BulkSend>> {
    Ok(Json(bulk_sends::resume(&state, &user, id).await?))
}

/// Cancel: rows not sent yet are never sent.
#[utoipa::path(post, path = "/api/v1/bulk-sends/{id}/cancel", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, body = BulkSend), Unauthorized, Forbidden, NotFound, Conflict))]
async fn cancel_bulk_send(
    State(state): State<Services>,
    user: Authorized<can::OperateBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BulkSend>> {
    Ok(Json(bulk_sends::cancel(&state, &user, id).await?))
}

/// Settle ambiguous recipients (maybe sent): `mark_sent` when they did go out, `resend` to
/// send them once more (the bulk send is queued again when it had finished).
#[utoipa::path(post, path = "/api/v1/bulk-sends/{id}/recipients/resolve", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    request_body = ResolveAmbiguous,
    responses((status = 200, body = ResolveResult), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Invalid))]
async fn resolve_ambiguous_recipients(
    State(state): State<Services>,
    user: Authorized<can::OperateBulkSends>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ResolveAmbiguous>,
) -> AppResult<Json<ResolveResult>> {
    Ok(Json(
        bulk_sends::resolve(&state, &user, id, body.action, body.recipient_ids).await?,
    ))
}

/// This send's report: totals, rates, outcomes, opens over time and top domains, from the
/// report rows of **its** recipients (by message id, else address, subject and sender in
/// the send's time window).
#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}/report", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, body = CampaignReport), Unauthorized, Forbidden, NotFound))]
async fn get_campaign_report(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<CampaignReport>> {
    let bulk = bulk_sends::load(&state.db, id).await?;
    Ok(Json(crate::reports::campaign::build(&state, &bulk).await?))
}

/// This send's rows of its report as CSV, `;`-separated with a BOM: subject, sender,
/// sender name, address, Doppler's status as it wrote it, the time (local, to the second),
/// opens, clicks and what the status means (delivered, bounced, dropped, pending, spam,
/// unsubscribed or other), headers and meanings in the request's language.
#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}/report.csv", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String), Unauthorized, Forbidden, NotFound, Conflict))]
async fn export_campaign_report_csv(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    let bulk = bulk_sends::load(&state.db, id).await?;
    let report = crate::reports::campaign::report_for(&state, &bulk)
        .await?
        .ok_or_else(|| {
            AppError::conflict(
                ErrorCode::CampaignReportNotReady,
                "El reporte de este envío aún no está disponible.",
                "This send's report is not available yet.",
            )
        })?;
    let spanish = crate::http::problem::lang_of(&headers) == crate::error::Lang::Es;
    let name = if spanish {
        format!("envio_{id}_reporte.csv")
    } else {
        format!("bulk_send_{id}_report.csv")
    };
    csv_download(&name, EXCEL_ES, move |mut out| async move {
        const COLUMNS: [(&str, &str); 9] = [
            ("Asunto", "Subject"),
            ("Remitente", "Sender"),
            ("Nombre del remitente", "Sender name"),
            ("Correo", "Email"),
            ("Estado en Doppler", "Doppler status"),
            ("Fecha (hora local)", "Date (local time)"),
            ("Aperturas", "Opens"),
            ("Clics", "Clicks"),
            ("Resultado", "Outcome"),
        ];
        out.row(
            COLUMNS
                .iter()
                .map(|(es, en)| if spanish { *es } else { *en }),
        )
        .await?;
        let mut rows = SendRows::new(&state, &bulk, report.id).await?;
        while let Some(page) = rows.next_page(&state.db).await? {
            for (row, _) in page {
                let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
                let status = row.status.clone().unwrap_or_default();
                out.row([
                    row.subject.unwrap_or_default(),
                    row.sender.unwrap_or_default(),
                    row.sender_name.unwrap_or_default(),
                    row.email.unwrap_or_default(),
                    status.clone(),
                    local_time(&state.config, row.event_at),
                    number(row.opens),
                    number(row.clicks),
                    relay_types::DeliveryOutcome::of(&status)
                        .label(spanish)
                        .to_string(),
                ])
                .await?;
            }
        }
        Ok(out)
    })
}

/// "Actualizar reporte": request this send's report again now (allowed
/// `MANUAL_REPORT_REFRESH_MIN` after the send finished).
#[utoipa::path(post, path = "/api/v1/bulk-sends/{id}/report/refresh", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 202, body = BulkSend), Unauthorized, Forbidden, NotFound, Conflict))]
async fn refresh_campaign_report(
    State(state): State<Services>,
    user: Authorized<can::OperateBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<BulkSend>)> {
    crate::reports::post_send::refresh(&state, Some(&user), id, false).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(bulk_sends::get(&state.db, &state.config, id).await?),
    ))
}
