//! How a name is searched: by the start of any of its words, in any letter
//! case and with or without Latvian diacritics ("kalni" finds Kalniņa). The
//! vault keeps only keyed digests of these prefixes, never the name; this
//! module says which prefixes a name has and which a search asks for.

use crate::{DomainError, ErrorCode};

/// Shorter prefixes would match most of the register.
pub const MIN_SEARCH_LETTERS: usize = 3;
/// Longer words are indexed by their first letters only.
pub const MAX_PREFIX_LETTERS: usize = 24;
/// A search names at most this many words.
pub const MAX_SEARCH_WORDS: usize = 4;

/// A word in lower case without diacritics.
fn fold(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ā' | 'á' | 'à' | 'ä' | 'å' => 'a',
            'č' | 'ç' => 'c',
            'ē' | 'é' | 'è' | 'ë' => 'e',
            'ģ' => 'g',
            'ī' | 'í' | 'ì' | 'ï' => 'i',
            'ķ' => 'k',
            'ļ' | 'ł' => 'l',
            'ņ' | 'ñ' => 'n',
            'ō' | 'ó' | 'ò' | 'ö' | 'õ' => 'o',
            'ŗ' => 'r',
            'š' => 's',
            'ū' | 'ú' | 'ù' | 'ü' => 'u',
            'ž' => 'z',
            other => other,
        })
        .collect()
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
}

/// Every prefix of every word of the name that a search could ask for.
pub fn prefixes(name: &str) -> Vec<String> {
    let mut all: Vec<String> = words(name)
        .flat_map(|word| {
            let letters: Vec<char> = word.chars().take(MAX_PREFIX_LETTERS).collect();
            (MIN_SEARCH_LETTERS..=letters.len())
                .map(|n| letters[..n].iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The prefixes a search asks for: a name matches when each of them starts
/// one of its words.
pub fn search_terms(search: &str) -> Result<Vec<String>, DomainError> {
    let mut terms: Vec<String> = words(search)
        .map(|w| w.chars().take(MAX_PREFIX_LETTERS).collect::<String>())
        .collect();
    terms.sort();
    terms.dedup();
    if terms.is_empty() {
        return Err(DomainError::on("search", ErrorCode::Required, "name at least one word"));
    }
    if terms.len() > MAX_SEARCH_WORDS {
        let message = format!("name at most {MAX_SEARCH_WORDS} words");
        return Err(DomainError::on("search", ErrorCode::OutOfRange, message));
    }
    if terms.iter().any(|t| t.chars().count() < MIN_SEARCH_LETTERS) {
        let message = format!("each word needs at least {MIN_SEARCH_LETTERS} letters");
        return Err(DomainError::on("search", ErrorCode::OutOfRange, message));
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(name: &str, search: &str) -> bool {
        let indexed = prefixes(name);
        search_terms(search).unwrap().iter().all(|t| indexed.contains(t))
    }

    #[test]
    fn a_name_is_found_by_the_start_of_its_words_in_any_case_and_without_diacritics() {
        assert!(finds("Anna Kalniņa", "kalniņa"));
        assert!(finds("Anna Kalniņa", "KALNINA"));
        assert!(finds("Anna Kalniņa", "kal ann"));
        assert!(finds("Jānis Bērziņš-Ozols", "ozo"));
        assert!(!finds("Anna Kalniņa", "alni"), "only the start of a word");
        assert!(!finds("Anna Kalniņa", "kalniņa ozols"), "every word must match");
    }

    #[test]
    fn short_or_empty_searches_are_refused() {
        for search in ["", "  -- ", "an", "anna k", "a b c d e"] {
            assert!(search_terms(search).is_err(), "{search:?}");
        }
    }

    #[test]
    fn long_words_are_indexed_and_searched_by_their_first_letters() {
        let word = "a".repeat(40);
        assert_eq!(prefixes(&word).len(), MAX_PREFIX_LETTERS - MIN_SEARCH_LETTERS + 1);
        assert!(finds(&word, &word));
    }
}
