//! What may be shown to whoever sent a file: tool messages (FFmpeg's, the engines') name the
//! server's files by absolute path, and those paths are nobody's business outside the logs.

/// Characters that end a path inside a message.
fn ends_path(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\'' | '"' | '`' | ',' | ';' | ')' | ']' | '>' | '<' | '(')
}

/// `message` with every absolute path (a `/` starting a word, with at least one more `/` before
/// the word ends) replaced by `<file>`; a trailing `:` stays, as in `PATH: Invalid data`.
pub fn without_paths(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('/') {
        let starts_word =
            rest[..start].chars().next_back().is_none_or(|c| ends_path(c) || c == '=' || c == ':');
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let len = tail.find(ends_path).unwrap_or(tail.len());
        let mut word = &tail[..len];
        let mut after = &tail[len..];
        // `file:/srv/x: Invalid data`: the colon that follows a path is the message's.
        while let Some(w) = word.strip_suffix(':') {
            after = &tail[w.len()..];
            word = w;
        }
        if starts_word && word.len() > 1 && word[1..].contains('/') {
            out.push_str("<file>");
        } else {
            out.push_str(word);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::without_paths;

    #[test]
    fn server_paths_become_file_and_the_rest_stays() {
        assert_eq!(
            without_paths(
                "/var/lib/cofee/tmp/upload-1a2b: Invalid data found when processing input"
            ),
            "<file>: Invalid data found when processing input"
        );
        assert_eq!(
            without_paths("cannot read file:/srv/cofee/x.mp4 (No such file)"),
            "cannot read file:<file> (No such file)"
        );
        assert_eq!(
            without_paths("ffmpeg failed (exit 1): 'x/y' and 1/2 of /tmp"),
            "ffmpeg failed (exit 1): 'x/y' and 1/2 of /tmp"
        );
        assert_eq!(without_paths("at \"/home/u/a b\""), "at \"<file> b\"");
        assert_eq!(without_paths("no slash here"), "no slash here");
        assert_eq!(without_paths("ends with /a/b:"), "ends with <file>:");
    }
}
