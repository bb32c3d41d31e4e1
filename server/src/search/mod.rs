//! What a search means. People ask for "the dog pictures", not for "golden retriever": a
//! word matches a photo when it names one of the photo's ImageNet labels, a synonym of it,
//! or any more general term above it in WordNet ("dog" covers 118 breeds, "vehicle" cars,
//! trucks and boats). The table of those words (`server/data/wordnet-terms.tsv`) is made
//! from WordNet 3.0 by `server/tools/wordnet_terms.py`. Every word also matches file names
//! and folder names.

mod name_words;
mod parse;
mod term;
mod vocabulary;

pub use name_words::{NAME_WORDS, NAME_WORDS_SQL, name_words_of};
pub use parse::{MAX_QUERY_CHARS, Refusal, check_length, parse, parse_with_time};
pub use term::{How, MIN_GENERAL_SCORE, Term};
pub use vocabulary::terms_starting;

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(q: &str) -> Vec<String> {
        parse(q).unwrap().into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn hypernyms_cover_their_classes() {
        let dog = &parse("dog").unwrap()[0];
        assert_eq!(dog.general.len(), 118);
        assert!(
            dog.matches(207, 0.9).is_some(),
            "a golden retriever is a dog"
        );
        assert!(
            dog.matches(207, 0.01).is_none(),
            "but not a 1% guess of one"
        );
        assert!(dog.matches(934, 0.9).is_none(), "a hot dog is not");
        let golden = &parse("golden retriever").unwrap()[0];
        assert!(
            golden.matches(207, 0.01).is_some(),
            "its own name matches at any confidence"
        );
        let cat = &parse("Cats").unwrap()[0];
        assert!(cat.matches(281, 0.5).is_some() && cat.matches(283, 0.5).is_some());
        assert_eq!(parse("vehicle").unwrap()[0].general.len(), 67);
        assert_eq!(parse("birds").unwrap()[0].general.len(), 59);
    }

    #[test]
    fn phrases_plurals_and_filler() {
        assert_eq!(texts("photos of Golden Retrievers"), ["golden retriever"]);
        assert_eq!(texts("dog beach"), ["dog", "beach"]);
        assert_eq!(texts("mice"), ["mouse"]);
        assert_eq!(texts("wolves"), ["wolf"]);
        assert_eq!(texts("butterflies"), ["butterfly"]);
        assert_eq!(texts("parties"), ["party"], "not a class: kept for names");
        assert_eq!(texts("Boats"), ["boat"]);
        assert_eq!(texts("the"), ["the"], "a query of filler alone is kept");
        assert!(parse("   ").is_err());
        assert!(parse(&"x".repeat(10_000)).is_err());
    }
}

#[cfg(test)]
mod name_tests {
    use super::parse;

    #[test]
    fn a_term_is_in_a_name_as_whole_words() {
        let cat = &parse("cat").unwrap()[0];
        for name in [
            "cat.jpg",
            "my cat 2.png",
            "Cats.JPG",
            "IMG_cat_01.jpg",
            "cat-(1).jpg",
        ] {
            assert!(cat.in_name(name), "{name}");
        }
        for name in ["catalog.jpg", "bobcat.jpg", "concatenate", "ca t.jpg"] {
            assert!(!cat.in_name(name), "{name}");
        }
        let phrase = &parse("golden retriever").unwrap()[0];
        assert!(phrase.in_name("Golden_Retriever-2.jpg"));
        assert_eq!(cat.name_patterns()[0], "% cat %");
    }
}
