//! When the captions' picture can change, read from the ASS events themselves.
//!
//! `ass_render_frame` lays out every visible event again on every call (parse, shape, look up
//! bitmaps) just to report that nothing changed; on a talking-head clip most frames sit between
//! a word's pop and the next word. The picture at time `t` depends only on which events are
//! visible and, for animated ones, on `t` inside their animation windows, so between two frames
//! with no event boundary and no animation in between, the previous picture is still right and
//! libass need not be asked.
//!
//! Written by hand because no ASS parser crate exposes override-tag timing; anything this does
//! not understand counts as animated for the whole event, so a mistake can only cost speed.

use crate::libass::{AssImage, AssRenderer, Change};

/// libass asked only when the schedule allows a change since the picture it last drew.
pub struct ScheduledRenderer {
    renderer: AssRenderer,
    schedule: ChangeSchedule,
    /// The time the current picture was rendered for.
    rendered_at: Option<i64>,
    renders: u64,
}

impl ScheduledRenderer {
    pub fn new(renderer: AssRenderer, schedule: ChangeSchedule) -> Self {
        Self { renderer, schedule, rendered_at: None, renders: 0 }
    }

    /// libass's answer at `time_ms`, or `None` when the picture cannot have changed (it stands).
    pub fn render(&mut self, time_ms: i64) -> Option<(Change, Vec<AssImage<'_>>)> {
        if self.rendered_at.is_some_and(|at| !self.schedule.may_change(at, time_ms)) {
            return None;
        }
        self.rendered_at = Some(time_ms);
        self.renders += 1;
        Some(self.renderer.render(time_ms))
    }

    /// How often libass was asked.
    pub fn renders(&self) -> u64 {
        self.renders
    }
}

/// Time ranges (ms, inclusive, sorted, disjoint) inside which the picture may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSchedule {
    unstable: Vec<(i64, i64)>,
}

/// libass and our conversion of frame times to milliseconds may round differently by a unit.
const SLACK_MS: i64 = 1;

impl ChangeSchedule {
    /// A schedule that never allows skipping (for documents this module cannot read).
    pub fn always() -> Self {
        Self { unstable: vec![(i64::MIN, i64::MAX)] }
    }

    pub fn parse(document: &str) -> Self {
        let mut windows = Vec::new();
        let mut columns: Option<Columns> = None;
        let mut in_events = false;
        for line in document.lines().map(str::trim) {
            if line.starts_with('[') {
                in_events = line.eq_ignore_ascii_case("[events]");
                continue;
            }
            if !in_events {
                continue;
            }
            if let Some(format) = line.strip_prefix("Format:") {
                columns = Columns::from_format(format);
                continue;
            }
            let Some(fields) = line.strip_prefix("Dialogue:") else { continue };
            let Some(event) = columns.unwrap_or_default().event(fields) else {
                return Self::always();
            };
            event.windows(&mut windows);
        }
        Self::from_windows(windows)
    }

    fn from_windows(mut windows: Vec<(i64, i64)>) -> Self {
        windows.sort_unstable();
        let mut unstable: Vec<(i64, i64)> = Vec::with_capacity(windows.len());
        for (lo, hi) in windows {
            let (lo, hi) = (lo.saturating_sub(SLACK_MS), hi.saturating_add(SLACK_MS));
            match unstable.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => unstable.push((lo, hi)),
            }
        }
        Self { unstable }
    }

    /// Whether the picture at `now` may differ from the one at `before`.
    pub fn may_change(&self, before: i64, now: i64) -> bool {
        if now <= before {
            return now != before;
        }
        // The first window that ends after `before`; windows are disjoint, so their ends are
        // sorted too.
        let i = self.unstable.partition_point(|&(_, hi)| hi <= before);
        self.unstable.get(i).is_some_and(|&(lo, _)| lo < now)
    }
}

/// `document` with only the events shown at some moment of `from_ms..to_ms` (`None`: to the
/// end): the captions of one chunk of a render. Times stay as they are, so an animation that
/// runs across a join is drawn on both sides as in the whole document; an event never on screen
/// in the chunk cannot change any of its frames (libass lays out the events shown at a moment
/// only), so the chunk's pictures are the whole document's. A line it cannot read is kept.
pub fn events_within(document: &str, from_ms: i64, to_ms: Option<i64>) -> String {
    let mut out = String::with_capacity(document.len().min(1 << 16));
    let mut columns: Option<Columns> = None;
    let mut in_events = false;
    for line in document.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_events = trimmed.eq_ignore_ascii_case("[events]");
        } else if in_events {
            if let Some(format) = trimmed.strip_prefix("Format:") {
                columns = Columns::from_format(format);
            } else if let Some(fields) = trimmed.strip_prefix("Dialogue:") {
                let event = columns.unwrap_or_default().event(fields);
                if event.is_some_and(|e| e.end <= from_ms || to_ms.is_some_and(|to| e.start >= to))
                {
                    continue;
                }
            }
        }
        out.push_str(line);
    }
    out
}

