//! Error answers as OpenAPI responses, declared once and listed by every operation.
// These types only describe responses in the OpenAPI document; nothing reads their fields.
#![allow(dead_code)]

use relay_types::Problem;
use utoipa::IntoResponses;

#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "Malformed request (bad JSON, bad multipart, bad host)",
    content_type = "application/problem+json"
)]
pub struct BadRequest(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "Missing, expired or invalid token",
    content_type = "application/problem+json"
)]
pub struct Unauthorized(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "The caller lacks the permission named in `extra.permission`",
    content_type = "application/problem+json"
)]
pub struct Forbidden(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "No such resource",
    content_type = "application/problem+json"
)]
pub struct NotFound(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 409,
    description = "Conflicts with the current state (duplicate name, already loaded ...)",
    content_type = "application/problem+json"
)]
pub struct Conflict(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 413,
    description = "Body or file over the configured limit (`extra.limit_bytes`)",
    content_type = "application/problem+json"
)]
pub struct TooLarge(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "Invalid value; `field` names it",
    content_type = "application/problem+json"
)]
pub struct Invalid(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 429,
    description = "Too many attempts; wait `Retry-After` seconds",
    content_type = "application/problem+json"
)]
pub struct TooMany(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 502,
    description = "Doppler Relay failed or could not be reached",
    content_type = "application/problem+json"
)]
pub struct Upstream(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 415,
    description = "The body is not of the content type this operation takes",
    content_type = "application/problem+json"
)]
pub struct Unsupported(#[to_schema] Problem);

#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "Too busy right now (password checks are bounded); retry after `Retry-After` seconds",
    content_type = "application/problem+json"
)]
pub struct Busy(#[to_schema] Problem);
