//! The API description (OpenAPI 3.1), generated from the handlers' annotations, served at
//! `/api/openapi.json` with Swagger UI at `/api/docs` (its assets are built into the binary).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem;
use crate::resources::{
    auth, captions, events, files, health, jobs, media, pages, projects, renders, styles, tokens,
    uploads, usage, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Cofee API", description = "Captioning: upload a video, transcribe it, edit and style the captions, render, download. Every object belongs to the signed-in user; another user's ids answer 404. Errors are application/problem+json."),
    paths(
        auth::register, auth::login, auth::refresh, auth::logout, tokens::create_token, tokens::list_tokens, tokens::delete_token, usage::usage,
        projects::create, projects::list, projects::get, projects::rename, projects::delete,
        media::upload, media::direct_upload, media::complete_direct_upload, media::get, captions::captions, captions::put_captions, pages::pages, files::media_url, files::render_url,
        captions::export_srt, captions::export_vtt, captions::export_ass, captions::export_json, captions::export_txt,
        jobs::transcribe, jobs::get, jobs::cancel, jobs::retry, events::stream,
        styles::presets, styles::get_style, styles::put_style, renders::create, renders::list, renders::download,
        uploads::options, uploads::create, uploads::head, uploads::patch, uploads::delete,
        webhooks::create, webhooks::list, webhooks::delete,
        health::live, health::ready, problem::describe,
    ),
    components(schemas(problem::Problem, problem::FieldError, problem::ProblemDescription)),
    modifiers(&BearerAuth, &ProblemTypes),
    tags(
        (name = "auth", description = "Accounts, sessions and API tokens"),
        (name = "projects"), (name = "media"), (name = "uploads", description = "tus 1.0 resumable uploads"),
        (name = "captions"), (name = "styles"), (name = "jobs"), (name = "renders"), (name = "webhooks"), (name = "health"),
        (name = "problems", description = "What each problem `type` means"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

/// The `type` of a problem is one of [`problem::ProblemType`]'s URIs: listed in the schema, each
/// with its status and title.
struct ProblemTypes;

impl Modify for ProblemTypes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        let kinds = problem::ProblemType::ALL;
        let listed: Vec<String> = kinds
            .iter()
            .map(|k| format!("`{}` ({} {})", k.uri(), k.status().as_u16(), k.title()))
            .collect();
        let kind = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(kinds.iter().map(|k| k.uri())))
            .description(Some(format!(
                "The kind of problem; `GET` it for a description. One of: {}.",
                listed.join(", ")
            )))
            .build();
        let components = openapi.components.get_or_insert_with(Default::default);
        if let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") {
            problem.properties.insert("type".into(), RefOr::T(Schema::Object(kind)));
        }
    }
}

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT access token or cofee_pat_ API token")
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}
