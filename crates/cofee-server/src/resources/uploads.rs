//! Resumable uploads with the tus 1.0 protocol (core, creation, termination) at `/api/uploads`,
//! so tus-js-client and Uppy work. `Upload-Metadata` must carry `project_id`; when the last byte
//! arrives the file is checked and attached to that project exactly like a raw `PUT`.
//!
//! Any API replica takes any request of an upload: the bytes of each `PATCH` are kept in object
//! storage as one piece (`uploads/ID/FROM-TO`), and the upload's offset lives in its database row,
//! moved from `FROM` to `TO` only once the piece is stored (compare-and-set: of two `PATCH`es
//! racing from one offset, one wins and the other gets `409`). If the connection drops mid-`PATCH`,
//! what arrived is stored as a shorter piece and `HEAD` reports it, so the client resumes from
//! there. When the last part arrives, the pieces are joined in order into a local file for the
//! checks; the offset never reads "complete" before the file is attached, so after a failure
//! there the client sends the last part again. A `PATCH` carrying the whole file at once never
//! touches the piece store.
use std::path::PathBuf;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use cofee_store::StoreError;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tracing::Instrument;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::problem::{ApiError, Problem, ProblemType};
use crate::quotas::Adding;
use crate::state::AppState;

pub(crate) const VERSION: &str = "1.0.0";

fn tus_headers(mut r: Response) -> Response {
    r.headers_mut().insert("tus-resumable", HeaderValue::from_static(VERSION));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn require_tus(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some(VERSION) => Ok(()),
        _ => Err(ApiError::new(ProblemType::UnsupportedTusVersion, "send `Tus-Resumable: 1.0.0`")),
    }
}

fn number(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    headers.get(name).and_then(|v| v.to_str().ok()?.trim().parse().ok()).ok_or_else(|| {
        ApiError::new(
            ProblemType::BadTusRequest,
            format!("the {name} header must be a non-negative integer"),
        )
    })
}

/// `Upload-Metadata: key base64,key base64`.
fn metadata(headers: &HeaderMap) -> Vec<(String, String)> {
    let Some(raw) = headers.get("upload-metadata").and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    raw.split(',')
        .filter_map(|pair| {
            let mut it = pair.trim().splitn(2, ' ');
            let key = it.next()?.to_string();
            let value = it.next().map_or(Some(Vec::new()), |v| {
                base64::engine::general_purpose::STANDARD.decode(v.trim()).ok()
            })?;
            Some((key, String::from_utf8(value).ok()?))
        })
        .collect()
}

/// Whether `Upload-Metadata` has a `project_id` pair, whatever its value.
fn names_project(headers: &HeaderMap) -> bool {
    let raw = headers.get("upload-metadata").and_then(|v| v.to_str().ok()).unwrap_or_default();
    raw.split(',').any(|pair| pair.trim().split(' ').next() == Some("project_id"))
}

/// What `Upload-Metadata` must be (for the OpenAPI document): visible ASCII, with a
/// `project_id` pair (see [`names_project`]).
pub(crate) const METADATA_PATTERN: &str = r"^([\t -~]*,)?[ \t]*project_id([ ,][\t -~]*)?$";

/// Where the pieces of upload `id` are kept.
fn pieces_prefix(id: Uuid) -> String {
    format!("uploads/{id}")
}

fn piece_key(id: Uuid, from: u64, to: u64) -> String {
    format!("uploads/{id}/{from:020}-{to:020}")
}

/// A local file of this replica's scratch space, removed when dropped.
struct ScratchFile(PathBuf);

impl ScratchFile {
    fn new(s: &AppState, id: Uuid, what: &str) -> Self {
        Self(s.scratch.join("uploads").join(format!("{id}.{what}.{}", Uuid::now_v7())))
    }

