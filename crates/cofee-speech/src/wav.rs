//! PCM helpers shared by engines that work on windows of audio.

/// A 44-byte RIFF/WAVE header for 16 kHz mono s16le PCM of `data_len` bytes.
pub fn header(data_len: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    let rate = crate::SAMPLE_RATE;
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&rate.to_le_bytes());
    h[28..32].copy_from_slice(&(rate * 2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// Where to end a window of `samples` so no word is cut in half: the quietest 20 ms frame in the
/// last `search` samples (by energy), returned as a sample index. Falls back to the end.
pub fn quiet_cut(samples: &[i16], search: usize) -> usize {
    const FRAME: usize = 320; // 20 ms at 16 kHz
    let n = samples.len();
    if n < 2 * FRAME {
        return n;
    }
    let from = n.saturating_sub(search).max(FRAME);
    let mut best = (u64::MAX, n);
    let mut start = from;
    while start + FRAME <= n {
        let energy: u64 =
            samples[start..start + FRAME].iter().map(|&s| (s as i64 * s as i64) as u64).sum();
        if energy < best.0 {
            best = (energy, start + FRAME / 2);
        }
        start += FRAME / 2;
    }
    best.1
}

/// Reads from `pcm` until `buf` holds `window_bytes` or the stream ends (returns `true` at the
/// end). Engines that work in windows call this in a loop; cancellation stops the read.
pub async fn fill_window(
    pcm: &mut (dyn tokio::io::AsyncRead + Send + Unpin),
    buf: &mut Vec<u8>,
    window_bytes: usize,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<bool, crate::SpeechError> {
    use tokio::io::AsyncReadExt;
    while buf.len() < window_bytes {
        let mut chunk = vec![0u8; (window_bytes - buf.len()).min(256 * 1024)];
        let n = tokio::select! {
            n = pcm.read(&mut chunk) => n?,
            () = cancel.cancelled() => return Err(crate::SpeechError::Cancelled),
        };
        if n == 0 {
            return Ok(true);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(false)
}

/// Little-endian bytes to samples (a trailing odd byte is ignored).
pub fn samples(bytes: &[u8]) -> Vec<i16> {
    bytes.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_in_the_quiet_part() {
        let mut s = vec![10_000i16; 16_000];
        for x in &mut s[12_000..12_640] {
            *x = 0;
        }
        let cut = quiet_cut(&s, 8_000);
        assert!((12_000..=12_640).contains(&cut), "{cut}");
    }

    #[test]
    fn header_is_a_valid_riff() {
        let h = header(32_000);
        assert_eq!(&h[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(h[40..44].try_into().unwrap()), 32_000);
    }
}