/// Where the fields of a `Dialogue:` line are (from the section's `Format:` line).
#[derive(Debug, Clone, Copy)]
struct Columns {
    start: usize,
    end: usize,
    effect: usize,
    /// Text is always last and may contain commas.
    count: usize,
}

impl Default for Columns {
    /// The ASS v4+ default: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text.
    fn default() -> Self {
        Self { start: 1, end: 2, effect: 8, count: 10 }
    }
}

impl Columns {
    fn from_format(format: &str) -> Option<Self> {
        let names: Vec<String> = format.split(',').map(|n| n.trim().to_ascii_lowercase()).collect();
        let at = |name: &str| names.iter().position(|n| n == name);
        (names.last().map(String::as_str) == Some("text")).then_some(())?;
        Some(Self {
            start: at("start")?,
            end: at("end")?,
            effect: at("effect").unwrap_or(usize::MAX),
            count: names.len(),
        })
    }

    fn event<'a>(&self, fields: &'a str) -> Option<Event<'a>> {
        let parts: Vec<&str> = fields.splitn(self.count, ',').collect();
        if parts.len() != self.count {
            return None;
        }
        let effect = parts.get(self.effect).map_or("", |e| e.trim());
        Some(Event {
            start: parse_time(parts[self.start])?,
            end: parse_time(parts[self.end])?,
            animated_throughout: !effect.is_empty(),
            text: parts[self.count - 1],
        })
    }
}

struct Event<'a> {
    start: i64,
    end: i64,
    animated_throughout: bool,
    text: &'a str,
}

impl Event<'_> {
    /// Adds the event's boundaries and animation windows (absolute ms) to `out`.
    fn windows(&self, out: &mut Vec<(i64, i64)>) {
        if self.end <= self.start {
            return; // never shown
        }
        // Shown for start ≤ t < end: the picture changes between t = boundary − 1 and boundary.
        out.push((self.start - 1, self.start));
        out.push((self.end - 1, self.end));
        let whole = (self.start, self.end);
        if self.animated_throughout {
            out.push(whole);
            return;
        }
        for tag in tags(self.text) {
            let window = match tag {
                Tag::Transform(Some((t1, t2))) | Tag::Move(Some((t1, t2))) if t2 > t1 => {
                    Some((self.start + t1.max(0), self.start + t2))
                }
                Tag::Fade(a, b) => {
                    out.push((self.start, self.start + a.max(0)));
                    Some((self.end - b.max(0), self.end))
                }
                Tag::Static => None,
                _ => Some(whole),
            };
            if let Some((lo, hi)) = window {
                out.push((lo.clamp(self.start, self.end), hi.clamp(self.start, self.end)));
            }
        }
    }
}

/// What a time-dependent override tag does, as far as timing goes.
#[derive(Debug, PartialEq, Eq)]
enum Tag {
    /// `\t(t1,t2,…)`: `Some` when both times are given.
    Transform(Option<(i64, i64)>),
    /// `\move(x1,y1,x2,y2[,t1,t2])`.
    Move(Option<(i64, i64)>),
    /// `\fad(in,out)`.
    Fade(i64, i64),
    /// `\fade(…)`, karaoke (`\k`, `\K`, `\kf`, `\ko`): changes throughout the event.
    Throughout,
    Static,
}

/// The time-dependent tags in an event's text. Scans the whole text, not only `{…}` blocks:
/// a false find only makes the event count as animated.
fn tags(text: &str) -> impl Iterator<Item = Tag> + '_ {
    text.split('\\').skip(1).map(|tag| {
        let args = || tag.split_once('(').map(|(_, a)| numbers(a));
        if tag.starts_with("t(") {
            Tag::Transform(
                args().and_then(|n| (n.len() >= 2 && n.len() <= 3).then(|| (n[0], n[1]))),
            )
        } else if tag.starts_with("move(") {
            Tag::Move(args().and_then(|n| (n.len() == 6).then(|| (n[4], n[5]))))
        } else if tag.starts_with("fade(") {
            Tag::Throughout
        } else if tag.starts_with("fad(") {
            args().filter(|n| n.len() == 2).map_or(Tag::Throughout, |n| Tag::Fade(n[0], n[1]))
        } else if tag.starts_with('k') || tag.starts_with('K') {
            Tag::Throughout
        } else {
            Tag::Static
        }
    })
}

/// The leading numeric arguments of a tag, up to the first non-number (`\t`'s modifiers, the
/// closing parenthesis).
fn numbers(args: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for arg in args.split([',', ')']) {
        match arg.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => out.push(v.round() as i64),
            _ => break,
        }
    }
    out
}

