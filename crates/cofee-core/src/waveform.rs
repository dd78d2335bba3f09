//! Waveform peaks in the binary format of BBC's `audiowaveform` (`.dat`, version 2), which
//! waveform-data.js, peaks.js and wavesurfer read as they are.
//!
//! The format (all values little-endian): a 24-byte header — `i32` version (2), `u32` flags
//! (bit 0 set: 8-bit values), `i32` sample rate, `i32` samples per pixel, `u32` length (pixels),
//! `i32` channels — then, for each pixel and channel, the minimum and the maximum sample of the
//! pixel's samples. Cofee writes one channel of 8-bit values (two bytes a pixel): 16-bit samples
//! divided by 256 and truncated toward zero, as `audiowaveform -b 8` does. The last pixel may
//! cover fewer samples than the others; a pixel without samples is `(0, 0)`.
//!
//! [`PeakBuilder`] folds samples into pixels as they arrive (a stream of any length in memory
//! proportional to the pixels only); [`decode`] reads a file back (versions 1 and 2, 8 and 16
//! bits), for tests and tools.

use thiserror::Error;

/// The format version Cofee writes.
pub const VERSION: i32 = 2;
/// Flags bit 0: values are 8-bit (else 16-bit).
pub const FLAG_8_BIT: u32 = 1;
/// Bytes before the first pixel in a version 2 file.
pub const HEADER_LEN: usize = 24;
/// Bytes before the first pixel in a version 1 file (no channel count).
const HEADER_LEN_V1: usize = 20;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WaveformError {
    #[error(
        "a waveform needs at least 2 samples per pixel and 1 Hz (got {samples_per_pixel} at {sample_rate} Hz)"
    )]
    Resolution { sample_rate: u32, samples_per_pixel: u32 },
    #[error("a waveform has at most {max} pixels")]
    TooLong { max: u32 },
    #[error("not waveform data: {0}")]
    Malformed(String),
}

/// Folds 16-bit samples (one channel) into the min/max pixels of a waveform.
#[derive(Debug, Clone)]
pub struct PeakBuilder {
    sample_rate: u32,
    samples_per_pixel: u32,
    /// The header's place, then two bytes a finished pixel.
    out: Vec<u8>,
    /// Samples folded into the pixel in progress.
    count: u32,
    min: i16,
    max: i16,
    /// The first byte of a sample split between two chunks of PCM.
    odd_byte: Option<u8>,
}

impl PeakBuilder {
    pub fn new(sample_rate: u32, samples_per_pixel: u32) -> Result<Self, WaveformError> {
        if samples_per_pixel < 2
            || sample_rate < 1
            || i32::try_from(sample_rate).is_err()
            || i32::try_from(samples_per_pixel).is_err()
        {
            return Err(WaveformError::Resolution { sample_rate, samples_per_pixel });
        }
        Ok(Self {
            sample_rate,
            samples_per_pixel,
            out: vec![0; HEADER_LEN],
            count: 0,
            min: 0,
            max: 0,
            odd_byte: None,
        })
    }

    /// Adds samples in order.
    pub fn push_samples(&mut self, samples: impl IntoIterator<Item = i16>) {
        for s in samples {
            if self.count == 0 {
                (self.min, self.max) = (s, s);
            } else {
                self.min = self.min.min(s);
                self.max = self.max.max(s);
            }
            self.count += 1;
            if self.count == self.samples_per_pixel {
                self.end_pixel();
            }
        }
    }

    /// Adds signed 16-bit little-endian PCM (what `cofee-media` streams), in chunks of any size:
    /// a sample split between two chunks is put together.
    pub fn push_pcm_s16le(&mut self, mut bytes: &[u8]) {
        if let Some(first) = self.odd_byte.take() {
            let Some((&second, rest)) = bytes.split_first() else {
                self.odd_byte = Some(first);
                return;
            };
            self.push_samples([i16::from_le_bytes([first, second])]);
            bytes = rest;
        }
        let whole = bytes.chunks_exact(2);
        self.odd_byte = whole.remainder().first().copied();
        self.push_samples(whole.map(|b| i16::from_le_bytes([b[0], b[1]])));
    }

