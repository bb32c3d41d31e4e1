//! The XMP sidecar of an exported photo ("IMG_1.jpg.xmp" beside "IMG_1.jpg"): its labels as
//! keywords in `dc:subject`, so that digiKam and darktable take the tags along (and
//! `exiftool -tagsfromfile` can write them into the photos, for programs such as Lightroom
//! that read a JPEG's own XMP only), and `xmp:CreateDate` when it is known when the photo
//! was taken. Made by a template that escapes every value.

use askama::Template;

use super::PhotoEntry;
use crate::db::rfc3339;

#[derive(Template)]
#[template(path = "export_sidecar.xmp", escape = "html")]
struct Sidecar {
    subjects: Vec<String>,
    created: Option<String>,
}

/// The sidecar of one photo.
pub fn render(entry: &PhotoEntry) -> Result<String, askama::Error> {
    let mut subjects: Vec<String> = Vec::with_capacity(entry.labels.len());
    for label in &entry.labels {
        let subject = xml_text(&label.label);
        if !subject.is_empty() && !subjects.contains(&subject) {
            subjects.push(subject);
        }
    }
    Sidecar {
        subjects,
        created: entry.photo.taken_at.map(rfc3339),
    }
    .render()
}

/// Text XML 1.0 can hold: without control characters (escaping cannot carry those) and
/// the two non-characters.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::PhotoRow;
    use crate::images::Label;

    fn entry(labels: &[&str], taken_at: Option<i64>) -> PhotoEntry {
        PhotoEntry {
            path: "Trips/IMG_1.jpg".into(),
            labels: labels
                .iter()
                .enumerate()
                .map(|(i, l)| Label {
                    label: (*l).to_owned(),
                    class_index: i as i64,
                    score: 0.5,
                })
                .collect(),
            photo: PhotoRow {
                id: "p".into(),
                folder_id: None,
                filename: "IMG_1.jpg".into(),
                object_key: "u/x/y".into(),
                content_type: "image/jpeg".into(),
                bytes: 1,
                sha256: String::new(),
                width: 1,
                height: 1,
                taken_at,
                created_at: 0,
                camera: None,
                lens: None,
                model: None,
            },
        }
    }

    #[test]
    fn labels_become_escaped_keywords() {
        let xmp = render(&entry(
            &["golden retriever", "<b>&\"fish\"</b>", "bell\u{7}"],
            Some(1_689_330_600_000),
        ))
        .unwrap();
        assert!(xmp.contains("<rdf:li>golden retriever</rdf:li>"), "{xmp}");
        assert!(!xmp.contains("<b>"), "{xmp}");
        assert!(xmp.contains("&#60;b&#62;&#38;&#34;fish&#34;"), "{xmp}");
        assert!(xmp.contains("<rdf:li>bell</rdf:li>"), "{xmp}");
        assert!(
            xmp.contains("<xmp:CreateDate>2023-07-14T10:30:00Z</xmp:CreateDate>"),
            "{xmp}"
        );
        assert!(xmp.starts_with("<?xml"), "{xmp}");
    }

    #[test]
    fn a_photo_without_labels_or_date_has_neither() {
        let xmp = render(&entry(&[], None)).unwrap();
        assert!(!xmp.contains("dc:subject>"), "{xmp}");
        assert!(!xmp.contains("CreateDate"), "{xmp}");
    }
}
