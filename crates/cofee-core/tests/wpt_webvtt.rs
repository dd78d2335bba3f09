//! The web-platform-tests' WebVTT file-parsing cases (`tests/wpt-webvtt/`, see its README): each
//! file's WebVTT read by `vtt::read`, and what the case asserts about the cues — how many, and
//! their ids, texts and times — checked as a browser's `TextTrack` would have them.

use cofee_core::formats::vtt::{self, VttCue};

/// A case: the assertions and the WebVTT file with its escapes resolved.
struct Case {
    name: String,
    asserts: String,
    vtt: String,
}

fn cases() -> Vec<Case> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wpt-webvtt");
    let mut cases: Vec<Case> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let (asserts, vtt) = text.split_once("\n===\n").expect("a === line");
            Case {
                name: p.file_stem().unwrap().to_string_lossy().into_owned(),
                asserts: asserts.to_string(),
                vtt: unescape(vtt),
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// Python's `unicode_escape`, as the suite's generator reads the files: `\xHH`, `\uHHHH`, octal
/// `\0`…`\377`, the usual letters, and a backslash before a line break joining the lines.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize| {
            let h: String = (0..n).filter_map(|_| chars.next()).collect();
            char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap()
        };
        match chars.next() {
            Some('x') => out.push(hex(&mut chars, 2)),
            Some('u') => out.push(hex(&mut chars, 4)),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('\n') => {}
            Some('\\') => out.push('\\'),
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap();
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(n) => {
                            v = v * 8 + n;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap());
            }
            other => panic!("unknown escape \\{other:?}"),
        }
    }
    out
}

/// A JavaScript string literal's value (`'…'` or `"…"` with `\uXXXX` escapes) or a number.
fn js_value(v: &str) -> String {
    let v = v.trim();
    if let Some(inner) = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
    {
        return unescape(inner);
    }
    v.to_string()
}

fn field(cue: &VttCue, name: &str) -> Option<String> {
    let secs = |ms: u64| {
        let s = ms as f64 / 1000.0;
        if s.fract() == 0.0 { format!("{}", s as u64) } else { format!("{s}") }
    };
    match name {
        "id" => Some(cue.id.clone()),
        "text" => Some(cue.text.clone()),
        "startTime" => Some(secs(cue.start_ms)),
        "endTime" => Some(secs(cue.end_ms)),
        _ => None, // cue settings: not kept
    }
}

/// The assertions of a case this test can check: (cue index or none for the count, field, value).
fn assertions(asserts: &str) -> Vec<(Option<usize>, String, String)> {
    let mut out = Vec::new();
    let mut current: Option<usize> = None; // `var cue = cues[N];`
    for line in asserts.lines() {
        if let Some(n) =
            line.trim().strip_prefix("var cue = cues[").and_then(|r| r.strip_suffix("];"))
        {
            current = n.parse().ok();
            continue;
        }
        let Some(rest) = line.trim().strip_prefix("assert_equals(") else { continue };
        if let (Some(i), Some(rest)) = (current, rest.strip_prefix("cue.")) {
            let (name, value) = rest.split_once(", ").unwrap();
            out.push((Some(i), name.into(), js_value(value.strip_suffix(");").unwrap())));
            continue;
        }
        if let Some(n) = rest.strip_prefix("cues.length, ") {
            let n = n.trim_end_matches(");").split(',').next().unwrap();
            out.push((None, "length".into(), n.trim().into()));
            continue;
        }
        let Some(rest) = rest.strip_prefix("cues[") else { continue };
        let Some((index, rest)) = rest.split_once("].") else { continue };
        let Ok(index) = index.parse::<usize>() else { continue }; // `cues[index]` in a loop
        let (name, value) = rest.split_once(", ").unwrap();
        let value = value.strip_suffix(");").unwrap();
        out.push((Some(index), name.into(), js_value(value)));
    }
    out
}

/// Values asserted inside loops in the cases, written out: (case, index, field, value).
const LOOPED: &[(&str, usize, &str, &str)] = &[
    ("timings-negative", 0, "startTime", "0"),
    ("timings-negative", 0, "endTime", "0"),
    ("timings-negative", 1, "startTime", "1"),
    ("timings-negative", 1, "endTime", "0.999"),
    ("timings-negative", 2, "startTime", "60"),
    ("timings-negative", 2, "endTime", "59.999"),
    ("timings-negative", 3, "startTime", "3600"),
    ("timings-negative", 3, "endTime", "3599.999"),
    ("timings-negative", 3, "text", "text4"),
    ("timings-omitted-hours", 0, "text", "text1"),
    ("timings-omitted-hours", 1, "text", "text2"),
    ("timings-omitted-hours", 2, "text", "text3"),
    ("timings-omitted-hours", 0, "startTime", "0"),
    ("timings-omitted-hours", 1, "endTime", "1"),
    ("timings-omitted-hours", 2, "endTime", "1"),
];

#[test]
fn the_wpt_webvtt_parsing_cases_read_as_a_browser_reads_them() {
    let cases = cases();
    assert!(cases.len() >= 16, "the cases are there");
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let cues = match vtt::read(&case.vtt) {
            Ok((cues, _skipped)) => cues,
            Err(e) => {
                failures.push(format!("{}: refused: {e}", case.name));
                continue;
            }
        };
        let looped = LOOPED
            .iter()
            .filter(|(name, ..)| *name == case.name)
            .map(|(_, i, f, v)| (Some(*i), f.to_string(), v.to_string()));
        let all: Vec<_> = assertions(&case.asserts).into_iter().chain(looped).collect();
        assert!(!all.is_empty(), "{}: nothing to check", case.name);
        for (index, name, want) in all {
            let got = match index {
                None => Some(cues.len().to_string()),
                Some(i) => cues.get(i).and_then(|c| field(c, &name)),
            };
            if index.is_some() && !matches!(name.as_str(), "id" | "text" | "startTime" | "endTime")
            {
                continue;
            }
            checked += 1;
            if got.as_deref() != Some(want.as_str()) {
                failures.push(format!(
                    "{}: cues[{index:?}].{name}: want {want:?}, got {got:?}",
                    case.name
                ));
            }
        }
    }
    eprintln!("{checked} assertions checked in {} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {checked} assertions failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 70, "checked {checked}");
}

#[test]
fn a_file_without_the_signature_is_refused_as_browsers_refuse_it() {
    for bad in
        ["", "WEBVT", "WEBVTTX\n\n00:00.000 --> 00:01.000\nx", "\u{feff}webvtt\n", " WEBVTT\n"]
    {
        assert!(vtt::read(bad).is_err(), "{bad:?}");
    }
    for good in ["WEBVTT", "WEBVTT\n", "\u{feff}WEBVTT\tkind\n", "WEBVTT FILE\n\n"] {
        assert_eq!(vtt::read(good).unwrap().0, [], "{good:?}");
    }
}
