//! The OpenAPI document says what the server answers: every error as `application/problem+json`,
//! the statuses every operation can give (401 where a token is needed, 429 under `/api/`, 400
//! and 413 where a body is read, 404 where the path names something), the constraints of the
//! request schemas, which bodies are optional, unique operation ids and the links the stateful
//! tests follow. (`scripts/schemathesis.sh` then holds the server to the document.)

use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(cofee_server::openapi::document(1 << 30)).unwrap()
}

/// `(method, path, operation)` for every operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "options", "head", "patch"].contains(&&**method) {
                out.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    assert!(out.len() > 40, "{} operations", out.len());
    out
}

fn has(op: &Value, status: &str) -> bool {
    op["responses"].get(status).is_some()
}

#[test]
fn every_error_response_is_a_problem_document() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            let Some(content) = response.get("content").and_then(Value::as_object) else {
                continue;
            };
            if status.starts_with('2') || status.starts_with('3') {
                continue;
            }
            // The readiness probe's 503 is its report (which dependency is down), or, past the
            // deadline, a problem.
            let report = (method.as_str(), path.as_str(), status.as_str())
                == ("GET", "/health/ready", "503");
            for (media_type, body) in content {
                if report && media_type == "application/json" {
                    continue;
                }
                assert_eq!(media_type, "application/problem+json", "{method} {path} {status}");
                assert_eq!(
                    body["schema"]["$ref"], "#/components/schemas/Problem",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

#[test]
fn every_operation_documents_the_statuses_it_can_answer() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        if secured {
            assert!(has(&op, "401"), "{at}: needs a token but documents no 401");
            assert!(has(&op, "403"), "{at}: an API token may lack the scope, but no 403");
        }
        if path.starts_with("/api/") {
            assert!(has(&op, "429"), "{at}: rate-limited but documents no 429");
            assert!(
                op["responses"]["429"]["headers"].get("Retry-After").is_some(),
                "{at}: 429 without Retry-After"
            );
        }
        if let Some(body) = op.get("requestBody") {
            assert!(has(&op, "413"), "{at}: reads a body but documents no 413");
            if body["content"].get("application/json").is_some() {
                assert!(has(&op, "400"), "{at}: reads JSON but documents no 400");
            }
        }
        if path.contains('{') {
            assert!(has(&op, "404"), "{at}: names a resource but documents no 404");
        }
        if secured || op.get("requestBody").is_some() {
            assert!(has(&op, "500"), "{at}");
        }
    }
    let op = |method: &str, path: &str| doc["paths"][path][method].clone();
    // What the handlers answer themselves, beyond the common statuses.
    for (method, path, statuses) in [
        ("post", "/api/auth/register", &["201", "409", "422"][..]),
        ("patch", "/api/projects/{id}", &["200", "422"]),
        ("post", "/api/projects/{id}/transcribe", &["202", "409", "422"]),
        ("put", "/api/projects/{id}/captions", &["200", "412", "422", "428"]),
        ("put", "/api/projects/{id}/media", &["201", "400", "413", "422"]),
        ("post", "/api/uploads", &["201", "400", "404", "412", "413"]),
        ("patch", "/api/uploads/{id}", &["204", "400", "409", "412", "413", "415", "423"]),
        ("delete", "/api/uploads/{id}", &["204", "412"]),
        ("get", "/api/renders/{id}/download", &["200", "206", "307", "409", "416"]),
    ] {
        for status in statuses {
            assert!(has(&op(method, path), status), "{method} {path}: no {status}");
        }
    }
}

#[test]
fn operation_ids_are_unique_and_links_lead_from_what_creates_to_what_uses() {
    let doc = document();
    let mut ids: Vec<String> = operations(&doc)
        .iter()
        .map(|(m, p, op)| op["operationId"].as_str().unwrap_or_else(|| panic!("{m} {p}")).into())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "operation ids are unique: {ids:?}");
    let links = &doc["paths"]["/api/projects"]["post"]["responses"]["201"]["links"];
    assert_eq!(links["GetProject"]["operationId"], "projects_get");
    assert_eq!(links["GetProject"]["parameters"]["id"], "$response.body#/id");
    for (_, link) in links.as_object().unwrap() {
        let target = link["operationId"].as_str().unwrap();
        assert!(ids.iter().any(|id| id == target), "a link to {target}");
    }
}

