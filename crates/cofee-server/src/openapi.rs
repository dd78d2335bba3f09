//! The API description (OpenAPI 3.1), generated from the handlers' annotations, served at
//! `/api/openapi.json` with Swagger UI at `/api/docs` (its assets are built into the binary).

use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{Object, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem;
use crate::resources::{
    account, alignments, auth, captions, emoji, events, files, health, imports, jobs, media, pages,
    projects, renders, replacements, saved_styles, style_frames, styles, tokens, uploads, usage,
    waveform, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Cofee API", description = "Captioning: upload a video, transcribe it, edit and style the captions, render, download. Every object belongs to the signed-in user; another user's ids answer 404. Errors are application/problem+json."),
    paths(
        auth::register, auth::login, auth::refresh, auth::logout, tokens::create_token, tokens::list_tokens, tokens::delete_token, usage::usage, account::me, account::change_password, account::delete_account,
        projects::create, projects::list, projects::get, projects::rename, projects::delete,
        media::upload, media::direct_upload, media::complete_direct_upload, media::get, captions::captions, captions::put_captions, pages::pages, imports::import, files::media_url, files::render_url,
        waveform::waveform, alignments::create, alignments::get,
        captions::export_srt, captions::export_vtt, captions::export_ass, captions::export_json, captions::export_txt, emoji::list,
        jobs::transcribe, jobs::get, jobs::cancel, jobs::retry, events::stream,
        styles::presets, styles::get_style, styles::put_style, style_frames::frame, saved_styles::list, saved_styles::save, saved_styles::delete, replacements::get_replacements, replacements::put_replacements, renders::create, renders::list, renders::download,
        uploads::options, uploads::create, uploads::head, uploads::patch, uploads::delete,
        webhooks::create, webhooks::list, webhooks::test_webhook, webhooks::delete,
        health::live, health::ready, problem::describe,
    ),
    components(schemas(problem::Problem, problem::FieldError, problem::ProblemDescription)),
    modifiers(&BearerAuth, &ProblemTypes, &Constraints, &CommonResponses, &UniqueOperationIds, &Links),
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
        use utoipa::openapi::schema::{ObjectBuilder, Type};
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

/// The document this server serves: [`ApiDoc`] with the limits it was started with (the
/// largest upload), so that sizes over them are outside the schema as they are refused.
pub fn document(max_upload_bytes: u64) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let size = |o: &mut Object| o.maximum = Some(max_upload_bytes.into());
    size(property(&mut doc, "DirectUploadRequest", "size"));
    for (_, op) in doc.paths.paths.iter_mut().flat_map(|(_, item)| operations(item)) {
        for p in op.parameters.iter_mut().flatten() {
            if let RefOr::T(p) = p
                && p.name == "Upload-Length"
                && let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut()
            {
                size(o);
            }
        }
    }
    doc
}

/// The operations of a path, with their methods.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("PUT", &mut item.put),
        ("POST", &mut item.post),
        ("DELETE", &mut item.delete),
        ("OPTIONS", &mut item.options),
        ("HEAD", &mut item.head),
        ("PATCH", &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op.as_mut()?)))
}

/// The inline schema of `schema`'s `property`.
fn property<'a>(
    doc: &'a mut utoipa::openapi::OpenApi,
    schema: &str,
    property: &str,
) -> &'a mut Object {
    let components = doc.components.as_mut().expect("the document has components");
    match components.schemas.get_mut(schema) {
        Some(RefOr::T(Schema::Object(o))) => match o.properties.get_mut(property) {
            Some(RefOr::T(Schema::Object(p))) => p,
            _ => panic!("{schema}.{property} is not an inline schema"),
        },
        _ => panic!("no schema {schema}"),
    }
}

/// The schema of the items of array `property` of `schema`.
fn array_items<'a>(
    doc: &'a mut utoipa::openapi::OpenApi,
    schema: &str,
    property: &str,
) -> &'a mut Object {
    use utoipa::openapi::schema::ArrayItems;
    let components = doc.components.as_mut().expect("the document has components");
    let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(schema) else {
        panic!("no schema {schema}")
    };
    let Some(RefOr::T(Schema::Array(a))) = o.properties.get_mut(property) else {
        panic!("{schema}.{property} is not an inline array")
    };
    match &mut a.items {
        ArrayItems::RefOrSchema(item) => match item.as_mut() {
            RefOr::T(Schema::Object(item)) => item,
            _ => panic!("{schema}.{property}'s items are not an inline schema"),
        },
        ArrayItems::False => panic!("{schema}.{property} has no items"),
    }
}

