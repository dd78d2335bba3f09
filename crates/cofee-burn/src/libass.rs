//! libass, the renderer FFmpeg's `ass` filter and the browser preview (jassub) use, through its C
//! API. Written by hand rather than with a `-sys` crate: the dozen calls below are all we need,
//! and libass keeps this ABI stable across releases.
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int, c_longlong, c_void};
use std::path::Path;
use std::ptr::NonNull;

use crate::BurnError;

#[repr(C)]
struct AssLibrary {
    _private: [u8; 0],
}
#[repr(C)]
struct AssRendererRaw {
    _private: [u8; 0],
}
#[repr(C)]
struct AssTrack {
    _private: [u8; 0],
}

#[repr(C)]
struct AssImageRaw {
    w: c_int,
    h: c_int,
    stride: c_int,
    bitmap: *const u8,
    color: u32,
    dst_x: c_int,
    dst_y: c_int,
    next: *const AssImageRaw,
    kind: c_int,
}

/// See `AssRenderer::new`.
const BITMAP_CACHE_MB: c_int = 16;

/// `ASS_FONTPROVIDER_AUTODETECT`: fontconfig on Linux, as FFmpeg's filter uses.
const FONTPROVIDER_AUTODETECT: c_int = 1;

/// The `va_list` argument is opaque here: x86-64 and aarch64 both pass it as a pointer, which
/// goes on to `vsnprintf` as it came.
type MessageCallback =
    extern "C" fn(level: c_int, fmt: *const c_char, args: *mut c_void, data: *mut c_void);

#[link(name = "ass")]
unsafe extern "C" {
    fn ass_library_init() -> *mut AssLibrary;
    fn ass_library_done(lib: *mut AssLibrary);
    fn ass_set_fonts_dir(lib: *mut AssLibrary, dir: *const c_char);
    fn ass_set_message_cb(lib: *mut AssLibrary, cb: MessageCallback, data: *mut c_void);
    fn ass_renderer_init(lib: *mut AssLibrary) -> *mut AssRendererRaw;
    fn ass_renderer_done(r: *mut AssRendererRaw);
    fn ass_set_frame_size(r: *mut AssRendererRaw, w: c_int, h: c_int);
    fn ass_set_storage_size(r: *mut AssRendererRaw, w: c_int, h: c_int);
    fn ass_set_cache_limits(r: *mut AssRendererRaw, glyph_max: c_int, bitmap_max_mb: c_int);
    fn ass_set_fonts(
        r: *mut AssRendererRaw,
        default_font: *const c_char,
        default_family: *const c_char,
        provider: c_int,
        config: *const c_char,
        update: c_int,
    );
    fn ass_read_memory(
        lib: *mut AssLibrary,
        buf: *mut c_char,
        size: usize,
        codepage: *const c_char,
    ) -> *mut AssTrack;
    fn ass_free_track(t: *mut AssTrack);
    fn ass_render_frame(
        r: *mut AssRendererRaw,
        t: *mut AssTrack,
        now_ms: c_longlong,
        detect_change: *mut c_int,
    ) -> *const AssImageRaw;
}

unsafe extern "C" {
    fn vsnprintf(buf: *mut c_char, size: usize, fmt: *const c_char, args: *mut c_void) -> c_int;
}

extern "C" fn on_message(level: c_int, fmt: *const c_char, args: *mut c_void, _data: *mut c_void) {
    // Levels 0–2 are errors and warnings worth keeping in the helper's stderr tail.
    if level <= 2 && !fmt.is_null() {
        let mut buf = [0 as c_char; 512];
        // SAFETY: libass passes a printf format string with the arguments it names; vsnprintf
        // writes at most `buf.len()` bytes, NUL included, and the va_list is used only once.
        let text = unsafe {
            vsnprintf(buf.as_mut_ptr(), buf.len(), fmt, args);
            std::ffi::CStr::from_ptr(buf.as_ptr())
        };
        eprintln!("libass: {}", text.to_string_lossy().trim_end());
    }
}

/// One libass bitmap: a coverage mask drawn in one colour.
#[derive(Debug, Clone, Copy)]
pub struct AssImage<'a> {
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    /// Coverage, `stride × (height − 1) + width` bytes (the last row may be unpadded).
    pub bitmap: &'a [u8],
    /// `0xRRGGBBAA` where AA is transparency (0 = opaque), as libass gives it.
    pub rgba: u32,
    pub x: i32,
    pub y: i32,
}

/// What changed since the previous `render` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    None,
    /// Same bitmaps, moved.
    Position,
    Content,
}

