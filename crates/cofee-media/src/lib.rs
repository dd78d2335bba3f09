//! Media adapter: every byte of user media is touched only by child processes (FFmpeg, ffprobe
//! and Cofee's compositor, `cofee burn-frames`), never parsed in-process, so a decoder crash or
//! hang cannot take Cofee down.
//!
//! Hardening applied to every invocation (see [`process`]): `file:` inputs with
//! `-protocol_whitelist file,pipe` (no network, no `concat:`/`subfile:` tricks), a demuxer
//! allow-list (`-format_whitelist`: no HLS/DASH playlists, no concat lists, no image sequences;
//! the compositor opens with the same lists) and an explicit `-f` once probed, limits checked
//! from the probe before anything is decoded
//! ([`MediaLimits`]), a clean environment, a wall-clock timeout, and kill on cancel or drop.

pub mod audio;
pub mod burn;
pub mod chunks;
mod error;
pub mod fonts;
pub mod limits;
pub mod probe;
pub mod process;
pub mod still;
pub mod thumbnail;

pub use audio::{PcmExit, PcmStream};

/// The mode a file written for the user (a captioned video, a captions file) is created with:
/// read-write for all, less what the user's umask takes away (0644 under the usual 022), as any
/// program's output. A temporary file's own mode (0600) would survive the rename that puts it in
/// place, and a web server or a colleague could not read the result.
pub fn output_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::Permissions::from_mode(0o666)
}
pub use burn::{
    BurnIn, BurnProgress, Compositor, CompositorStandby, DESCRIBE_INPUT, JOB_ON_STDIN, X264Preset,
};
pub use chunks::{Chunk, JoinChunks, Keyframe, can_split, keyframes, plan_chunks};
pub use error::{MediaError, Rejection};
pub use fonts::FontDir;
pub use limits::MediaLimits;
pub use probe::{AudioInfo, MediaInfo, VideoInfo, probe, probe_with};