/// The constraints the handlers check (`fields`, the limits), stated in the request schemas
/// from the same constants and patterns, so a request the schema allows is one the server
/// takes and the other way round.
struct Constraints;

impl Modify for Constraints {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use crate::fields::{self, *};
        let text = |o: &mut Object, max: usize, pattern: String| {
            o.max_length = Some(max);
            o.pattern = Some(pattern);
        };
        text(property(doc, "Credentials", "email"), EMAIL_MAX, fields::email_pattern());
        let password = property(doc, "Credentials", "password");
        (password.min_length, password.max_length) = (Some(PASSWORD_MIN), Some(PASSWORD_MAX));
        text(property(doc, "NewToken", "name"), TOKEN_NAME_MAX, fields::name_pattern());
        text(property(doc, "ProjectInput", "name"), PROJECT_NAME_MAX, fields::name_pattern());
        let style_name = property(doc, "SaveStyle", "name");
        text(style_name, crate::limits::MAX_STYLE_NAME_CHARS, fields::name_pattern());
        text(property(doc, "NewWebhook", "url"), URL_MAX, fields::http_url_pattern());
        {
            use cofee_core::limits::MAX_WORD_CHARS;
            text(property(doc, "ReplacementInput", "find"), MAX_WORD_CHARS, one_word_pattern());
            text(
                property(doc, "ReplacementInput", "replace"),
                MAX_WORD_CHARS,
                no_control_pattern(),
            );
        }
        property(doc, "TranscribeRequest", "language").pattern = Some(LANGUAGE_PATTERN.into());
        property(doc, "AlignmentRequest", "language").pattern = Some(LANGUAGE_PATTERN.into());
        {
            use cofee_core::limits::{MAX_ALIGN_MS, MAX_WORD_CHARS, MIN_ALIGN_MS};
            use utoipa::Number::UInt;
            let from = property(doc, "AlignmentRequest", "from_ms");
            from.maximum = Some(UInt(crate::resources::alignments::MAX_FROM_MS as usize));
            let duration = property(doc, "AlignmentRequest", "duration_ms");
            duration.minimum = Some(UInt(MIN_ALIGN_MS as usize));
            duration.maximum = Some(UInt(MAX_ALIGN_MS as usize));
            let word = array_items(doc, "AlignmentRequest", "words");
            text(word, MAX_WORD_CHARS, one_word_pattern());
            word.min_length = Some(1);
        }
        property(doc, "CaptionWord", "color").pattern = Some(fields::color_pattern());
        let nullable = |names: &[&str]| {
            let mut values: Vec<serde_json::Value> = names.iter().map(|n| (*n).into()).collect();
            values.push(serde_json::Value::Null);
            Some(values)
        };
        property(doc, "TranscribeRequest", "engine").enum_values =
            nullable(crate::resources::jobs::ENGINES);
        let emoji: Vec<&str> = cofee_core::emoji::all().iter().map(|e| e.emoji).collect();
        property(doc, "CaptionWord", "emoji").enum_values = nullable(&emoji);
        let presets = cofee_media::X264Preset::ALL.map(|p| p.name());
        property(doc, "RenderRequest", "preset").enum_values = nullable(&presets);
        property(doc, "RenderRequest", "crf").maximum =
            Some(crate::resources::renders::MAX_CRF.into());
        let components = doc.components.as_mut().expect("the document has components");
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut("NewToken")
            && let Some(RefOr::T(Schema::Array(scopes))) = o.properties.get_mut("scopes")
        {
            scopes.min_items = Some(1);
        }
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut("ReplacementList")
            && let Some(RefOr::T(Schema::Array(list))) = o.properties.get_mut("replacements")
        {
            list.max_items = Some(cofee_core::limits::MAX_REPLACEMENTS);
        }
        // tus: the one version spoken here.
        for (_, op) in doc.paths.paths.iter_mut().flat_map(|(_, item)| operations(item)) {
            for p in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = p
                    && p.name == "Tus-Resumable"
                    && let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut()
                {
                    o.enum_values = Some(vec![crate::resources::uploads::VERSION.into()]);
                }
                if let RefOr::T(p) = p
                    && p.name == "Upload-Metadata"
                    && let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut()
                {
                    o.pattern = Some(crate::resources::uploads::METADATA_PATTERN.into());
                }
            }
        }
        // Webhook events: one or more of the events, or "*", each once.
        let components = doc.components.as_mut().expect("the document has components");
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut("NewWebhook")
            && let Some(RefOr::T(Schema::Array(events))) = o.properties.get_mut("events")
        {
            let mut names: Vec<&str> = cofee_jobs::WEBHOOK_EVENTS.to_vec();
            names.push("*");
            events.min_items = Some(1);
            events.max_items = Some(names.len());
            events.unique_items = true;
            if let utoipa::openapi::schema::ArrayItems::RefOrSchema(item) = &mut events.items
                && let RefOr::T(Schema::Object(item)) = item.as_mut()
            {
                item.enum_values = Some(names.into_iter().map(Into::into).collect());
            }
        } else {
            panic!("NewWebhook.events is not an array");
        }
    }
}

