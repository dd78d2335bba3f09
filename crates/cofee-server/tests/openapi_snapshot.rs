//! The web app's API types are generated from `web/openapi.json` (openapi-typescript, at build
//! time), so that file must be the server's API description as it is now. Run with
//! `COFEE_UPDATE_OPENAPI=1` to rewrite it after changing the API.

use cofee_server::openapi::ApiDoc;
use utoipa::OpenApi;

#[test]
fn the_web_apps_copy_of_the_api_description_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/openapi.json");
    let current = ApiDoc::openapi().to_pretty_json().expect("the document serializes") + "\n";
    if std::env::var_os("COFEE_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &current).expect("web/openapi.json is writable");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "web/openapi.json is not the server's API description: run `COFEE_UPDATE_OPENAPI=1 cargo test -p cofee-server --test openapi_snapshot` and rebuild the web app"
    );
}
