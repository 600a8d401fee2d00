//! Which characters players may show each other: display names and chat lines.
//!
//! Control characters (Unicode category Cc) break lines and terminals. The characters of
//! [`HIDDEN_CHARS`] are worse because they look like nothing: a right-to-left override shows
//! the rest of a line backwards, an isolate or embedding reorders it, and zero-width and
//! other invisible characters make `admin` and `ad\u{200B}min` look the same, or a name
//! look empty. Refusing them stops that display spoofing (and filter evasion by invisible
//! characters between letters) without touching any script: letters, marks, emoji and their
//! variation selectors stay allowed. PROTOCOL.md §2 lists the same set; keep them equal.

/// Ranges (inclusive) refused in names and chat besides control characters: Unicode's
/// `Default_Ignorable_Code_Point` set (unchanged from Unicode 14 to 16) except its variation
/// selectors, plus the line and paragraph separators.
///
/// The variation selectors (U+180B–U+180D, U+180F, U+FE00–U+FE0F, U+E0100–U+E01EF) are
/// left out on purpose: they only pick a glyph of the character before them (U+FE0F makes
/// ❤ the emoji ❤️, which phone keyboards send), so refusing them would refuse ordinary
/// chat. They cannot reorder text; what they could hide, names (which need not be unique)
/// and chat do not depend on.
pub const HIDDEN_CHARS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{034F}', '\u{034F}'),   // combining grapheme joiner
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark (a bidirectional mark)
    ('\u{115F}', '\u{1160}'),   // Hangul choseong and jungseong fillers (blank)
    ('\u{17B4}', '\u{17B5}'),   // Khmer inherent vowels (invisible)
    ('\u{180E}', '\u{180E}'),   // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'),   // zero width space, non-joiner, joiner; LRM, RLM
    ('\u{2028}', '\u{2029}'),   // line and paragraph separators
    ('\u{202A}', '\u{202E}'),   // bidirectional embeddings, pop, overrides
    ('\u{2060}', '\u{206F}'),   // word joiner, invisible operators, isolates, deprecated
    ('\u{3164}', '\u{3164}'),   // Hangul filler (blank)
    ('\u{FEFF}', '\u{FEFF}'),   // zero width no-break space (byte order mark)
    ('\u{FFA0}', '\u{FFA0}'),   // halfwidth Hangul filler (blank)
    ('\u{FFF0}', '\u{FFF8}'),   // unassigned, reserved as ignorable
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol format controls (beams, ties, slurs)
    ('\u{E0000}', '\u{E00FF}'), // tag characters (invisible ASCII) and reserved
    ('\u{E01F0}', '\u{E0FFF}'), // reserved as ignorable
];

/// Whether display names and chat refuse `c`: a control character or one of
/// [`HIDDEN_CHARS`].
pub fn is_refused_char(c: char) -> bool {
    // Everything below the soft hyphen is refused only if it is a control character.
    c.is_control() || (c >= '\u{00AD}' && HIDDEN_CHARS.iter().any(|&(a, b)| a <= c && c <= b))
}

/// The first character of `text` that names and chat refuse, if any.
pub fn refused_char(text: &str) -> Option<char> {
    text.chars().find(|c| is_refused_char(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_zero_width_and_invisible_characters_are_refused() {
        for &(a, b) in HIDDEN_CHARS {
            assert!(a <= b);
            for c in [a, b] {
                assert!(is_refused_char(c), "U+{:04X}", c as u32);
            }
        }
        // The ones the issue names, one by one.
        let named = (0x200B..=0x200F)
            .chain(0x202A..=0x202E)
            .chain(0x2060..=0x2064)
            .chain(0x2066..=0x2069)
            .chain([0xFEFF, 0x061C, 0x00AD, 0x3164, 0xE0041, 0x2028]);
        for u in named {
            let c = char::from_u32(u).unwrap();
            assert!(is_refused_char(c), "U+{u:04X}");
            assert_eq!(refused_char(&format!("ada{c}x")), Some(c));
        }
        for c in ['\n', '\t', '\u{7F}', '\u{85}', '\0'] {
            assert!(is_refused_char(c), "control U+{:04X}", c as u32);
        }
    }

    #[test]
    fn letters_marks_emoji_and_variation_selectors_are_allowed() {
        let fine =
            "Ada Łódź ليلى 東京 ❤\u{FE0F} e\u{301} 葛\u{E0100} ᠠ\u{180B} \u{200A}x \u{3000}y";
        assert_eq!(refused_char(fine), None);
        // Neighbours of the refused ranges.
        for u in [0xAC, 0xAE, 0x2027, 0x202F, 0x205F, 0x3165, 0xFEFE, 0xFF00, 0xFFF9, 0x1D172] {
            let c = char::from_u32(u).unwrap();
            assert!(!is_refused_char(c), "U+{u:04X}");
        }
    }
}
