//! "CSV de destinatarios": what the importer would conclude about a file, nothing stored.

use relay_types::CsvPreview;
use web_sys::FormData;

use super::{post, ApiResult, Body};

pub async fn preview(form: FormData) -> ApiResult<CsvPreview> {
    post("/api/v1/csv/preview", Body::Form(form)).await
}