/// `H:MM:SS.cc` → milliseconds, as libass reads it.
fn parse_time(field: &str) -> Option<i64> {
    let mut parts = field.trim().split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac_ms = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 100,
        2 => frac.parse::<i64>().ok()? * 10,
        _ => frac.get(..3)?.parse::<i64>().ok()?,
    };
    Some(
        ((h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?) * 60 + secs.parse::<i64>().ok()?)
            * 1000
            + frac_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_keeps_the_events_shown_in_it_with_their_times() {
        let d = doc(&[
            "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,before",
            "Dialogue: 0,0:00:02.50,0:00:04.00,Default,,0,0,0,,{\\t(0,1000,\\fscx120)}across",
            "Dialogue: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,inside",
            "Dialogue: 0,0:00:06.00,0:00:07.00,Default,,0,0,0,,at the end",
            "Dialogue: 0,bad,0:00:07.00,Default,,0,0,0,,unreadable",
        ]);
        let cut = events_within(&d, 3_000, Some(6_000));
        let kept: Vec<bool> = ["before", "across", "inside", "at the end", "unreadable"]
            .map(|t| cut.contains(t))
            .to_vec();
        assert_eq!(kept, [false, true, true, false, true], "{cut}");
        assert!(cut.contains("0:00:02.50,0:00:04.00"), "times unchanged");
        assert!(cut.starts_with("[Script Info]") && cut.contains("Format: Layer"));
        assert_eq!(events_within(&d, 0, None), d, "the whole render keeps everything");
    }

    fn doc(events: &[&str]) -> String {
        let mut d = String::from(
            "[Script Info]\nPlayResX: 100\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
        );
        for e in events {
            d.push_str(e);
            d.push('\n');
        }
        d
    }

    #[test]
    fn times_parse_as_libass_reads_them() {
        assert_eq!(parse_time("0:00:01.50"), Some(1500));
        assert_eq!(parse_time("1:02:03.04"), Some(3_723_040));
        assert_eq!(parse_time("0:00:02"), Some(2000));
        assert_eq!(parse_time("bad"), None);
    }

    #[test]
    fn a_static_event_changes_only_at_its_boundaries() {
        let s = ChangeSchedule::parse(&doc(&[
            "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Hello, world",
        ]));
        assert!(!s.may_change(0, 900));
        assert!(s.may_change(966, 1000), "appears at its start");
        assert!(!s.may_change(1033, 1966));
        assert!(s.may_change(1966, 2000), "gone at its end");
        assert!(!s.may_change(2033, 5000));
        assert!(s.may_change(0, 5000), "a jump across the event");
    }

    #[test]
    fn a_timed_transform_is_unstable_only_in_its_window() {
        let s = ChangeSchedule::parse(&doc(&[
            "Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,A {\\fscx95\\t(0,100,\\fscx112)}B{\\r} C",
        ]));
        assert!(s.may_change(1033, 1066));
        assert!(s.may_change(1066, 1100));
        assert!(!s.may_change(1133, 1166), "the pop is over");
        assert!(!s.may_change(1200, 2966));
    }

    #[test]
    fn untimed_animation_karaoke_moves_fades_and_effects() {
        for text in [
            "{\\t(\\fscx120)}x",
            "{\\t(0.5,\\fscx120)}x",
            "{\\k50}a{\\k50}b",
            "{\\K50}a",
            "{\\kf50}a",
            "{\\move(0,0,10,10)}x",
            "{\\fade(255,0,255,0,500,1000,1500)}x",
        ] {
            let s = ChangeSchedule::parse(&doc(&[&format!(
                "Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,{text}"
            )]));
            assert!(s.may_change(2000, 2033), "{text}");
            assert!(!s.may_change(3033, 3066), "{text}");
        }
        let s = ChangeSchedule::parse(&doc(&[
            "Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,Scroll up;10;100;5,x",
        ]));
        assert!(s.may_change(2000, 2033));
        let s = ChangeSchedule::parse(&doc(&[
            "Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,{\\move(0,0,10,10,200,400)}x",
        ]));
        assert!(s.may_change(1300, 1333));
        assert!(!s.may_change(1500, 1533));
    }

    #[test]
    fn fades_change_at_both_ends_only() {
        let s = ChangeSchedule::parse(&doc(&[
            "Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,{\\fad(200,300)}x",
        ]));
        assert!(s.may_change(1100, 1133));
        assert!(!s.may_change(1300, 2600));
        assert!(s.may_change(2800, 2833));
    }

    #[test]
    fn a_custom_column_order_is_followed() {
        let d = "[Events]\nFormat: Start, End, Layer, Style, Text\nDialogue: 0:00:01.00,0:00:02.00,0,Default,{\\k20}a, b\n";
        let s = ChangeSchedule::parse(d);
        assert!(s.may_change(1500, 1533));
        assert!(!s.may_change(2500, 2533));
    }

    #[test]
    fn unreadable_events_never_skip() {
        let s = ChangeSchedule::parse(&doc(&["Dialogue: 0,soon,later,Default,,0,0,0,,x"]));
        assert_eq!(s, ChangeSchedule::always());
        assert!(s.may_change(10, 20));
    }

    #[test]
    fn going_back_in_time_asks_again() {
        let s =
            ChangeSchedule::parse(&doc(&["Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,x"]));
        assert!(s.may_change(1500, 1400));
        assert!(!s.may_change(1500, 1500));
    }
}