/// A parsed ASS document bound to a renderer for one frame size.
pub struct AssRenderer {
    library: NonNull<AssLibrary>,
    renderer: NonNull<AssRendererRaw>,
    track: NonNull<AssTrack>,
}

// SAFETY: the libass objects are owned exclusively by this value and never shared; libass has no
// thread-affine state, so moving the owner to another thread is sound.
unsafe impl Send for AssRenderer {}

impl AssRenderer {
    /// Parses `document` and prepares to draw it on `width × height` frames with the fonts in
    /// `fonts_dir` (plus the system's, through fontconfig — as FFmpeg's `ass` filter does).
    pub fn new(
        document: &str,
        fonts_dir: &Path,
        width: u32,
        height: u32,
    ) -> Result<Self, BurnError> {
        let dir = CString::new(fonts_dir.as_os_str().as_encoded_bytes())
            .map_err(|_| BurnError::Captions("the fonts directory contains a NUL byte".into()))?;
        let (w, h) = (
            c_int::try_from(width).map_err(|_| BurnError::Unsupported("frame too wide".into()))?,
            c_int::try_from(height).map_err(|_| BurnError::Unsupported("frame too tall".into()))?,
        );
        // SAFETY: plain constructor calls; every pointer is checked before use and released in
        // `Drop` (or here on failure).
        unsafe {
            let library = NonNull::new(ass_library_init())
                .ok_or_else(|| BurnError::Captions("libass failed to initialise".into()))?;
            ass_set_message_cb(library.as_ptr(), on_message, std::ptr::null_mut());
            ass_set_fonts_dir(library.as_ptr(), dir.as_ptr());
            let Some(renderer) = NonNull::new(ass_renderer_init(library.as_ptr())) else {
                ass_library_done(library.as_ptr());
                return Err(BurnError::Captions("libass renderer failed to initialise".into()));
            };
            ass_set_frame_size(renderer.as_ptr(), w, h);
            ass_set_storage_size(renderer.as_ptr(), w, h);
            ass_set_fonts(
                renderer.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                FONTPROVIDER_AUTODETECT,
                std::ptr::null(),
                1,
            );
            // Animated captions (a scale pop) make new bitmaps on nearly every frame, which are
            // never reused; libass's default caches (hundreds of MB) would only fill up with
            // them, and every new page costs a fault. A small cache keeps the static parts.
            ass_set_cache_limits(renderer.as_ptr(), 0, BITMAP_CACHE_MB);
            // libass may modify the buffer while parsing, so it gets its own copy.
            let mut bytes = document.as_bytes().to_vec();
            let track = ass_read_memory(
                library.as_ptr(),
                bytes.as_mut_ptr().cast(),
                bytes.len(),
                std::ptr::null(),
            );
            let Some(track) = NonNull::new(track) else {
                ass_renderer_done(renderer.as_ptr());
                ass_library_done(library.as_ptr());
                return Err(BurnError::Captions("libass could not parse the captions".into()));
            };
            Ok(Self { library, renderer, track })
        }
    }

    /// The bitmaps to draw at `time_ms`, back to front, and whether they differ from the
    /// previous call's.
    pub fn render(&mut self, time_ms: i64) -> (Change, Vec<AssImage<'_>>) {
        let mut change: c_int = 0;
        // SAFETY: renderer and track are live; the returned list stays valid until the next
        // `ass_render_frame`, which needs `&mut self`, so the borrow below cannot outlive it.
        let mut images = Vec::new();
        unsafe {
            let mut img =
                ass_render_frame(self.renderer.as_ptr(), self.track.as_ptr(), time_ms, &mut change);
            while let Some(i) = img.as_ref() {
                if i.w > 0 && i.h > 0 && !i.bitmap.is_null() {
                    let (w, h, stride) = (i.w as usize, i.h as usize, i.stride as usize);
                    let len = stride * (h - 1) + w;
                    images.push(AssImage {
                        width: w,
                        height: h,
                        stride,
                        bitmap: std::slice::from_raw_parts(i.bitmap, len),
                        rgba: i.color,
                        x: i.dst_x,
                        y: i.dst_y,
                    });
                }
                img = i.next;
            }
        }
        let change = match change {
            0 => Change::None,
            1 => Change::Position,
            _ => Change::Content,
        };
        (change, images)
    }
}

impl Drop for AssRenderer {
    fn drop(&mut self) {
        // SAFETY: each object was created in `new` and is released once, children first.
        unsafe {
            ass_free_track(self.track.as_ptr());
            ass_renderer_done(self.renderer.as_ptr());
            ass_library_done(self.library.as_ptr());
        }
    }
}
