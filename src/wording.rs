//! Small rules for the interface's English: counts with the right noun
//! form, and messages written as sentences.

/// "1 release", "5 releases", "0 releases".
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A message shown on its own (not after a field name), as a sentence: its
/// first letter capitalised. Validation messages are written to follow a
/// field name ("is 301 characters long") or as clauses ("a title is
/// required"); `label` is put before the first kind.
pub fn sentence(label: &str, message: &str) -> String {
    let message = message.trim();
    const CONTINUATIONS: &[&str] = &["is ", "must ", "cannot ", "can ", "has ", "does "];
    let text = if CONTINUATIONS.iter().any(|c| message.starts_with(c)) {
        format!("{label} {message}")
    } else {
        message.to_owned()
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(counted(1, "release", "releases"), "1 release");
        assert_eq!(counted(5, "release", "releases"), "5 releases");
        assert_eq!(counted(0, "release", "releases"), "0 releases");
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            sentence("Title", "a title is required"),
            "A title is required"
        );
        assert_eq!(
            sentence("Title", "is 301 characters long; at most 300 are allowed"),
            "Title is 301 characters long; at most 300 are allowed"
        );
        assert_eq!(sentence("Body", "ünïcode first"), "Ünïcode first");
    }
}
