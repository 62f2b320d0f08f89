//! "Sistema": whether the deployment is ready to send, for superusers ("Probar conexión").

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use relay_types::SystemChecks;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::CurrentUser;
use crate::error::{AppResult, Lang};
use crate::http::problem::lang_of;
use crate::http::responses::*;
use crate::http::AppState;
use crate::services::Services;
use crate::system_checks;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_system_checks))
}

/// Every check `relay-console doctor` makes, read-only: Doppler takes the key and its
/// scheme, the account answers, its templates and sending limits, the default sender, both
/// databases reachable and migrated, `DATA_DIR` writable with free space, `ALLOWED_HOSTS`,
/// `TIME_ZONE`, the report file-host policy. Each says what it found and, when it failed,
/// which setting to change; no secret is shown. Superusers only.
#[utoipa::path(get, path = "/api/v1/system/checks", tag = "system",
    responses((status = 200, body = SystemChecks), Unauthorized, Forbidden))]
async fn get_system_checks(
    State(state): State<Services>,
    user: CurrentUser,
    headers: HeaderMap,
) -> AppResult<Json<SystemChecks>> {
    user.require_superuser()?;
    let checks = system_checks::run(&state).await;
    Ok(Json(system_checks::answer(
        &checks,
        lang_of(&headers) == Lang::En,
    )))
}
