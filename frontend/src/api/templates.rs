//! Doppler templates: the picker of "Nuevo envío" and its "Vista previa".

use relay_types::{PreviewRequest, PreviewResponse, TemplateList};

use super::{get, post, query, ApiResult, Body};

pub async fn search(q: &str) -> ApiResult<TemplateList> {
    get(&format!(
        "/api/v1/templates{}",
        query(&[("q", q.to_string()), ("page_size", "50".into())])
    ))
    .await
}

/// The template rendered with `variables` as Doppler would.
pub async fn preview(
    template_id: &str,
    variables: serde_json::Map<String, serde_json::Value>,
) -> ApiResult<PreviewResponse> {
    let id = js_sys::encode_uri_component(template_id);
    post(
        &format!("/api/v1/templates/{id}/preview"),
        Body::json(&PreviewRequest { variables }),
    )
    .await
}
