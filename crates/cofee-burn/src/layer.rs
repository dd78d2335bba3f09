//! The captions of one moment as a single premultiplied Y'CbCr layer, and drawing it onto
//! 4:2:0 frames.
//!
//! libass hands over several coverage masks per line (shadow, outline, fill, per glyph run);
//! FFmpeg's `ass` filter blends each of them over its whole bounding box on every frame. Here
//! they are composited once, when libass reports a change, into one layer that keeps only what a
//! frame needs: premultiplied colour and "how much of the video stays" per pixel, plus the span
//! of each row that is covered at all. Drawing a frame is then one multiply-add per covered
//! byte, written so the compiler turns it into SIMD.

use crate::kernels::{blend_row, halve, over_row};
use crate::libass::AssImage;

/// How RGB caption colours map to the video's Y'CbCr.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColorMatrix {
    kr: f32,
    kb: f32,
    full_range: bool,
}

impl ColorMatrix {
    pub const BT601: Self = Self { kr: 0.299, kb: 0.114, full_range: false };
    pub const BT709: Self = Self { kr: 0.2126, kb: 0.0722, full_range: false };

    pub fn full_range(self) -> Self {
        Self { full_range: true, ..self }
    }

    /// `[Y', Cb, Cr]` for an 8-bit RGB colour, on the 0–255 scale of the frame.
    pub fn ycbcr(&self, r: u8, g: u8, b: u8) -> [f32; 3] {
        let (r, g, b) = (f32::from(r) / 255.0, f32::from(g) / 255.0, f32::from(b) / 255.0);
        let y = self.kr * r + (1.0 - self.kr - self.kb) * g + self.kb * b;
        let cb = (b - y) / (2.0 * (1.0 - self.kb));
        let cr = (r - y) / (2.0 * (1.0 - self.kr));
        if self.full_range {
            [255.0 * y, 128.0 + 255.0 * cb, 128.0 + 255.0 * cr]
        } else {
            [16.0 + 219.0 * y, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr]
        }
    }
}

/// The three planes of one 4:2:0 frame with 8-bit samples.
pub struct Planes<'a> {
    pub y: &'a mut [u8],
    pub y_stride: usize,
    pub cb: &'a mut [u8],
    pub cb_stride: usize,
    pub cr: &'a mut [u8],
    pub cr_stride: usize,
}

