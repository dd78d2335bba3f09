//! Links to stored objects for browsers. A browser's `<video src>` and download links cannot send
//! an Authorization header, so the API hands out short-lived URLs signed with HMAC-SHA256 (the
//! same idea as an S3 presigned GET): `/files/{key}?exp=<unix seconds>&sig=<hex>`. The key comes
//! from the server, never from the user, and the signature covers key and expiry. Where the
//! object storage is S3, its own presigned URLs are handed out instead.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::problem::ApiError;
use crate::state::AppState;

pub const TTL_SECS: i64 = 3600;
pub const TTL: std::time::Duration = std::time::Duration::from_secs(TTL_SECS as u64);

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The MAC over what a link grants: this key until this time.
fn mac(secret: &[u8], key: &str, exp: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(format!("{key}\n{exp}").as_bytes());
    mac
}

fn signature(secret: &[u8], key: &str, exp: i64) -> String {
    hex::encode(mac(secret, key, exp).finalize().into_bytes())
}

pub fn signed_url(s: &AppState, key: &str) -> String {
    let exp = now() + TTL_SECS;
    format!("/files/{key}?exp={exp}&sig={}", signature(&s.file_secret, key, exp))
}

/// Whether `sig` signs `key` until `exp` under `secret`, and `exp` has not passed.
pub fn is_valid(secret: &[u8], key: &str, exp: i64, sig: &str) -> bool {
    let fresh = exp >= now();
    let valid = hex::decode(sig).is_ok_and(|sig| mac(secret, key, exp).verify_slice(&sig).is_ok()); // constant time
    valid && fresh
}

/// A link for the browser: presigned by S3 for its public endpoint (naming the file when
/// `download_as` is given: browsers ignore `download` on cross-origin links), else signed by us.
pub async fn browser_url(
    s: &AppState,
    key: &str,
    download_as: Option<&str>,
) -> Result<String, ApiError> {
    match s.objects.presigned_get(key, TTL, download_as).await? {
        Some(url) => Ok(url),
        None => Ok(signed_url(s, key)),
    }
}

/// `name.mp4` with only characters safe in a header and any file system.
pub fn download_name(project: &str) -> String {
    let name: String = project
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    format!("{}.mp4", if name.is_empty() { "cofee" } else { &name })
}