    /// Adds `samples` samples of silence (for media without audio), without touching each one.
    pub fn push_silence(&mut self, mut samples: u64) {
        // Finish the pixel in progress, then whole pixels of zeros, then the rest.
        if self.count > 0 {
            let fill = u64::from(self.samples_per_pixel - self.count).min(samples);
            self.push_samples(std::iter::repeat_n(0, fill as usize));
            samples -= fill;
        }
        let spp = u64::from(self.samples_per_pixel);
        let whole = samples / spp;
        self.out.resize(self.out.len() + 2 * whole as usize, 0);
        self.push_samples(std::iter::repeat_n(0, (samples % spp) as usize));
    }

    /// Samples added so far (a split sample counts once it is whole).
    pub fn samples(&self) -> u64 {
        self.pixels_done() * u64::from(self.samples_per_pixel) + u64::from(self.count)
    }

    /// Pixels finished so far.
    fn pixels_done(&self) -> u64 {
        ((self.out.len() - HEADER_LEN) / 2) as u64
    }

    fn end_pixel(&mut self) {
        self.out.extend([to_8_bit(self.min), to_8_bit(self.max)]);
        self.count = 0;
    }

    /// The whole file: the header, then every pixel (a partial last one included). A split
    /// sample left over at the end is dropped.
    pub fn finish(mut self) -> Result<Vec<u8>, WaveformError> {
        if self.count > 0 {
            self.end_pixel();
        }
        let length = u32::try_from(self.pixels_done())
            .map_err(|_| WaveformError::TooLong { max: u32::MAX })?;
        let header = [
            VERSION.to_le_bytes(),
            FLAG_8_BIT.to_le_bytes(),
            (self.sample_rate as i32).to_le_bytes(),
            (self.samples_per_pixel as i32).to_le_bytes(),
            length.to_le_bytes(),
            1i32.to_le_bytes(),
        ];
        self.out[..HEADER_LEN].copy_from_slice(&header.concat());
        Ok(self.out)
    }
}

/// A 16-bit sample as an 8-bit value: divided by 256, truncated toward zero (`audiowaveform`'s
/// rounding, so files match what it writes).
fn to_8_bit(sample: i16) -> u8 {
    ((sample / 256) as i8).to_le_bytes()[0]
}

/// A waveform read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waveform {
    pub version: i32,
    /// 8 or 16.
    pub bits: u8,
    pub sample_rate: u32,
    pub samples_per_pixel: u32,
    pub channels: u32,
    /// Minimum and maximum per pixel and channel, interleaved by channel, in the file's units
    /// (−128..=127 for 8 bits).
    pub peaks: Vec<(i16, i16)>,
}

impl Waveform {
    /// Pixels per channel.
    pub fn len(&self) -> usize {
        self.peaks.len() / self.channels.max(1) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.peaks.is_empty()
    }

    /// The seconds the pixels span.
    pub fn duration_secs(&self) -> f64 {
        self.len() as f64 * f64::from(self.samples_per_pixel) / f64::from(self.sample_rate)
    }

    /// Pixel `i` of channel `channel`.
    pub fn pixel(&self, channel: u32, i: usize) -> Option<(i16, i16)> {
        if channel >= self.channels {
            return None;
        }
        self.peaks.get(i * self.channels as usize + channel as usize).copied()
    }
}

fn field<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], WaveformError> {
    bytes
        .get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| WaveformError::Malformed(format!("the header ends before byte {}", at + N)))
}

