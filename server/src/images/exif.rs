//! What the gallery reads of a photo's EXIF: when it was taken, with which camera and lens.

use crate::spool::Source;

/// What the gallery shows of a photo's EXIF: when it was taken, with what.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Exif {
    pub taken_at: Option<i64>,
    pub camera: Option<String>,
    pub lens: Option<String>,
}

impl Exif {
    /// The facts of a photo's EXIF, each `None` where it has none (or no EXIF at all).
    pub(super) fn read(source: &mut impl Source) -> Self {
        let Ok(exif) = exif::Reader::new().read_from_container(source) else {
            return Self::default();
        };
        let text = |tag| {
            let field = exif.get_field(tag, exif::In::PRIMARY)?;
            let exif::Value::Ascii(ref parts) = field.value else {
                return None;
            };
            let text: String = String::from_utf8_lossy(parts.first()?)
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            let text = text.trim().to_owned();
            (!text.is_empty()).then_some(text)
        };
        Self {
            taken_at: taken_at(&exif),
            camera: joined(text(exif::Tag::Make), text(exif::Tag::Model)),
            lens: joined(text(exif::Tag::LensMake), text(exif::Tag::LensModel)),
        }
    }
}

/// A maker and a model as people say them: "Canon EOS 5D", not "Canon Canon EOS 5D".
fn joined(make: Option<String>, model: Option<String>) -> Option<String> {
    match (make, model) {
        (Some(make), Some(model)) => {
            let first = make.split_whitespace().next().unwrap_or_default();
            if model.to_lowercase().starts_with(&first.to_lowercase()) {
                Some(model)
            } else {
                Some(format!("{make} {model}"))
            }
        }
        (make, model) => model.or(make),
    }
}

/// When the photo was taken, from EXIF `DateTimeOriginal` (or `DateTime`), in epoch ms.
/// Without an offset tag the camera's local time is taken as UTC.
fn taken_at(exif: &exif::Exif) -> Option<i64> {
    let field = exif
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| exif.get_field(exif::Tag::DateTime, exif::In::PRIMARY))?;
    let exif::Value::Ascii(ref parts) = field.value else {
        return None;
    };
    let mut dt = exif::DateTime::from_ascii(parts.first()?).ok()?;
    if let Some(offset) = exif.get_field(exif::Tag::OffsetTimeOriginal, exif::In::PRIMARY)
        && let exif::Value::Ascii(ref o) = offset.value
        && let Some(o) = o.first()
    {
        let _ = dt.parse_offset(o);
    }
    let date = time::Date::from_calendar_date(
        i32::from(dt.year),
        time::Month::try_from(dt.month).ok()?,
        dt.day,
    )
    .ok()?;
    let clock = time::Time::from_hms(dt.hour, dt.minute, dt.second).ok()?;
    let offset =
        time::UtcOffset::from_whole_seconds(i32::from(dt.offset.unwrap_or(0)) * 60).ok()?;
    let at = time::PrimitiveDateTime::new(date, clock).assume_offset(offset);
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod exif_tests {
    use super::joined;

    #[test]
    fn a_camera_is_named_as_people_say_it() {
        let s = |t: &str| Some(t.to_owned());
        assert_eq!(
            joined(s("Canon"), s("Canon EOS 5D Mark IV")).as_deref(),
            Some("Canon EOS 5D Mark IV")
        );
        assert_eq!(
            joined(s("NIKON CORPORATION"), s("NIKON D750")).as_deref(),
            Some("NIKON D750")
        );
        assert_eq!(
            joined(s("FUJIFILM"), s("X-T3")).as_deref(),
            Some("FUJIFILM X-T3")
        );
        assert_eq!(joined(None, s("X-T3")).as_deref(), Some("X-T3"));
        assert_eq!(joined(s("Apple"), None).as_deref(), Some("Apple"));
        assert_eq!(joined(None, None), None);
    }
}
