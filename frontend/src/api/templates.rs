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

/// The list, asking Doppler again with `refresh` ("Actualizar desde Doppler").
pub async fn list(q: &str, refresh: bool) -> ApiResult<TemplateList> {
    get(&format!(
        "/api/v1/templates{}",
        query(&[
            ("q", q.to_string()),
            (
                "refresh",
                if refresh {
                    "true".into()
                } else {
                    String::new()
                }
            ),
            ("page_size", "100".into()),
        ])
    ))
    .await
}

pub async fn one(id: &str) -> ApiResult<relay_types::TemplateDetail> {
    get(&format!(
        "/api/v1/templates/{}",
        js_sys::encode_uri_component(id)
    ))
    .await
}

pub async fn create(body: &relay_types::TemplateInput) -> ApiResult<relay_types::TemplateDetail> {
    post("/api/v1/templates", Body::json(body)).await
}

pub async fn update(
    id: &str,
    body: &relay_types::TemplatePatch,
) -> ApiResult<relay_types::TemplateDetail> {
    let url = format!("/api/v1/templates/{}", js_sys::encode_uri_component(id));
    super::patch(&url, Body::json(body)).await
}

pub async fn delete(id: &str) -> ApiResult<()> {
    super::delete(&format!(
        "/api/v1/templates/{}",
        js_sys::encode_uri_component(id)
    ))
    .await
}
