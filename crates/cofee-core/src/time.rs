//! Timestamps. Times are whole milliseconds (`u64`) everywhere in the core so that arithmetic
//! never drifts; formats convert at the edge.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "invalid timestamp {0:?}: expected HH:MM:SS,mmm or HH:MM:SS.mmm (hours optional in WebVTT)"
)]
pub struct TimestampError(pub String);

fn split_ms(ms: u64) -> (u64, u64, u64, u64) {
    (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// `HH:MM:SS,mmm` as SRT writes it.
pub fn srt(ms: u64) -> String {
    let (h, m, s, f) = split_ms(ms);
    format!("{h:02}:{m:02}:{s:02},{f:03}")
}

/// `HH:MM:SS.mmm` as WebVTT writes it.
pub fn vtt(ms: u64) -> String {
    let (h, m, s, f) = split_ms(ms);
    format!("{h:02}:{m:02}:{s:02}.{f:03}")
}

/// `H:MM:SS.cc` as ASS writes it (centiseconds, rounded to nearest).
pub fn ass(ms: u64) -> String {
    let cs = (ms + 5) / 10;
    let (h, m, s) = (cs / 360_000, cs / 6000 % 60, cs / 100 % 60);
    format!("{h}:{m:02}:{s:02}.{:02}", cs % 100)
}

/// Parses `[HH:]MM:SS[,.]mmm`. Accepts one to three fraction digits, as found in the wild.
pub fn parse(s: &str) -> Result<u64, TimestampError> {
    let err = || TimestampError(s.to_string());
    let t = s.trim();
    let (clock, frac) = match t.rfind([',', '.']) {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, ""),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let nums: Vec<u64> = parts
        .iter()
        .map(|p| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                Err(err())
            } else {
                p.parse().map_err(|_| err())
            }
        })
        .collect::<Result<_, _>>()?;
    let (h, m, sec) = match nums[..] {
        [h, m, s] => (h, m, s),
        [m, s] => (0, m, s),
        _ => return Err(err()),
    };
    if m >= 60 || sec >= 60 || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let ms = if frac.is_empty() {
        0
    } else {
        frac.parse::<u64>().map_err(|_| err())? * 10u64.pow(3 - frac.len() as u32)
    };
    Ok(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// Seconds as a float (for JSON) to whole milliseconds, refusing what cannot be a time.
pub fn from_secs(secs: f64) -> Option<u64> {
    (secs.is_finite() && (0.0..1e9).contains(&secs)).then(|| (secs * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(srt(3_723_004), "01:02:03,004");
        assert_eq!(vtt(3_723_004), "01:02:03.004");
        assert_eq!(ass(3_723_004), "1:02:03.00");
        assert_eq!(ass(3_723_006), "1:02:03.01");
    }

    #[test]
    fn parses() {
        assert_eq!(parse("01:02:03,004"), Ok(3_723_004));
        assert_eq!(parse("02:03.5"), Ok(123_500));
        assert_eq!(parse(" 00:00:01.25 "), Ok(1250));
        assert!(parse("00:61:00,000").is_err());
        assert!(parse("aa:bb:cc,ddd").is_err());
        assert!(parse("1").is_err());
        assert!(parse("00:00:01,0000").is_err());
    }
}
