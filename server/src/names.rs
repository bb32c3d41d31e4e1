//! Names people give to folders and files, as they will be shown to them.

/// Characters that reorder the text around them: in a name they can make "gpj.exe" read
/// as "exe.jpg", so they are never kept.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The name without bidirectional control characters.
pub fn without_bidi_controls(name: &str) -> String {
    name.chars().filter(|c| !is_bidi_control(*c)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reordering_marks_are_dropped() {
        assert_eq!(
            super::without_bidi_controls("photo\u{202E}gpj.exe"),
            "photogpj.exe"
        );
        assert_eq!(super::without_bidi_controls("Été 2024"), "Été 2024");
    }
}