    async fn create(&self) -> Result<tokio::fs::File, ApiError> {
        tokio::fs::create_dir_all(self.0.parent().expect("has a parent"))
            .await
            .map_err(|_| ApiError::internal())?;
        tokio::fs::File::create(&self.0).await.map_err(|_| ApiError::internal())
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The most pieces an upload may have: each `PATCH` (or each broken-off one) makes one, and
/// joining lists and fetches them all.
const MAX_PIECES: usize = 10_000;

/// The stored pieces that make bytes `0..length`, in order. Pieces another `PATCH` left behind
/// (it lost the race, or its replica died before recording it) may overlap the chain; the
/// chain is a path through them from 0 to `length`, found breadth-first (each offset visited
/// once, no recursion: the pieces are the client's to multiply).
fn chain(keys: &[String], length: u64) -> Option<Vec<String>> {
    let mut from_offset: std::collections::HashMap<u64, Vec<(u64, &String)>> =
        std::collections::HashMap::new();
    for k in keys {
        let Some((from, to)) = k.rsplit('/').next().and_then(|name| name.split_once('-')) else {
            continue;
        };
        if let (Ok(from), Ok(to)) = (from.parse::<u64>(), to.parse::<u64>())
            && from < to
            && to <= length
        {
            from_offset.entry(from).or_default().push((to, k));
        }
    }
    // How each offset was first reached: (previous offset, piece).
    let mut reached: std::collections::HashMap<u64, (u64, &String)> =
        std::collections::HashMap::new();
    let mut next = std::collections::VecDeque::from([0u64]);
    while let Some(at) = next.pop_front() {
        if at == length {
            break;
        }
        for &(to, key) in from_offset.get(&at).into_iter().flatten() {
            if to != 0 && !reached.contains_key(&to) {
                reached.insert(to, (at, key));
                next.push_back(to);
            }
        }
    }
    let mut path = Vec::new();
    let mut at = length;
    while at != 0 {
        let (previous, key) = reached.get(&at)?;
        path.push((*key).clone());
        at = *previous;
    }
    path.reverse();
    Some(path)
}

/// Marks an upload as being written; released when dropped (also when the request is cancelled).
struct Writing {
    set: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<Uuid>>>,
    id: Uuid,
}

impl Writing {
    fn take(s: &AppState, id: Uuid) -> Result<Self, ApiError> {
        let mut set = s.uploads_in_progress.lock().expect("not poisoned");
        if !set.insert(id) {
            // 423 as tusd answers: clients (tus-js-client too) retry it after a delay, which is
            // what a resume right after a dropped connection needs while the server notices.
            return Err(ApiError::new(
                ProblemType::UploadBusy,
                "another PATCH to this upload is still running; retry shortly",
            ));
        }
        Ok(Self { set: s.uploads_in_progress.clone(), id })
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        self.set.lock().expect("not poisoned").remove(&self.id);
    }
}

#[utoipa::path(options, path = "/api/uploads", tag = "uploads", responses((status = 204, description = "tus capabilities")))]
pub async fn options(State(s): State<AppState>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(VERSION));
    h.insert("tus-extension", HeaderValue::from_static("creation,termination"));
    h.insert("tus-max-size", HeaderValue::from(s.limits.max_bytes));
    tus_headers(r)
}

#[utoipa::path(post, path = "/api/uploads", tag = "uploads", security(("bearer" = [])), params(("Upload-Length" = u64, Header), ("Upload-Metadata" = String, Header, description = "project_id <base64>, filename <base64>"), ("Tus-Resumable" = String, Header)), responses((status = 201, description = "Location names the upload"), (status = 400, description = "a tus header is missing or malformed", body = Problem), (status = 404, description = "no such project", body = Problem), (status = 412, body = Problem), (status = 413, description = "Upload-Length is over the limit", body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    let length = number(&headers, "upload-length")?;
    if length > s.limits.max_bytes {
        return Err(ApiError::new(
            ProblemType::TooLarge,
            format!("uploads are limited to {} bytes", s.limits.max_bytes),
        ));
    }
    let meta = metadata(&headers);
    let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let project: Uuid = match get("project_id").and_then(|p| p.parse().ok()) {
        Some(project) => project,
        // A value that is no project's id names no project, like a malformed id in a path.
        None if names_project(&headers) => return Err(ApiError::not_found()),
        None => {
            return Err(ApiError::new(
                ProblemType::BadTusRequest,
                "Upload-Metadata must name the project: `project_id <base64 id>`",
            ));
        }
    };
    let name = get("filename").or_else(|| get("name"));
    crate::quotas::check(&s, user, Adding { uploads: 1, bytes: length, ..Adding::default() })
        .await?;
    let upload = s.media.create_upload(user, project, length, name.as_deref()).await?;
    let mut r = StatusCode::CREATED.into_response();
    r.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&format!("/api/uploads/{}", upload.id)).expect("ascii"),
    );
    Ok(tus_headers(r))
}

#[utoipa::path(head, path = "/api/uploads/{id}", tag = "uploads", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, description = "Upload-Offset and Upload-Length")))]
pub async fn head(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let u = s.media.upload(user, id).await?;
    let mut r = StatusCode::OK.into_response();
    r.headers_mut().insert("upload-offset", HeaderValue::from(u.offset));
    r.headers_mut().insert("upload-length", HeaderValue::from(u.length));
    Ok(tus_headers(r))
}

