//! Case-insensitive text comparison and `-like` pattern matching.

/// Lower-cases text character by character for case-insensitive comparison.
fn fold(text: &str) -> Vec<char> {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// True when the two texts are equal ignoring case.
pub(super) fn equals_ignore_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// True when `text` matches `pattern` ignoring case, where each `*` in the
/// pattern stands for any run of characters, including none.
pub(super) fn like(text: &str, pattern: &str) -> bool {
    let text = fold(text);
    let pattern = fold(pattern);
    let (mut t, mut p) = (0, 0);
    // Where the last `*` was seen, and the text index it is now matched up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, t));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}
