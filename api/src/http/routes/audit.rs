//! The audit log, for admins (`audit.view`).

use axum::extract::State;
use axum::Json;
use relay_types::{AuditEntry, Page};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::audit::{self, AuditFilter};
use crate::error::AppResult;
use crate::http::auth::{can, Authorized};
use crate::http::extract::ApiQuery;
use crate::http::responses::*;
use crate::http::AppState;
use crate::pagination::PageParams;
use crate::services::Services;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_entries))
}

/// Who did what and when: logins, failed logins, user and permission changes, sends, loads.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditFilter, PageParams),
    responses((status = 200, body = Page<AuditEntry>), Unauthorized, Forbidden, Invalid))]
async fn list_audit_entries(
    State(state): State<Services>,
    _: Authorized<can::ViewAudit>,
    ApiQuery(filter): ApiQuery<AuditFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<AuditEntry>>> {
    Ok(Json(audit::list(&state.db, &filter, page.into()).await?))
}