/// The responses every operation may give, written once here rather than on each path, all of
/// them problems (`application/problem+json`, [`problem::Problem`]):
///
/// - 400 where a JSON body is read (not JSON, or not of the documented shape),
/// - 401 where the operation needs a token,
/// - 403 there too (an API token without the scope; where something is added, a quota),
/// - 404 where the path names something (an unknown or malformed id, or another user's),
/// - 413 where a body is read (over the route's limit),
/// - 429 on `/api/` (the request budgets of `middleware::rate_limit`), with `Retry-After`,
/// - 500 where the handler reads or writes the store,
/// - 503 where the handler runs under the request deadline (`middleware::deadline`).
///
/// A response a path lists itself is kept, and a `Problem` body it lists as JSON is served, and
/// so described, as `application/problem+json`.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use problem::ProblemType as P;
        use utoipa::openapi::response::Response;
        let problem_ref = || serde_json::json!({"$ref": "#/components/schemas/Problem"});
        let about = |kinds: &[P]| {
            kinds
                .iter()
                .map(|k| format!("{}: {}", k.title(), k.about()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let response = |kinds: &[P], headers: serde_json::Value| -> RefOr<Response> {
            let r = serde_json::json!({
                "description": about(kinds),
                "headers": headers,
                "content": {"application/problem+json": {"schema": problem_ref()}},
            });
            RefOr::T(serde_json::from_value(r).expect("a response"))
        };
        let retry_after = serde_json::json!({"Retry-After": {
            "description": "Seconds until the request may be sent again",
            "schema": {"type": "integer", "minimum": 1},
        }});
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                // A `Problem` body is served as application/problem+json.
                for r in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = r
                        && let Some(json) = r.content.get("application/json")
                        && serde_json::to_value(json).ok().and_then(|c| c.get("schema").cloned())
                            == Some(problem_ref())
                    {
                        let json = r.content.shift_remove("application/json").expect("there");
                        r.content.insert("application/problem+json".into(), json);
                    }
                }
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = op.request_body.as_ref().map(|b| match b {
                    RefOr::T(b) => b.content.keys().cloned().collect::<Vec<_>>(),
                    RefOr::Ref(_) => Vec::new(),
                });
                let json_body =
                    body.as_ref().is_some_and(|b| b.iter().any(|c| c == "application/json"));
                let api = path.starts_with("/api/");
                let stateful = secured || body.is_some();
                let method = method.parse().expect("an HTTP method");
                let deadline = !crate::middleware::deadline::without_deadline(&method, path);
                // Quotas are checked where something is added that counts against one.
                let quota = matches!(
                    (&*method.to_string(), &**path),
                    ("POST", "/api/projects")
                        | ("PUT", "/api/projects/{id}/media")
                        | ("POST", "/api/projects/{id}/media/direct")
                        | ("POST", "/api/projects/{id}/transcribe")
                        | ("POST", "/api/projects/{id}/renders")
                        | ("POST", "/api/jobs/{id}/retry")
                        | ("POST", "/api/uploads")
                        | ("POST", "/api/webhooks")
                );
                let forbidden: &[P] = if quota {
                    &[P::InsufficientScope, P::QuotaExceeded]
                } else {
                    &[P::InsufficientScope]
                };
                let common: [(bool, &str, &[P], serde_json::Value); 8] = [
                    (json_body, "400", &[P::MalformedRequest], serde_json::json!({})),
                    (secured, "401", &[P::Unauthorized], serde_json::json!({})),
                    (secured, "403", forbidden, serde_json::json!({})),
                    (path.contains('{'), "404", &[P::NotFound], serde_json::json!({})),
                    (body.is_some(), "413", &[P::RequestTooLarge], serde_json::json!({})),
                    (api, "429", &[P::TooManyRequests], retry_after.clone()),
                    (stateful, "500", &[P::Internal], serde_json::json!({})),
                    (deadline, "503", &[P::Timeout], retry_after.clone()),
                ];
                // A 429 a path lists itself says when to come back too.
                if let Some(RefOr::T(r)) = op.responses.responses.get_mut("429")
                    && !r.headers.contains_key("Retry-After")
                {
                    let header = serde_json::from_value(retry_after["Retry-After"].clone());
                    r.headers.insert("Retry-After".into(), header.expect("a header"));
                }
                for (applies, status, kinds, headers) in common {
                    if applies && !op.responses.responses.contains_key(status) {
                        op.responses.responses.insert(status.into(), response(kinds, headers));
                    }
                }
            }
        }
    }
}

