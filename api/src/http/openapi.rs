//! The HTTP surface: the routers of `routes/` composed, and the OpenAPI document they declare.

use axum::middleware;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use super::routes::*;
use super::{contract, AppState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Relay Console API",
        license(name = "MIT"),
        description = "Bulk e-mail campaigns through Doppler Relay, and their delivery reports.\n\n\
            Authenticate with `POST /api/v1/auth/login` and send the access token as \
            `Authorization: Bearer <token>`, or use a personal API token from `/api/v1/tokens`. \
            Errors are RFC 9457 problem+json with a stable `code`; messages follow `Accept-Language` \
            (Spanish by default, English available).",
    ),
    modifiers(&BearerAuth),
    // Enums only query parameters use: registered so that their references resolve.
    components(schemas(relay_types::Period, relay_types::LoadedInto)),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "Sign in, refresh, sign out"),
        (name = "tokens", description = "Personal API tokens for scripts"),
        (name = "users", description = "User administration"),
        (name = "groups", description = "Groups of permissions"),
        (name = "senders", description = "Sender identities (From address and name)"),
        (name = "bulk_sends", description = "Bulk sends: CSV import, sending, recipients"),
        (name = "jobs", description = "Background jobs"),
        (name = "reports", description = "Doppler reports and loading them"),
        (name = "templates", description = "Doppler templates"),
        (name = "attachments", description = "Uploaded files for sends"),
        (name = "messages", description = "Single messages"),
        (name = "audit", description = "Audit log"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "system", description = "Whether the deployment is ready to send"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or rcp_ API token")
                    .build(),
            ),
        );
    }
}

/// Routes anyone may call.
fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::public_router())
}

/// Routes that need a signed-in caller.
fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(tokens::router())
        .merge(users::router())
        .merge(groups::router())
        .merge(senders::router())
        .merge(bulk_sends::router())
        .merge(csv::router())
        .merge(jobs::router())
        .merge(reports::router())
        .merge(templates::router())
        .merge(attachments::router())
        .merge(messages::router())
        .merge(audit::router())
        .merge(system::router())
}

/// The OpenAPI document, as the code declares it.
pub fn openapi() -> serde_json::Value {
    contract::complete(public_routes().merge(protected_routes()).into_openapi())
}

pub fn api_router(state: &AppState) -> (axum::Router<AppState>, serde_json::Value) {
    let protected = protected_routes().route_layer(middleware::from_fn_with_state(
        state.services.clone(),
        super::auth::require_user,
    ));
    let (router, openapi) = public_routes().merge(protected).split_for_parts();
    (router, contract::complete(openapi))
}