#[utoipa::path(patch, path = "/api/uploads/{id}", tag = "uploads", security(("bearer" = [])), params(("id" = Uuid, Path), ("Upload-Offset" = u64, Header), ("Tus-Resumable" = String, Header)), request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"), responses((status = 204, description = "Upload-Offset after the write"), (status = 400, description = "Upload-Offset is malformed, or the body broke off", body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 413, description = "more bytes than Upload-Length", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem), (status = 423, body = Problem)))]
pub async fn patch(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    let u = s.media.upload(user, id).await?;
    if headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        != Some("application/offset+octet-stream")
    {
        return Err(ApiError::new(
            ProblemType::WrongContentType,
            "PATCH bodies must be `application/offset+octet-stream`",
        ));
    }
    let offset = number(&headers, "upload-offset")?;
    let writing = Writing::take(&s, id)?;
    if offset != u.offset {
        return Err(ApiError::new(
            ProblemType::OffsetMismatch,
            format!("the upload is at byte {}; HEAD it and send from there", u.offset),
        ));
    }
    // On a task of its own: when the client's connection drops, axum drops this handler, but
    // what arrived must still be stored and recorded for the client to resume from. The upload
    // stays busy (423) until then.
    let request_id = crate::request_id(&headers);
    let task = tokio::spawn(
        async move {
            let _writing = writing;
            store_patch(&s, user, &u, offset, body, request_id).await
        }
        .in_current_span(),
    );
    task.await.map_err(|_| ApiError::internal())?
}

/// Receives a `PATCH` body from `offset` and makes it part of the upload.
async fn store_patch(
    s: &AppState,
    user: Uuid,
    u: &cofee_store::media::Upload,
    offset: u64,
    body: Body,
    request_id: Option<String>,
) -> Result<Response, ApiError> {
    let (s, id) = (s, u.id);
    let piece = ScratchFile::new(s, id, "piece");
    let (written, failure) = receive(body, piece.create().await?, offset, u.length).await?;
    if written == u.length {
        // The last byte is in. The row's offset never says "complete" before the file is
        // attached: if this fails or this replica dies, the client (HEAD: not complete) sends
        // the last part again.
        if offset == 0 {
            // The whole file in one request: nothing to keep for later requests.
            return finish(s, user, u, &piece.0, request_id).await;
        }
        s.objects.put_file(&piece_key(id, offset, written), &piece.0).await?;
        drop(piece);
        let whole = ScratchFile::new(s, id, "whole");
        join_pieces(s, id, u.length, whole.create().await?).await?;
        return finish(s, user, u, &whole.0, request_id).await;
    }
    if written > offset {
        s.objects.put_file(&piece_key(id, offset, written), &piece.0).await?;
        // Only now is the piece part of the upload; a PATCH that raced this one from the same
        // offset and got here first wins, and this one's piece is left over.
        s.media.advance_upload(id, offset, written).await.map_err(lost_race)?;
    }
    if let Some(f) = failure {
        return Err(f);
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert("upload-offset", HeaderValue::from(written));
    Ok(tus_headers(r))
}

fn lost_race(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::new(
            ProblemType::OffsetMismatch,
            "another PATCH moved this upload on meanwhile; HEAD it and send from there",
        ),
        other => other.into(),
    }
}

/// Streams a `PATCH` body from byte `offset` into `file`, never past `length`. Returns the
/// offset reached and, when the body broke off or ran long, the error to answer with (what
/// arrived before that is kept).
async fn receive(
    body: Body,
    mut file: tokio::fs::File,
    offset: u64,
    length: u64,
) -> Result<(u64, Option<ApiError>), ApiError> {
    let mut written = offset;
    let mut stream = body.into_data_stream();
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) if written + bytes.len() as u64 <= length => {
                file.write_all(&bytes).await.map_err(|_| ApiError::internal())?;
                written += bytes.len() as u64;
            }
            Ok(_) => {
                failure = Some(ApiError::new(
                    ProblemType::TooMuchData,
                    "the body goes past Upload-Length",
                ));
                break;
            }
            Err(e) => {
                failure = Some(ApiError::new(
                    ProblemType::UploadInterrupted,
                    format!("kept {written} bytes; resume from there ({e})"),
                ));
                break;
            }
        }
    }
    file.sync_all().await.map_err(|_| ApiError::internal())?;
    Ok((written, failure))
}

