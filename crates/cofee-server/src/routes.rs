//! The routes: each path to its resource's handler, with the middleware around them
//! ([`router`]), and the probes alone for processes without the API ([`ops_router`]).

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::limits::{SMALL_BODY_LIMIT, WHOLE_BODY_LIMIT};
use crate::middleware::{cors, deadline, rate_limit, security_headers, telemetry};
use crate::openapi;
use crate::resources::{
    account, alignments, auth, captions, emoji, events, files, health, imports, jobs, media, pages,
    projects, renders, replacements, saved_styles, style_frames, styles, tokens, uploads, usage,
    waveform, web, webhooks,
};
use crate::state::{AppState, Probes};

/// `/health/live`, `/health/ready` and `/metrics` alone, for processes without the API.
pub fn ops_router(probes: Probes) -> Router {
    Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route_layer(axum::middleware::from_fn(telemetry::track))
        .with_state(probes)
}

/// `routes` with bodies limited to [`SMALL_BODY_LIMIT`].
fn small(routes: axum::routing::MethodRouter<AppState>) -> axum::routing::MethodRouter<AppState> {
    routes.layer(axum::extract::DefaultBodyLimit::max(SMALL_BODY_LIMIT))
}

/// The whole API as one router.
pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    let security_headers = security_headers::headers(state.objects.public_origin());
    let cors_origins = state.cors_origins.clone();
    let mut app = Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/api/auth/register", small(post(auth::register)))
        .route("/api/auth/login", small(post(auth::login)))
        .route("/api/auth/refresh", small(post(auth::refresh)))
        .route("/api/auth/logout", small(post(auth::logout)))
        .route("/api/tokens", small(post(tokens::create_token).get(tokens::list_tokens)))
        .route("/api/tokens/{id}", axum::routing::delete(tokens::delete_token))
        .route("/api/me/usage", get(usage::usage))
        .route("/api/me", small(get(account::me).delete(account::delete_account)))
        .route("/api/me/password", small(axum::routing::put(account::change_password)))
        .route("/api/projects", small(post(projects::create).get(projects::list)))
        .route(
            "/api/projects/{id}",
            small(get(projects::get).patch(projects::rename).delete(projects::delete)),
        )
        .route("/api/projects/{id}/media", axum::routing::put(media::upload).get(media::get))
        .route("/api/projects/{id}/media/direct", small(post(media::direct_upload)))
        .route(
            "/api/projects/{id}/media/direct/{upload_id}/complete",
            small(post(media::complete_direct_upload)),
        )
        .route("/api/projects/{id}/waveform", get(waveform::waveform))
        .route("/api/projects/{id}/transcribe", small(post(jobs::transcribe)))
        .route("/api/projects/{id}/alignments", small(post(alignments::create)))
        .route("/api/projects/{id}/alignments/{job_id}", get(alignments::get))
        .route("/api/projects/{id}/captions", get(captions::captions).put(captions::put_captions))
        .route("/api/projects/{id}/captions/pages", get(pages::pages))
        .route("/api/projects/{id}/captions/import", post(imports::import))
        .route("/api/projects/{id}/captions.srt", get(captions::export_srt))
        .route("/api/projects/{id}/captions.vtt", get(captions::export_vtt))
        .route("/api/projects/{id}/captions.ass", get(captions::export_ass))
        .route("/api/projects/{id}/captions.json", get(captions::export_json))
        .route("/api/projects/{id}/captions.txt", get(captions::export_txt))
        .route(
            "/api/projects/{id}/replacements",
            small(get(replacements::get_replacements).put(replacements::put_replacements)),
        )
        .route("/api/projects/{id}/style", small(get(styles::get_style).put(styles::put_style)))
        .route("/api/projects/{id}/style/frame", small(post(style_frames::frame)))
        .route("/api/projects/{id}/renders", small(post(renders::create).get(renders::list)))
        .route("/api/renders/{id}/download", get(renders::download))
        .route("/api/styles", get(styles::presets))
        .route("/api/emoji", get(emoji::list))
        .route("/api/projects/{id}/media/url", get(files::media_url))
        .route("/api/renders/{id}/url", get(files::render_url))
        .route("/files/{*key}", get(files::serve))
        .route("/problems/{slug}", get(crate::problem::describe))
        .route("/fonts/{name}", get(web::font))
        .route("/api/me/styles", small(get(saved_styles::list).post(saved_styles::save)))
        .route("/api/me/styles/{id}", axum::routing::delete(saved_styles::delete))
        .route("/api/webhooks", small(post(webhooks::create).get(webhooks::list)))
        .route("/api/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route("/api/webhooks/{id}/test", small(post(webhooks::test_webhook)))
        .route("/api/uploads", post(uploads::create).options(uploads::options))
        .route(
            "/api/uploads/{id}",
            axum::routing::head(uploads::head).patch(uploads::patch).delete(uploads::delete),
        )
        .route("/api/projects/{id}/events", get(events::stream))
        .route("/api/jobs/{id}", get(jobs::get))
        .route("/api/jobs/{id}/cancel", post(jobs::cancel))
        .route("/api/jobs/{id}/retry", post(jobs::retry))
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .url("/api/openapi.json", openapi::document(state.limits.max_bytes)),
        )
        .fallback(web::app)
        .route_layer(axum::middleware::from_fn(deadline::deadline))
        // Budgets before handlers; inside `track`, so refused requests are counted too.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .route_layer(axum::middleware::from_fn(telemetry::track))
        .layer(axum::extract::DefaultBodyLimit::max(WHOLE_BODY_LIMIT))
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            // A span per request carrying its id (set just outside); `telemetry::track` logs in it.
            TraceLayer::new_for_http().make_span_with(telemetry::request_span),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    if !cors_origins.is_empty() {
        app = app.layer(axum::middleware::from_fn_with_state(
            Arc::<[axum::http::HeaderValue]>::from(cors_origins),
            cors::cors,
        ));
    }
    app.layer(axum::middleware::map_response_with_state(security_headers, security_headers::set))
}