/// Reads a `.dat` file (version 1 or 2, 8 or 16 bits).
pub fn decode(bytes: &[u8]) -> Result<Waveform, WaveformError> {
    let version = i32::from_le_bytes(field(bytes, 0)?);
    let flags = u32::from_le_bytes(field(bytes, 4)?);
    let sample_rate = i32::from_le_bytes(field(bytes, 8)?);
    let samples_per_pixel = i32::from_le_bytes(field(bytes, 12)?);
    let length = u32::from_le_bytes(field(bytes, 16)?);
    let (channels, start) = match version {
        1 => (1, HEADER_LEN_V1),
        2 => (i32::from_le_bytes(field(bytes, 20)?), HEADER_LEN),
        v => return Err(WaveformError::Malformed(format!("unknown version {v}"))),
    };
    let (Ok(sample_rate), Ok(samples_per_pixel), Ok(channels)) =
        (u32::try_from(sample_rate), u32::try_from(samples_per_pixel), u32::try_from(channels))
    else {
        return Err(WaveformError::Malformed("a negative rate or channel count".into()));
    };
    if sample_rate < 1 || samples_per_pixel < 2 || channels < 1 {
        return Err(WaveformError::Resolution { sample_rate, samples_per_pixel });
    }
    let bits: u8 = if flags & FLAG_8_BIT != 0 { 8 } else { 16 };
    let width = usize::from(bits / 8);
    let expected = (length as usize)
        .checked_mul(channels as usize * 2 * width)
        .ok_or_else(|| WaveformError::Malformed("the length overflows".into()))?;
    let data = &bytes[start..];
    if data.len() != expected {
        return Err(WaveformError::Malformed(format!(
            "the header promises {length} pixels × {channels} channels ({expected} bytes) but {} follow",
            data.len()
        )));
    }
    let value = |b: &[u8]| -> i16 {
        if bits == 8 { i16::from(b[0] as i8) } else { i16::from_le_bytes([b[0], b[1]]) }
    };
    let peaks = data
        .chunks_exact(2 * width)
        .map(|pair| (value(&pair[..width]), value(&pair[width..])))
        .collect();
    Ok(Waveform { version, bits, sample_rate, samples_per_pixel, channels, peaks })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    #[test]
    fn the_header_is_audiowaveforms_version_2_with_8_bit_values() {
        let mut b = PeakBuilder::new(16_000, 160).unwrap();
        b.push_samples(std::iter::repeat_n(0, 320));
        let bytes = b.finish().unwrap();
        #[rustfmt::skip]
        let header: [u8; 24] = [
            2, 0, 0, 0, // version
            1, 0, 0, 0, // flags: 8-bit
            0x80, 0x3e, 0, 0, // 16000 Hz
            160, 0, 0, 0, // samples per pixel
            2, 0, 0, 0, // length
            1, 0, 0, 0, // channels
        ];
        assert_eq!(bytes[..HEADER_LEN], header);
        assert_eq!(bytes.len(), HEADER_LEN + 2 * 2);
    }

    #[test]
    fn each_pixel_is_the_min_and_max_of_its_samples() {
        let mut b = PeakBuilder::new(8, 4).unwrap();
        b.push_samples([256, -512, 1024, 0, /* next */ -2560, -256, -1024, -768]);
        let w = decode(&b.finish().unwrap()).unwrap();
        assert_eq!(w.peaks, vec![(-2, 4), (-10, -1)]);
        assert_eq!((w.version, w.bits, w.channels, w.len()), (2, 8, 1, 2));
        assert_eq!(w.duration_secs(), 1.0);
    }

    #[test]
    fn sixteen_bit_samples_are_scaled_to_eight_bits_like_audiowaveform() {
        let mut b = PeakBuilder::new(16_000, 2).unwrap();
        b.push_samples([i16::MIN, i16::MAX, -255, 255, -256, 256, -257, 511]);
        let w = decode(&b.finish().unwrap()).unwrap();
        assert_eq!(w.peaks, vec![(-128, 127), (0, 0), (-1, 1), (-1, 1)]);
    }

    #[test]
    fn a_partial_last_pixel_is_kept() {
        let mut b = PeakBuilder::new(16_000, 160).unwrap();
        b.push_samples(std::iter::repeat_n(0, 160));
        b.push_samples([12_800, -6_400, 0]);
        assert_eq!(b.samples(), 163);
        let w = decode(&b.finish().unwrap()).unwrap();
        assert_eq!(w.peaks, vec![(0, 0), (-25, 50)]);
    }

    #[test]
    fn silence_is_zeros_however_it_arrives() {
        let mut streamed = PeakBuilder::new(16_000, 160).unwrap();
        streamed.push_pcm_s16le(&pcm(&[0; 1000]));
        let mut declared = PeakBuilder::new(16_000, 160).unwrap();
        declared.push_silence(1000);
        let (a, b) = (streamed.finish().unwrap(), declared.finish().unwrap());
        assert_eq!(a, b);
        let w = decode(&a).unwrap();
        assert_eq!(w.len(), 7, "1000 samples are 6¼ pixels");
        assert!(w.peaks.iter().all(|&p| p == (0, 0)));
        assert!(
            decode(&PeakBuilder::new(16_000, 160).unwrap().finish().unwrap()).unwrap().is_empty()
        );
    }

    #[test]
    fn silence_after_a_partial_pixel_completes_it() {
        let mut b = PeakBuilder::new(16_000, 4).unwrap();
        b.push_samples([1024, 1024]);
        b.push_silence(11);
        assert_eq!(b.samples(), 13);
        let w = decode(&b.finish().unwrap()).unwrap();
        assert_eq!(w.peaks, vec![(0, 4), (0, 0), (0, 0), (0, 0)]);
    }

    #[test]
    fn pcm_split_anywhere_gives_the_same_waveform() {
        let samples: Vec<i16> = (0..2000).map(|i| ((i * 7919) % 65_536 - 32_768) as i16).collect();
        let bytes = pcm(&samples);
        let mut whole = PeakBuilder::new(16_000, 160).unwrap();
        whole.push_samples(samples.iter().copied());
        let whole = whole.finish().unwrap();
        for chunk in [1, 3, 7, 160, 333] {
            let mut b = PeakBuilder::new(16_000, 160).unwrap();
            for c in bytes.chunks(chunk) {
                b.push_pcm_s16le(c);
            }
            assert_eq!(b.finish().unwrap(), whole, "chunks of {chunk} bytes");
        }
    }

    #[test]
    fn bad_resolutions_and_files_are_refused() {
        assert!(PeakBuilder::new(16_000, 1).is_err());
        assert!(PeakBuilder::new(0, 160).is_err());
        let good = {
            let mut b = PeakBuilder::new(16_000, 160).unwrap();
            b.push_samples([1, 2, 3]);
            b.finish().unwrap()
        };
        assert!(decode(&good[..10]).is_err());
        assert!(decode(&good[..good.len() - 1]).is_err(), "a pixel short");
        let mut v9 = good.clone();
        v9[0] = 9;
        assert!(decode(&v9).is_err());
    }

    #[test]
    fn version_1_and_16_bit_files_are_read_too() {
        let mut v1 = Vec::new();
        for v in [1i32, 0, 44_100, 512, 2] {
            v1.extend(v.to_le_bytes());
        }
        for v in [-1000i16, 1000, -32_768, 32_767] {
            v1.extend(v.to_le_bytes());
        }
        let w = decode(&v1).unwrap();
        assert_eq!((w.version, w.bits, w.channels), (1, 16, 1));
        assert_eq!(w.peaks, vec![(-1000, 1000), (-32_768, 32_767)]);
        assert_eq!(w.pixel(0, 1), Some((-32_768, 32_767)));
        assert_eq!(w.pixel(1, 0), None);
    }
}
