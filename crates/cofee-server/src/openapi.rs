//! The API description (OpenAPI 3.1), generated from the handlers' annotations, served at
//! `/api/openapi.json` with Swagger UI at `/api/docs` (its assets are built into the binary).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{auth, events, files, health, jobs, media, problem, projects, renders, tus, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(title = "Cofee API", description = "Captioning: upload a video, transcribe it, edit and style the captions, render, download. Every object belongs to the signed-in user; another user's ids answer 404. Errors are application/problem+json."),
    paths(
        auth::register, auth::login, auth::refresh, auth::logout, auth::create_token, auth::list_tokens, auth::delete_token,
        projects::create, projects::list, projects::get, projects::rename, projects::delete,
        media::upload, media::direct_upload, media::complete_direct_upload, media::get, media::captions, media::put_captions, files::media_url, files::render_url,
        renders::export_srt, renders::export_vtt, renders::export_ass, renders::export_json, renders::export_txt,
        jobs::transcribe, jobs::get, jobs::cancel, jobs::retry, events::stream,
        renders::presets, renders::get_style, renders::put_style, renders::create, renders::list, renders::download,
        tus::options, tus::create, tus::head, tus::patch, tus::delete,
        webhooks::create, webhooks::list, webhooks::delete,
        health::live, health::ready,
    ),
    components(schemas(problem::Problem, problem::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts, sessions and API tokens"),
        (name = "projects"), (name = "media"), (name = "uploads", description = "tus 1.0 resumable uploads"),
        (name = "captions"), (name = "styles"), (name = "jobs"), (name = "renders"), (name = "webhooks"), (name = "health"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT access token or cofee_pat_ API token").build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}
