//! The rules for the text fields of requests, each written twice over in one place: as the
//! check the handler runs and as the JSON Schema (`maxLength`, `pattern`) the OpenAPI document
//! states (`openapi`), so that what the document calls valid is exactly what is accepted. The
//! patterns use only character classes of explicit code points, which read the same in
//! ECMA-262, Python and Rust regular expressions; the tests hold each pattern to its check.

/// Unicode `White_Space`, what [`char::is_whitespace`] and [`str::trim`] go by.
const WHITE_SPACE: &str =
    r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (`Cc`), what [`char::is_control`] goes by.
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";

fn blank_or_control(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

/// A name (of a project, an API token, a saved style): at most `max` characters, no control characters,
/// not blank. It is stored trimmed.
pub fn is_name(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(char::is_control) && !s.trim().is_empty()
}

/// The pattern of [`is_name`] (its length is the schema's `maxLength`).
pub fn name_pattern() -> String {
    format!("^[^{CONTROL}]*[^{CONTROL}{WHITE_SPACE}][^{CONTROL}]*$")
}

pub const PROJECT_NAME_MAX: usize = 200;
pub const TOKEN_NAME_MAX: usize = 100;

/// The longest email address (RFC 5321's path limit less its angle brackets), in characters.
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 1024;

/// An email address as accounts take it: something before an `@` and something after it, no
/// white space or control characters, at most [`EMAIL_MAX`] characters. Stored in lower case.
pub fn is_email(s: &str) -> bool {
    s.chars().count() <= EMAIL_MAX
        && !s.chars().any(blank_or_control)
        && s.find('@').is_some_and(|i| i > 0 && i < s.len() - 1)
}

/// The pattern of [`is_email`].
pub fn email_pattern() -> String {
    format!("^[^@{CONTROL}{WHITE_SPACE}]+@[^{CONTROL}{WHITE_SPACE}]+$")
}

/// A password's length in characters.
pub fn is_password(s: &str) -> bool {
    (PASSWORD_MIN..=PASSWORD_MAX).contains(&s.chars().count())
}

/// The longest webhook URL, in characters.
pub const URL_MAX: usize = 2048;

/// An absolute `http` or `https` URL with a host, without white space or control characters.
pub fn is_http_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else { return false };
    ["http", "https"].contains(&scheme.to_ascii_lowercase().as_str())
        && !rest.is_empty()
        && !rest.starts_with(['/', '?', '#'])
        && s.chars().count() <= URL_MAX
        && !s.chars().any(blank_or_control)
}

/// The pattern of [`is_http_url`].
pub fn http_url_pattern() -> String {
    format!("^[Hh][Tt][Tt][Pp][Ss]?://[^/?#{CONTROL}{WHITE_SPACE}][^{CONTROL}{WHITE_SPACE}]*$")
}

/// A language code (`en`, `pt-BR`): ASCII letters and hyphens, 1 to 12 of them.
pub fn is_language(s: &str) -> bool {
    (1..=12).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
}

pub const LANGUAGE_PATTERN: &str = "^[A-Za-z-]{1,12}$";

/// A style colour (`#rgb`, `#rrggbb` or `#rrggbbaa`), as `cofee_core::style::Color` reads it
/// (surrounding white space ignored).
pub fn color_pattern() -> String {
    format!(
        "^[{WHITE_SPACE}]*#([0-9A-Fa-f]{{3}}|[0-9A-Fa-f]{{6}}|[0-9A-Fa-f]{{8}})[{WHITE_SPACE}]*$"
    )
}

/// A font family as styles take it: not blank, no commas, braces or control characters.
pub fn font_family_pattern() -> String {
    format!("^[^,{{}}{CONTROL}]*[^,{{}}{CONTROL}{WHITE_SPACE}][^,{{}}{CONTROL}]*$")
}

/// A style's name or an emphasis keyword: not blank (any characters otherwise).
pub fn not_blank_pattern() -> String {
    // Unanchored, as JSON Schema patterns are: one character that is not white space.
    format!("[^{WHITE_SPACE}]")
}

/// A replacement's `find`: one word, no white space or control characters
/// (`cofee_core::replace::Replacements::validate`).
pub fn one_word_pattern() -> String {
    format!("^[^{CONTROL}{WHITE_SPACE}]+$")
}

