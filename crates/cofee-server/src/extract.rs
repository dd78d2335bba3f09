//! Ids from the path: [`Id`] is the route's `{id}`, or both ids of a route with two, as UUIDs.
//! A malformed id answers 404 like an unknown one: to the caller there is no such resource.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::problem::ApiError;

/// The route's ids: `Id(id): Id` for `{id}`, `Id((id, other)): Id<(Uuid, Uuid)>` for two.
pub struct Id<T: Ids = Uuid>(pub T);

/// What an [`Id`] holds: one UUID or two.
pub trait Ids: DeserializeOwned + Send {}

impl Ids for Uuid {}

impl Ids for (Uuid, Uuid) {}

impl<S: Send + Sync, T: Ids> FromRequestParts<S> for Id<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // Whatever is wrong with the path's ids, the rejection is the 404 problem (`problem`).
        let Path(ids) = Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(ids))
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use axum::routing::get;
    use tower::ServiceExt;
    use uuid::Uuid;

    use super::Id;

    async fn answer(uri: &str) -> (StatusCode, Option<String>, String) {
        let app = Router::new()
            .route("/one/{id}", get(|Id(id): Id| async move { id.to_string() }))
            .route(
                "/two/{id}/and/{other}",
                get(|Id((a, b)): Id<(Uuid, Uuid)>| async move { format!("{a} {b}") }),
            );
        let r = app.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
        let (status, kind) = (
            r.status(),
            r.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()),
        );
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, kind, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn ids_come_from_the_path_and_malformed_ones_are_the_404_problem() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(answer(&format!("/one/{a}")).await.2, a.to_string());
        assert_eq!(answer(&format!("/two/{a}/and/{b}")).await.2, format!("{a} {b}"));
        for uri in [
            "/one/not-a-uuid".to_string(),
            format!("/two/{a}/and/nope"),
            format!("/two/nope/and/{b}"),
        ] {
            let (status, kind, body) = answer(&uri).await;
            assert_eq!(
                (status, kind.as_deref()),
                (StatusCode::NOT_FOUND, Some("application/problem+json")),
                "{uri}"
            );
            assert!(body.contains("\"title\":\"Not found\""), "{uri}: {body}");
        }
    }
}