#[test]
fn request_schemas_state_the_constraints_the_handlers_check() {
    let doc = document();
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    let prop = |name: &str, p: &str| schema(name)["properties"][p].clone();
    let email = prop("Credentials", "email");
    assert_eq!(email["maxLength"], 254);
    assert!(email["pattern"].is_string());
    let password = prop("Credentials", "password");
    assert_eq!(
        (password["minLength"].clone(), password["maxLength"].clone()),
        (10.into(), 1024.into())
    );
    for (name, max) in [("ProjectInput", 200), ("NewToken", 100)] {
        assert_eq!(prop(name, "name")["maxLength"], max, "{name}");
        assert!(
            prop(name, "name")["pattern"].as_str().unwrap().contains(r"\u0000-\u001f"),
            "{name}"
        );
    }
    assert_eq!(prop("NewWebhook", "url")["maxLength"], 2048);
    let events = prop("NewWebhook", "events");
    assert_eq!(events["minItems"], 1);
    assert_eq!(events["uniqueItems"], true);
    assert!(events["items"]["enum"].as_array().unwrap().contains(&"*".into()));
    assert_eq!(events["maxItems"], events["items"]["enum"].as_array().unwrap().len());
    assert!(
        prop("TranscribeRequest", "engine")["enum"].as_array().unwrap().contains(&"sphinx".into())
    );
    assert!(prop("TranscribeRequest", "language")["pattern"].is_string());
    assert!(
        prop("RenderRequest", "preset")["enum"].as_array().unwrap().contains(&"veryfast".into())
    );
    assert_eq!(prop("RenderRequest", "crf")["maximum"], 51);
    assert_eq!(prop("DirectUploadRequest", "size")["maximum"], 1u64 << 30);
    let style = schema("StyleInput");
    assert_eq!(style["additionalProperties"], false);
    assert_eq!(style["properties"]["font_size"]["maximum"], 25.0);
    assert_eq!(style["properties"]["emphasis"]["properties"]["keywords"]["maxItems"], 200);
    assert_eq!(
        style["properties"]["emphasis"]["properties"]["keywords"]["items"]["maxLength"],
        100
    );
    // Unknown fields are refused where the handler refuses them.
    for name in ["ProjectInput", "NewToken", "NewWebhook", "TranscribeRequest", "RenderRequest"] {
        assert_eq!(schema(name)["additionalProperties"], false, "{name}");
    }
    let paths = &doc["paths"];
    let upload_length = paths["/api/uploads"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Upload-Length")
        .unwrap()
        .clone();
    assert_eq!(upload_length["schema"]["maximum"], 1u64 << 30);
    for (method, path) in
        [("post", "/api/uploads"), ("patch", "/api/uploads/{id}"), ("delete", "/api/uploads/{id}")]
    {
        let tus = paths[path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "Tus-Resumable")
            .unwrap_or_else(|| panic!("{method} {path} takes Tus-Resumable"))
            .clone();
        assert_eq!(tus["schema"]["enum"], serde_json::json!(["1.0.0"]), "{method} {path}");
    }
}

#[test]
fn optional_bodies_are_marked_optional_and_the_others_required() {
    let doc = document();
    let optional = [
        ("POST", "/api/projects/{id}/transcribe"),
        ("POST", "/api/projects/{id}/renders"),
        ("POST", "/api/projects/{id}/media/direct/{upload_id}/complete"),
    ];
    for (method, path, op) in operations(&doc) {
        let Some(body) = op.get("requestBody") else { continue };
        let required = body["required"] == true;
        let is_optional = optional.contains(&(&*method, &*path));
        assert_eq!(required, !is_optional, "{method} {path}: required {required}");
    }
}