/// One plane of the layer: premultiplied value and the video's remaining share (255 − alpha),
/// with the column span of each row that any image touches. Nothing outside the spans is ever
/// read, so it need not be kept clean.
#[derive(Debug, Clone, Default)]
struct LayerPlane {
    width: usize,
    premultiplied: Vec<u8>,
    keep: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl LayerPlane {
    /// Makes room for `width × height` with no spans, keeping the allocations (contents stale).
    fn prepare(&mut self, width: usize, height: usize) {
        self.width = width;
        self.premultiplied.resize(width * height, 0);
        self.keep.resize(width * height, 255);
        self.spans.clear();
        self.spans.resize(height, (0, 0));
    }

    /// As `prepare`, and cleared to "nothing drawn" for compositing into.
    fn clear(&mut self, width: usize, height: usize) {
        self.prepare(width, height);
        self.premultiplied.fill(0);
        self.keep.fill(255);
    }

    fn widen_span(&mut self, row: usize, start: usize, end: usize) {
        let span = &mut self.spans[row];
        *span = if span.0 == span.1 { (start, end) } else { (span.0.min(start), span.1.max(end)) };
    }

    fn rows(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.spans.iter().enumerate().filter(|(_, (s, e))| s != e).map(|(r, &(s, e))| (r, s, e))
    }

    /// Draws this plane with its top-left corner at (`x`, `y`) of `dst`.
    fn draw(&self, dst: &mut [u8], stride: usize, x: usize, y: usize) {
        draw_rows(self.rows(), self.width, &self.premultiplied, &self.keep, dst, stride, x, y);
    }
}

/// Equal when they draw the same: same spans, same values inside them.
impl PartialEq for LayerPlane {
    fn eq(&self, other: &Self) -> bool {
        self.same_spans(other)
            && self.rows().all(|(r, s, e)| {
                let (a, b) = (r * self.width, r * other.width);
                self.premultiplied[a + s..a + e] == other.premultiplied[b + s..b + e]
                    && self.keep[a + s..a + e] == other.keep[b + s..b + e]
            })
    }
}

impl LayerPlane {
    fn same_spans(&self, other: &Self) -> bool {
        self.rows().eq(other.rows())
    }
}

/// Both chroma planes of the layer; at half resolution they share one `keep`.
#[derive(Debug, Clone, Default)]
struct ChromaPlanes {
    cb: LayerPlane,
    cr: Vec<u8>,
}

impl PartialEq for ChromaPlanes {
    fn eq(&self, other: &Self) -> bool {
        self.cb == other.cb
            && self.cb.rows().all(|(r, s, e)| {
                self.cr[r * self.cb.width + s..r * self.cb.width + e]
                    == other.cr[r * other.cb.width + s..r * other.cb.width + e]
            })
    }
}

impl ChromaPlanes {
    fn draw(
        &self,
        cb: &mut [u8],
        cb_stride: usize,
        cr: &mut [u8],
        cr_stride: usize,
        x: usize,
        y: usize,
    ) {
        self.cb.draw(cb, cb_stride, x, y);
        draw_rows(self.cb.rows(), self.cb.width, &self.cr, &self.cb.keep, cr, cr_stride, x, y);
    }
}

#[allow(clippy::too_many_arguments)] // one plane's geometry, spelled out
fn draw_rows(
    rows: impl Iterator<Item = (usize, usize, usize)>,
    width: usize,
    premultiplied: &[u8],
    keep: &[u8],
    dst: &mut [u8],
    stride: usize,
    x: usize,
    y: usize,
) {
    for (r, start, end) in rows {
        let src = r * width;
        let row = (y + r) * stride + x;
        blend_row(
            &mut dst[row + start..row + end],
            &premultiplied[src + start..src + end],
            &keep[src + start..src + end],
        );
    }
}

/// The captions at one moment, ready to draw on any number of frames.
#[derive(Debug, Clone, Default)]
pub struct CaptionLayer {
    /// Top-left corner in the frame, both even so chroma lines up.
    x: usize,
    y: usize,
    luma: LayerPlane,
    chroma: ChromaPlanes,
    /// Premultiplied Cb and Cr at luma resolution while compositing (kept for reuse).
    full_cb: Vec<u8>,
    full_cr: Vec<u8>,
}

impl CaptionLayer {
    /// Composites libass's images (back to front) for a `frame_width × frame_height` 4:2:0 frame
    /// (both even).
    pub fn compose(
        images: &[AssImage<'_>],
        frame_width: usize,
        frame_height: usize,
        matrix: ColorMatrix,
    ) -> Self {
        let mut layer = Self::default();
        layer.recompose(images, frame_width, frame_height, matrix);
        layer
    }

    /// As `compose`, reusing this layer's buffers (a pop animation changes the picture on
    /// nearly every frame, and fresh allocations of this size cost page faults each time).
    ///
    /// Everything is composited at luma resolution; chroma is then the mean of each 2×2 block
    /// of premultiplied colour and coverage, which is exactly what the block shows.
    pub fn recompose(
        &mut self,
        images: &[AssImage<'_>],
        frame_width: usize,
        frame_height: usize,
        matrix: ColorMatrix,
    ) {
        let Some((x0, y0, x1, y1)) = covered_box(images, frame_width, frame_height) else {
            self.luma.prepare(0, 0);
            return;
        };
        let (w, h) = (x1 - x0, y1 - y0);
        (self.x, self.y) = (x0, y0);
        self.luma.clear(w, h);
        for full in [&mut self.full_cb, &mut self.full_cr] {
            full.clear();
            full.resize(w * h, 0);
        }
        for img in images {
            let [r, g, b, t] = img.rgba.to_be_bytes();
            let colour = matrix.ycbcr(r, g, b).map(|v| (v + 0.5).clamp(0.0, 255.0) as u8);
            // The image's part inside the box, in image coordinates.
            let clip = |pos: i32, len: usize, lo: usize, hi: usize| {
                let start = (lo as i64 - i64::from(pos)).clamp(0, len as i64) as usize;
                let end = (hi as i64 - i64::from(pos)).clamp(0, len as i64) as usize;
                (start, end)
            };
            let (c0, c1) = clip(img.x, img.width, x0, x1);
            let (r0, r1) = clip(img.y, img.height, y0, y1);
            if c0 >= c1 || r0 >= r1 {
                continue;
            }
            let lx = (i64::from(img.x) + c0 as i64) as usize - x0;
            let n = c1 - c0;
            for row in r0..r1 {
                let ly = (i64::from(img.y) + row as i64) as usize - y0;
                let at = ly * w + lx;
                let coverage = &img.bitmap[row * img.stride + c0..row * img.stride + c1];
                let planes = [
                    &mut self.luma.premultiplied[at..at + n],
                    &mut self.full_cb[at..at + n],
                    &mut self.full_cr[at..at + n],
                ];
                over_row(planes, &mut self.luma.keep[at..at + n], coverage, 255 - t, colour);
                self.luma.widen_span(ly, lx, lx + n);
            }
        }
        // Chroma: 2×2 means of premultiplied colour and of keep, only where a luma row of the
        // pair is covered (nothing else is read).
        let (cw, ch) = (w / 2, h / 2);
        self.chroma.cb.prepare(cw, ch);
        self.chroma.cr.resize(cw * ch, 0);
        for r in 0..ch {
            let (top, bottom) = (self.luma.spans[2 * r], self.luma.spans[2 * r + 1]);
            let (s, e) = match (top.0 != top.1, bottom.0 != bottom.1) {
                (false, false) => continue,
                (true, false) => top,
                (false, true) => bottom,
                (true, true) => (top.0.min(bottom.0), top.1.max(bottom.1)),
            };
            let (cs, ce) = (s / 2, e.div_ceil(2));
            self.chroma.cb.widen_span(r, cs, ce);
            let (t, b, out) = (
                (2 * r) * w + 2 * cs..(2 * r) * w + 2 * ce,
                (2 * r + 1) * w + 2 * cs..(2 * r + 1) * w + 2 * ce,
                r * cw + cs..r * cw + ce,
            );
            halve(
                &self.full_cb[t.clone()],
                &self.full_cb[b.clone()],
                &mut self.chroma.cb.premultiplied[out.clone()],
            );
            halve(
                &self.full_cr[t.clone()],
                &self.full_cr[b.clone()],
                &mut self.chroma.cr[out.clone()],
            );
            halve(&self.luma.keep[t], &self.luma.keep[b], &mut self.chroma.cb.keep[out]);
        }
    }

    /// Whether the two draw the same on any frame.
    pub fn draws_like(&self, other: &Self) -> bool {
        (self.is_empty() && other.is_empty())
            || ((self.x, self.y) == (other.x, other.y)
                && self.luma == other.luma
                && self.chroma == other.chroma)
    }

    pub fn is_empty(&self) -> bool {
        self.luma.spans.iter().all(|&(s, e)| s == e)
    }

    /// Draws the captions onto a frame of the size given to `compose`.
    pub fn draw(&self, planes: Planes<'_>) {
        if self.is_empty() {
            return;
        }
        self.luma.draw(planes.y, planes.y_stride, self.x, self.y);
        self.chroma.draw(
            planes.cb,
            planes.cb_stride,
            planes.cr,
            planes.cr_stride,
            self.x / 2,
            self.y / 2,
        );
    }
}

/// The union of the images' boxes clipped to the frame, widened to even coordinates.
fn covered_box(
    images: &[AssImage<'_>],
    frame_width: usize,
    frame_height: usize,
) -> Option<(usize, usize, usize, usize)> {
    let (fw, fh) = (frame_width as i64, frame_height as i64);
    let mut bounds: Option<(i64, i64, i64, i64)> = None;
    for img in images {
        let (x0, y0) = (i64::from(img.x).max(0), i64::from(img.y).max(0));
        let (x1, y1) = (
            (i64::from(img.x) + img.width as i64).min(fw),
            (i64::from(img.y) + img.height as i64).min(fh),
        );
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        bounds = Some(match bounds {
            None => (x0, y0, x1, y1),
            Some((a, b, c, d)) => (a.min(x0), b.min(y0), c.max(x1), d.max(y1)),
        });
    }
    let (x0, y0, x1, y1) = bounds?;
    let even_up = |v: i64, limit: i64| ((v + 1) & !1).min(limit);
    Some((
        (x0 & !1) as usize,
        (y0 & !1) as usize,
        even_up(x1, fw) as usize,
        even_up(y1, fh) as usize,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn image(bitmap: &[u8], w: usize, h: usize, rgba: u32, x: i32, y: i32) -> AssImage<'_> {
        AssImage { width: w, height: h, stride: w, bitmap, rgba, x, y }
    }

    struct Frame {
        w: usize,
        h: usize,
        y: Vec<u8>,
        cb: Vec<u8>,
        cr: Vec<u8>,
    }

    impl Frame {
        fn grey(w: usize, h: usize, v: u8) -> Self {
            Self { w, h, y: vec![v; w * h], cb: vec![128; w * h / 4], cr: vec![128; w * h / 4] }
        }
        fn draw(&mut self, layer: &CaptionLayer) {
            let (w, cw) = (self.w, self.w / 2);
            layer.draw(Planes {
                y: &mut self.y,
                y_stride: w,
                cb: &mut self.cb,
                cb_stride: cw,
                cr: &mut self.cr,
                cr_stride: cw,
            });
        }
    }

    #[test]
    fn opaque_white_covers_exactly_its_pixels() {
        let mask = [255u8; 6];
        let layer = CaptionLayer::compose(
            &[image(&mask, 3, 2, 0xFFFFFF00, 5, 3)],
            16,
            8,
            ColorMatrix::BT709,
        );
        let mut f = Frame::grey(16, 8, 50);
        f.draw(&layer);
        for y in 0..8 {
            for x in 0..16 {
                let inside = (5..8).contains(&x) && (3..5).contains(&y);
                assert_eq!(f.y[y * 16 + x], if inside { 235 } else { 50 }, "({x},{y})");
            }
        }
    }

    #[test]
    fn transparency_of_the_colour_scales_coverage() {
        // 0x80 transparency: about half of black over white luma.
        let mask = [255u8; 4];
        let layer = CaptionLayer::compose(
            &[image(&mask, 2, 2, 0x00000080, 0, 0)],
            4,
            4,
            ColorMatrix::BT601,
        );
        let mut f = Frame::grey(4, 4, 235);
        f.draw(&layer);
        // Opacity 127/255 of Y' 16 over Y' 235.
        let a = 127.0 / 255.0;
        let expected = 16.0 * a + 235.0 * (1.0 - a);
        assert!((f32::from(f.y[0]) - expected).abs() <= 1.0, "{} vs {expected}", f.y[0]);
        assert_eq!(f.y[3 * 4 + 3], 235, "uncovered pixels stay");
    }

    #[test]
    fn later_images_are_drawn_over_earlier_ones() {
        let mask = [255u8; 4];
        let red = image(&mask, 2, 2, 0xFF000000, 0, 0);
        let blue = image(&mask, 2, 2, 0x0000FF00, 0, 0);
        let layer = CaptionLayer::compose(&[red, blue], 4, 4, ColorMatrix::BT709);
        let mut f = Frame::grey(4, 4, 128);
        f.draw(&layer);
        let [y, cb, cr] = ColorMatrix::BT709.ycbcr(0, 0, 255);
        assert_eq!(
            (f.y[0], f.cb[0], f.cr[0]),
            (y.round() as u8, cb.round() as u8, cr.round() as u8)
        );
    }

    #[test]
    fn images_outside_the_frame_are_clipped() {
        let mask = [255u8; 16];
        let layer = CaptionLayer::compose(
            &[image(&mask, 4, 4, 0xFFFFFF00, -2, 6)],
            8,
            8,
            ColorMatrix::BT709,
        );
        let mut f = Frame::grey(8, 8, 0);
        f.draw(&layer);
        let covered: Vec<(usize, usize)> =
            (0..64).filter(|i| f.y[*i] != 0).map(|i| (i % 8, i / 8)).collect();
        assert_eq!(covered, vec![(0, 6), (1, 6), (0, 7), (1, 7)]);
        assert!(
            CaptionLayer::compose(
                &[image(&mask, 4, 4, 0xFFFFFF00, 9, 0)],
                8,
                8,
                ColorMatrix::BT709
            )
            .is_empty()
        );
    }

    #[test]
    fn limited_and_full_range_white() {
        assert_eq!(ColorMatrix::BT709.ycbcr(255, 255, 255).map(f32::round), [235.0, 128.0, 128.0]);
        assert_eq!(
            ColorMatrix::BT709.full_range().ycbcr(255, 255, 255).map(f32::round),
            [255.0, 128.0, 128.0]
        );
        assert_eq!(ColorMatrix::BT601.ycbcr(0, 0, 0).map(f32::round), [16.0, 128.0, 128.0]);
    }

    /// Mask width in the property test: wider than a vector register, so the loops' vector
    /// bodies and their remainders are both exercised.
    const MW: usize = 40;

    proptest! {
        /// The fast path equals straightforward per-pixel "over" compositing in floating point,
        /// within rounding, for any stack of masks anywhere.
        #[test]
        fn matches_reference_compositing(
            masks in prop::collection::vec((prop::collection::vec(prop_oneof![Just(0u8), Just(255u8), any::<u8>()], MW * 3), any::<u32>(), -3i32..44, -3i32..8), 1..4),
            opaque in any::<bool>(),
            previous in prop::collection::vec(any::<u8>(), MW * 3),
            background in any::<u8>(),
        ) {
            // Wider than a run, with runs of empty and full coverage, so every path is taken.
            let (fw, fh) = (48usize, 8usize);
            let images: Vec<AssImage<'_>> = masks.iter().map(|(m, c, x, y)| image(m, MW, 3, if opaque { c & !0xFF } else { *c }, *x, *y)).collect();
            // Composited into a layer that held something else before: stale buffers must not show.
            let mut layer = CaptionLayer::compose(&[image(&previous, MW, 3, 0x12345600, 1, 2)], fw, fh, ColorMatrix::BT709);
            layer.recompose(&images, fw, fh, ColorMatrix::BT709);
            prop_assert!(layer.draws_like(&CaptionLayer::compose(&images, fw, fh, ColorMatrix::BT709)));
            let mut f = Frame::grey(fw, fh, background);
            f.draw(&layer);
            // Reference: float "over" per luma pixel, premultiplied Cb and alpha kept for chroma.
            // (8-bit integer compositing rounds at every layer: up to 3 levels off after 3 layers.)
            let mut cb_premult = vec![0f32; fw * fh];
            let mut cr_premult = vec![0f32; fw * fh];
            let mut alpha = vec![0f32; fw * fh];
            for py in 0..fh {
                for px in 0..fw {
                    let mut v = f32::from(background);
                    for img in &images {
                        let (cx, cy) = (px as i32 - img.x, py as i32 - img.y);
                        if cx < 0 || cy < 0 || cx >= MW as i32 || cy >= 3 { continue; }
                        let [r, g, b, t] = img.rgba.to_be_bytes();
                        let a = f32::from(img.bitmap[cy as usize * MW + cx as usize]) / 255.0 * f32::from(255 - t) / 255.0;
                        let [y, cb, cr] = ColorMatrix::BT709.ycbcr(r, g, b);
                        v = y * a + v * (1.0 - a);
                        let i = py * fw + px;
                        cb_premult[i] = cb * a + cb_premult[i] * (1.0 - a);
                        cr_premult[i] = cr * a + cr_premult[i] * (1.0 - a);
                        alpha[i] = a + alpha[i] * (1.0 - a);
                    }
                    let got = f32::from(f.y[py * fw + px]);
                    prop_assert!((got - v).abs() <= 3.0, "({px},{py}) got {got} want {v}");
                }
            }
            for cy in 0..f.h / 2 {
                for cx in 0..fw / 2 {
                    let block = [(0, 0), (1, 0), (0, 1), (1, 1)].map(|(dx, dy)| (2 * cy + dy) * fw + 2 * cx + dx);
                    let a: f32 = block.iter().map(|&i| alpha[i]).sum::<f32>() / 4.0;
                    for (premult, plane, name) in [(&cb_premult, &f.cb, "cb"), (&cr_premult, &f.cr, "cr")] {
                        let p: f32 = block.iter().map(|&i| premult[i]).sum::<f32>() / 4.0;
                        let want = p + 128.0 * (1.0 - a);
                        let got = f32::from(plane[cy * fw / 2 + cx]);
                        prop_assert!((got - want).abs() <= 2.5, "{name} ({cx},{cy}) got {got} want {want}");
                    }
                }
            }
        }
    }
}