/// Text without control characters (a replacement's `replace`).
pub fn no_control_pattern() -> String {
    format!("^[^{CONTROL}]*$")
}

/// A whole number, also when written with a fraction of zero (`20.0`): JSON Schema's
/// `integer` takes those, so the API does too (serde's integers would refuse them).
pub fn whole<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::Deserialize;
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    let value = match (n.as_u64(), n.as_f64()) {
        (Some(v), _) => Some(v),
        (None, Some(f)) if f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&f) => {
            Some(f as u64)
        }
        _ => None,
    };
    value
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| D::Error::custom(format!("expected a whole number in range, not {n}")))
}

/// [`whole`], or `null`.
pub fn whole_or_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::Deserialize;
    #[derive(Deserialize)]
    struct Whole<T: TryFrom<u64>>(#[serde(deserialize_with = "whole")] T);
    Ok(Option::<Whole<T>>::deserialize(d)?.map(|Whole(v)| v))
}

/// The same JSON with the whole numbers written with a fraction of zero (`20.0`) written as
/// integers, for readers (serde's integers) that refuse those.
pub fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex::Regex;

    use super::*;

    /// Characters where the rules draw their lines, and some ordinary ones.
    fn tricky() -> impl Strategy<Value = String> {
        let chars = prop::sample::select(vec![
            'a', 'Z', '0', '@', '-', '/', '?', '#', ':', ',', '{', '}', ' ', '\t', '\n', '\r',
            '\0', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}', '\u{a0}', '\u{1680}', '\u{2000}',
            '\u{200b}', '\u{2028}', '\u{3000}', '\u{feff}', 'é', 'İ', '字', '😀', 'h', 't', 'p',
            's', 'H', 'f',
        ]);
        prop::collection::vec(chars, 0..12).prop_map(|v| v.into_iter().collect())
    }

    fn url_like() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["http://", "HTTPS://", "ftp://", "https:/", "", "hTtP://"]),
            tricky(),
        )
            .prop_map(|(a, b)| format!("{a}{b}"))
    }

    fn email_like() -> impl Strategy<Value = String> {
        (tricky(), prop::sample::select(vec!["@", "", "@@"]), tricky())
            .prop_map(|(a, at, b)| format!("{a}{at}{b}"))
    }

    proptest! {
        #[test]
        fn each_pattern_accepts_exactly_what_its_check_does(
            s in tricky(), url in url_like(), email in email_like()
        ) {
            let m = |p: &str, s: &str| Regex::new(p).unwrap().is_match(s);
            for s in [&s, &url, &email] {
                prop_assert_eq!(is_name(s, PROJECT_NAME_MAX), m(&name_pattern(), s), "name {:?}", s);
                prop_assert_eq!(is_email(s), m(&email_pattern(), s), "email {:?}", s);
                prop_assert_eq!(is_http_url(s), m(&http_url_pattern(), s), "url {:?}", s);
                prop_assert_eq!(is_language(s), m(LANGUAGE_PATTERN, s), "language {:?}", s);
                prop_assert_eq!(
                    s.parse::<cofee_core::style::Color>().is_ok(),
                    m(&color_pattern(), s),
                    "colour {:?}", s
                );
                prop_assert_eq!(
                    !s.trim().is_empty() && !s.contains([',', '{', '}']) && !s.chars().any(char::is_control),
                    m(&font_family_pattern(), s),
                    "font family {:?}", s
                );
                prop_assert_eq!(!s.trim().is_empty(), m(&not_blank_pattern(), s), "not blank {:?}", s);
                let replacement = |find: &str, replace: &str| cofee_core::replace::Replacements {
                    replacements: vec![cofee_core::replace::Replacement {
                        find: find.into(),
                        replace: replace.into(),
                        match_case: false,
                    }],
                }
                .validate()
                .is_ok();
                prop_assert_eq!(replacement(s, ""), m(&one_word_pattern(), s), "find {:?}", s);
                prop_assert_eq!(replacement("a", s), m(&no_control_pattern(), s), "replace {:?}", s);
            }
        }
    }
}
