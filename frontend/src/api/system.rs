//! The deployment's checks ("Probar conexión").

use relay_types::SystemChecks;

use super::{get, ApiResult};

pub async fn checks() -> ApiResult<SystemChecks> {
    get("/api/v1/system/checks").await
}