/// Joins the stored pieces of upload `id` into `out`, in order.
async fn join_pieces(
    s: &AppState,
    id: Uuid,
    length: u64,
    mut out: tokio::fs::File,
) -> Result<(), ApiError> {
    let keys = s.objects.list(&pieces_prefix(id)).await?;
    if keys.len() > MAX_PIECES {
        return Err(ApiError::new(
            ProblemType::TooManyPieces,
            format!(
                "this upload came in over {MAX_PIECES} requests; upload the file again in larger parts"
            ),
        ));
    }
    let Some(pieces) = chain(&keys, length) else {
        tracing::error!(upload = %id, pieces = keys.len(), "the stored pieces of an upload do not add up to its length");
        return Err(ApiError::internal());
    };
    for key in pieces {
        s.objects.append_to(&key, &mut out).await?;
    }
    out.sync_all().await.map_err(|_| ApiError::internal())
}

/// The last byte is in: check and attach the file, then forget the upload and its pieces —
/// also when the file was refused (a bad file will not get better), but not after a failure of
/// ours, so that the client can send the last part again.
async fn finish(
    s: &AppState,
    user: Uuid,
    u: &cofee_store::media::Upload,
    file: &std::path::Path,
    request_id: Option<String>,
) -> Result<Response, ApiError> {
    let name = u.file_name.clone();
    let result =
        crate::ingest::attach(s, user, u.project_id, file, u.length, name, request_id).await;
    if result.as_ref().is_ok() || result.as_ref().is_err_and(|e| e.status().is_client_error()) {
        forget(s, user, u.id).await;
    }
    result?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert("upload-offset", HeaderValue::from(u.length));
    Ok(tus_headers(r))
}

/// Deletes the upload's row and stored pieces (best effort: storage lifecycle rules catch what
/// a failure here leaves).
async fn forget(s: &AppState, user: Uuid, id: Uuid) {
    let _ = s.media.delete_upload(user, id).await;
    if let Ok(keys) = s.objects.list(&pieces_prefix(id)).await {
        for key in keys {
            if let Err(e) = s.objects.delete(&key).await {
                tracing::warn!(upload = %id, error = %e, "a stored upload piece was not deleted");
            }
        }
    }
}

#[utoipa::path(delete, path = "/api/uploads/{id}", tag = "uploads", security(("bearer" = [])), params(("id" = Uuid, Path), ("Tus-Resumable" = String, Header)), responses((status = 204), (status = 412, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_tus(&headers)?;
    s.media.upload(user, id).await?;
    forget(&s, user, id).await;
    Ok(tus_headers(StatusCode::NO_CONTENT.into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ranges: &[(u64, u64)]) -> Vec<String> {
        let id = Uuid::nil();
        ranges.iter().map(|&(f, t)| piece_key(id, f, t)).collect()
    }

    #[test]
    fn pieces_join_in_order_past_leftovers_of_lost_races() {
        // (0,40) lost a race to (0,50); (50,70) is a piece whose PATCH died before recording it.
        let stored = keys(&[(50, 100), (0, 40), (0, 50), (50, 70), (40, 90)]);
        let joined = chain(&stored, 100).unwrap();
        let ranges: Vec<&str> = joined.iter().map(|k| k.rsplit('/').next().unwrap()).collect();
        assert_eq!(ranges.len(), 2, "{ranges:?}");
        assert!(
            ranges[0].starts_with("00000000000000000000-")
                && ranges[1].ends_with("-00000000000000000100"),
            "{ranges:?}"
        );
    }

    #[test]
    fn a_chain_of_many_tiny_pieces_is_joined_without_recursion() {
        let n = 50_000u64;
        let mut ranges: Vec<(u64, u64)> = (0..n).map(|i| (i, i + 1)).collect();
        ranges.extend((0..n - 1).map(|i| (i, i + 2))); // leftovers everywhere
        let joined = chain(&keys(&ranges), n).unwrap();
        assert!(
            joined.len() <= n as usize && joined.last().unwrap().ends_with(&format!("-{n:020}"))
        );
    }

    #[test]
    fn a_gap_or_a_piece_past_the_end_is_no_chain() {
        assert_eq!(chain(&keys(&[(0, 40), (50, 100)]), 100), None);
        assert_eq!(chain(&keys(&[(0, 60), (60, 120)]), 100), None);
        assert_eq!(chain(&[], 0), Some(vec![]));
        assert_eq!(chain(&["uploads/x/junk".to_string()], 10), None);
    }
}