/// Operation ids are unique (OpenAPI requires it; links name their targets by them): a handler
/// name that several resources share (`create`, `get`, …) is prefixed with its tag.
struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let mut count = std::collections::HashMap::<String, usize>::new();
        for (_, item) in doc.paths.paths.iter_mut() {
            for (_, op) in operations(item) {
                *count.entry(op.operation_id.clone().unwrap_or_default()).or_default() += 1;
            }
        }
        for (_, item) in doc.paths.paths.iter_mut() {
            for (_, op) in operations(item) {
                if let Some(id) = &op.operation_id
                    && count[id] > 1
                {
                    let tag = op.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
                    op.operation_id = Some(format!("{tag}_{id}"));
                }
            }
        }
    }
}

/// Links from what creates a resource to what reads, changes or removes it (OpenAPI links), so
/// that clients and stateful tests can follow them: a new project to its own operations, a
/// sign-in to refreshing and ending the session, a new token or webhook to its deletion.
struct Links;

impl Modify for Links {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use serde_json::json;
        let id = json!({"parameters": {"id": "$response.body#/id"}});
        let session = json!({"requestBody": {"refresh_token": "$response.body#/refresh_token"}});
        let project = [
            ("GetProject", "projects_get"),
            ("RenameProject", "rename"),
            ("DeleteProject", "projects_delete"),
            ("GetStyle", "get_style"),
            ("PutStyle", "put_style"),
            ("StyleFrame", "style_frame"),
            ("GetReplacements", "get_replacements"),
            ("PutReplacements", "put_replacements"),
            ("ListRenders", "renders_list"),
            ("CreateRender", "renders_create"),
            ("Transcribe", "transcribe"),
            ("DirectUpload", "direct_upload"),
        ];
        let mut links: Vec<(&str, &str, &str, &serde_json::Value)> =
            project.iter().map(|&(name, to)| ("projects_create", name, to, &id)).collect();
        links.extend([
            ("create_token", "DeleteToken", "delete_token", &id),
            ("save_style", "DeleteSavedStyle", "delete_saved_style", &id),
            ("webhooks_create", "DeleteWebhook", "webhooks_delete", &id),
            ("webhooks_create", "TestWebhook", "test_webhook", &id),
            ("login", "Refresh", "refresh", &session),
            ("login", "Logout", "logout", &session),
            ("refresh", "Refresh", "refresh", &session),
            ("refresh", "Logout", "logout", &session),
        ]);
        for (from, name, to, how) in links {
            let mut link = utoipa::openapi::link::LinkBuilder::new().operation_id(to);
            for (name, value) in
                how.get("parameters").and_then(|p| p.as_object()).into_iter().flatten()
            {
                link = link.parameter(name, value.clone());
            }
            let link = link.request_body(how.get("requestBody").cloned()).build();
            let op = doc
                .paths
                .paths
                .iter_mut()
                .flat_map(|(_, item)| operations(item))
                .map(|(_, op)| op)
                .find(|op| op.operation_id.as_deref() == Some(from))
                .unwrap_or_else(|| panic!("no operation {from}"));
            let (_, created) = op
                .responses
                .responses
                .iter_mut()
                .find(|(status, _)| status.starts_with('2'))
                .unwrap_or_else(|| panic!("{from} has no success response"));
            if let RefOr::T(created) = created {
                created.links.insert(name.into(), RefOr::T(link));
            }
        }
    }
}
