//! The mel filter bank a ggml Whisper model carries: CTranslate2's files have none (faster-whisper
//! computes it), so the import computes it as OpenAI's `mel_filters.npz` holds it — librosa's
//! `filters.mel(sr=16000, n_fft=400, n_mels)`, Slaney's mel scale and normalisation — bit for
//! bit, including librosa's two roundings (the weights stored as f32, then scaled in f64).

/// FFT bins of a 400-sample window: `1 + 400 / 2`.
pub const N_FFT_BINS: usize = 201;
const SAMPLE_RATE: f64 = 16_000.0;
const N_FFT: f64 = 400.0;

/// `n_mels × 201` weights, row by row.
pub fn filters(n_mels: usize) -> Vec<f32> {
    let fft: Vec<f64> = (0..N_FFT_BINS).map(|j| j as f64 * SAMPLE_RATE / N_FFT).collect();
    let max_mel = hz_to_mel(SAMPLE_RATE / 2.0);
    let step = max_mel / (n_mels + 1) as f64;
    // numpy's linspace: the last point is the end exactly.
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| if i == n_mels + 1 { max_mel } else { i as f64 * step })
        .map(mel_to_hz)
        .collect();
    let mut out = Vec::with_capacity(n_mels * N_FFT_BINS);
    for i in 0..n_mels {
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for f in &fft {
            let lower = -(mel_f[i] - f) / (mel_f[i + 1] - mel_f[i]);
            let upper = (mel_f[i + 2] - f) / (mel_f[i + 2] - mel_f[i + 1]);
            // np.minimum / np.maximum(0, ·) as numpy breaks ties (keeping a -0.0).
            let m = if lower < upper { lower } else { upper };
            let w = if 0.0 > m { 0.0 } else { m };
            out.push(((w as f32) as f64 * enorm) as f32);
        }
    }
    out
}

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;

fn min_log_mel() -> f64 {
    MIN_LOG_HZ / F_SP // 14.999999999999998, as librosa computes it
}

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(f: f64) -> f64 {
    if f >= MIN_LOG_HZ { min_log_mel() + (f / MIN_LOG_HZ).ln() / logstep() } else { f / F_SP }
}

fn mel_to_hz(m: f64) -> f64 {
    if m >= min_log_mel() { MIN_LOG_HZ * (logstep() * (m - min_log_mel())).exp() } else { F_SP * m }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    fn sha256(v: &[f32]) -> String {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        hex::encode(Sha256::digest(&bytes))
    }

    /// The SHA-256 of OpenAI's `mel_filters.npz` tables (`mel_80`, `mel_128`) as little-endian f32.
    #[test]
    fn the_filter_banks_are_openais_bit_for_bit() {
        let m80 = filters(80);
        assert_eq!(m80.len(), 80 * 201);
        assert_eq!(m80[1].to_bits(), 0.024_862_595_f32.to_bits());
        assert_eq!(m80[0].to_bits(), 0x8000_0000, "numpy's -0.0 kept");
        assert_eq!(m80.iter().filter(|x| **x != 0.0).count(), 391);
        assert_eq!(
            sha256(&m80),
            "4f2701b1d287d74a0dc9871026e9519d98cb76426615f2539b0d151a0ae4ec2e"
        );
        let m128 = filters(128);
        assert_eq!(m128[1].to_bits(), 0.012_373_987_f32.to_bits());
        assert_eq!(
            sha256(&m128),
            "2a5f9822897750e047c85dea37cc268d3be0ecfd23c28a5f10da129d99d05afe"
        );
    }
}
