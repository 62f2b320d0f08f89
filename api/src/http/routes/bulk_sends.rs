//! Bulk sends: create from a CSV, list, follow, act on, and read their recipients.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use relay_types::{BulkSend, CampaignReport, Page, Recipient, ResolveAmbiguous, ResolveResult};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::bulk_sends::{self, BulkFilter, NewBulkSend};
use crate::error::{AppError, AppResult};
use crate::http::auth::{can, Authorized};
use crate::http::downloads::csv_cell;
use crate::http::extract::{idempotency_key, ApiJson, ApiPath, ApiQuery};
use crate::http::responses::*;
use crate::http::uploads::{self, UploadForm};
use crate::http::AppState;
use crate::pagination::PageParams;
use crate::recipients::queries::{self, RecipientFilter};
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_bulk_send).layer(DefaultBodyLimit::disable()))
        .routes(routes!(list_bulk_sends))
        .routes(routes!(get_bulk_send))
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
            "template_required",
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
                "field_invalid",
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
        subject: form.text("subject"),
        sender_id,
        mapping: form.mapping()?,
        attachment_ids: form.ids("attachment_ids")?,
        scheduled_at,
        send_now: form.flag("send_now")? && scheduled_at.is_none(),
        client_request_id: key,
        reject_suspicious: form.flag("reject_suspicious")?,
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
    bulk_sends::find(&state.db.conn, id).await?;
    Ok(Json(
        queries::list(&state.db, id, &filter, page.into()).await?,
    ))
}

const EXPORT_PAGE: u64 = 2000;

fn csv_line(r: &Recipient) -> String {
    let at =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    [
        r.row_number.to_string(),
        r.email.clone(),
        r.validation_status.to_string(),
        r.validation_code.clone(),
        r.validation_message.clone(),
        r.send_status.to_string(),
        r.attempts.to_string(),
        r.message_id.clone(),
        r.error_code.clone(),
        r.error_message.clone(),
        at(r.sent_at),
        r.variables.to_string(),
    ]
    .iter()
    .map(|c| csv_cell(c, ';'))
    .collect::<Vec<_>>()
    .join(";")
        + "\r\n"
}

/// Every recipient (with the same filters as the list) as CSV: `;`-separated UTF-8 with a
/// BOM, as Excel in Spanish opens it.
#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}/recipients.csv", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id"), RecipientFilter),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String), Unauthorized, Forbidden, NotFound, Invalid))]
async fn export_recipients_csv(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(filter): ApiQuery<RecipientFilter>,
) -> AppResult<Response> {
    bulk_sends::find(&state.db.conn, id).await?;
    let header_line = "\u{feff}row_number;email;validation_status;validation_code;validation_message;send_status;attempts;message_id;error_code;error_message;sent_at;variables\r\n";
    let db = state.db.clone();
    let pages = futures::stream::unfold(Some(0i64), move |cursor| {
        let db = db.clone();
        let filter = RecipientFilter {
            send_status: filter.send_status,
            validation_status: filter.validation_status,
            q: filter.q.clone(),
        };
        async move {
            let after = cursor?;
            match queries::export_page(&db, id, &filter, after, EXPORT_PAGE).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = rows.last().map(|r| r.row_number);
                    let text: String = rows.iter().map(csv_line).collect();
                    Some((Ok::<_, std::io::Error>(text.into_bytes()), next))
                }
                Err(err) => Some((Err(std::io::Error::other(err.to_string())), None)),
            }
        }
    });
    let body = futures::StreamExt::chain(
        futures::stream::once(async move { Ok(header_line.as_bytes().to_vec()) }),
        pages,
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"envio_{id}_destinatarios.csv\""),
        )
        .body(Body::from_stream(body))
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
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

/// Go on with a paused send (after a pause by an operator, a quota or an outage).
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
    let bulk = bulk_sends::find(&state.db.conn, id).await?;
    Ok(Json(crate::reports::campaign::build(&state, &bulk).await?))
}

fn report_csv_cell(value: Option<&str>) -> String {
    csv_cell(value.unwrap_or(""), ',')
}

/// This send's rows of its report as CSV (`Subject,Sender,SenderName,Email,Status,Date,
/// Opens,Clicks,Date_Local`, `Date` in UTC).
#[utoipa::path(get, path = "/api/v1/bulk-sends/{id}/report.csv", tag = "bulk_sends",
    params(("id" = i64, Path, description = "Bulk send id")),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String), Unauthorized, Forbidden, NotFound, Conflict))]
async fn export_campaign_report_csv(
    State(state): State<Services>,
    _: Authorized<can::ViewBulkSends>,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    let bulk = bulk_sends::find(&state.db.conn, id).await?;
    let report = crate::reports::campaign::report_for(&state, &bulk)
        .await?
        .ok_or_else(|| {
            AppError::conflict(
                "campaign_report_not_ready",
                "El reporte de este envío aún no está disponible.",
                "This send's report is not available yet.",
            )
        })?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(16);
    tokio::spawn(async move {
        let _ = sender
            .send(Ok(
                b"Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks,Date_Local\r\n".to_vec(),
            ))
            .await;
        let mut lines = String::new();
        let result = crate::reports::campaign::rows_of_send(&state, &bulk, report.id, |row| {
            let number = |n: Option<i64>| n.map(|n| n.to_string());
            let cells = [
                report_csv_cell(row.subject.as_deref()),
                report_csv_cell(row.sender.as_deref()),
                report_csv_cell(row.sender_name.as_deref()),
                report_csv_cell(row.email.as_deref()),
                report_csv_cell(row.status.as_deref()),
                report_csv_cell(
                    row.event_at
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .as_deref(),
                ),
                report_csv_cell(number(row.opens).as_deref()),
                report_csv_cell(number(row.clicks).as_deref()),
                report_csv_cell(row.event_local.as_deref()),
            ];
            lines.push_str(&cells.join(","));
            lines.push_str("\r\n");
        })
        .await;
        let chunk = match result {
            Ok(()) => Ok(lines.into_bytes()),
            Err(err) => Err(std::io::Error::other(err.to_string())),
        };
        let _ = sender.send(chunk).await;
    });
    let body = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"bulk_{id}_deliveries_window.csv\""),
        )
        .body(Body::from_stream(body))
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
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
