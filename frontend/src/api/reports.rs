//! Doppler reports: the list, requesting one, processing the pending ones, retrying,
//! downloading and loading into a database.

use relay_types::{
    CreateReport, LoadReport, LoadTarget, Page, ProcessPending, Report, ReportState, ReportType,
};

use super::{download, get, post, query, spelled, ApiResult, Body};

/// The list's filters, as they stand in the page's URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportFilter {
    pub state: Option<ReportState>,
    pub report_type: Option<ReportType>,
    /// `default`, `analytics` or `none`.
    pub loaded_into: String,
    pub page: u64,
}

pub const PAGE_SIZE: u64 = 20;

pub async fn list(filter: &ReportFilter) -> ApiResult<Page<Report>> {
    get(&format!(
        "/api/v1/reports{}",
        query(&[
            ("state", spelled(&filter.state)),
            ("report_type", spelled(&filter.report_type)),
            ("loaded_into", filter.loaded_into.clone()),
            ("page", filter.page.max(1).to_string()),
            ("page_size", PAGE_SIZE.to_string()),
        ])
    ))
    .await
}

/// "Solicitar reporte".
pub async fn request(body: &CreateReport) -> ApiResult<Report> {
    post("/api/v1/reports", Body::json(body)).await
}

/// "Procesar pendientes ahora".
pub async fn process_pending() -> ApiResult<ProcessPending> {
    post("/api/v1/reports/process-pending", Body::Empty).await
}

pub async fn retry(id: i64) -> ApiResult<Report> {
    post(&format!("/api/v1/reports/{id}/retry"), Body::Empty).await
}

/// "Cargar BD (default)" / "Cargar BD (analytics)".
pub async fn load(id: i64, target: LoadTarget) -> ApiResult<Report> {
    post(
        &format!("/api/v1/reports/{id}/load"),
        Body::json(&LoadReport { target }),
    )
    .await
}

/// "Descargar CSV": the file as Doppler sent it.
pub async fn download_csv(id: i64, file_name: String) -> ApiResult<()> {
    download(
        format!("/api/v1/reports/{id}/download"),
        file_name,
        "text/csv",
    )
    .await
}
