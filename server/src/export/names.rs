//! The names inside an export: folder and file names made safe to unpack anywhere (no
//! path tricks, nothing Windows refuses), and made unique per directory ("IMG_1.jpg",
//! "IMG_1 (2).jpg"), ignoring case as the file systems of macOS and Windows do.

use std::collections::{HashMap, HashSet};

/// The suffix of a photo's XMP sidecar: "IMG_1.jpg" → "IMG_1.jpg.xmp", the name darktable
/// and digiKam look for first (and digiKam also reads "IMG_1.xmp").
pub const SIDECAR_SUFFIX: &str = ".xmp";

/// Names Windows keeps for devices, whatever the extension.
const DEVICES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// One name of a path as it may stand in an archive: never empty, never `.` or `..`, no
/// separators, control characters or characters Windows refuses, no trailing dots or
/// spaces, no device names.
pub fn clean(name: &str, fallback: &str) -> String {
    let replaced: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if "/\\:*?\"<>|".contains(c) { '_' } else { c })
        .collect();
    let trimmed = replaced.trim().trim_end_matches(['.', ' ']);
    if trimmed.is_empty() {
        return fallback.to_owned();
    }
    let stem = trimmed.split('.').next().unwrap_or_default().trim_end();
    if DEVICES.iter().any(|d| d.eq_ignore_ascii_case(stem)) {
        return format!("_{trimmed}");
    }
    trimmed.to_owned()
}

/// `dir/name`, or `name` at the top.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The names taken so far in each directory of an archive.
#[derive(Default)]
pub struct Names {
    taken: HashMap<String, HashSet<String>>,
}

impl Names {
    /// Takes `name` in `dir` when it is free; whether it was.
    pub fn reserve(&mut self, dir: &str, name: &str) -> bool {
        self.taken
            .entry(dir.to_owned())
            .or_default()
            .insert(name.to_lowercase())
    }

    /// The first free name of `name`, `name (2)`, `name (3)`… in `dir` (the number before
    /// the extension), taken. With `sidecar`, that name's sidecar must be free too and is
    /// taken with it.
    pub fn unique(&mut self, dir: &str, name: &str, sidecar: bool) -> String {
        let (stem, extension) = split_extension(name);
        let taken = self.taken.entry(dir.to_owned()).or_default();
        let is_taken = |candidate: &str| {
            taken.contains(&candidate.to_lowercase())
                || (sidecar
                    && taken.contains(&format!("{candidate}{SIDECAR_SUFFIX}").to_lowercase()))
        };
        let mut candidate = name.to_owned();
        let mut n = 1;
        while is_taken(&candidate) {
            n += 1;
            candidate = format!("{stem} ({n}){extension}");
        }
        taken.insert(candidate.to_lowercase());
        if sidecar {
            taken.insert(format!("{candidate}{SIDECAR_SUFFIX}").to_lowercase());
        }
        candidate
    }
}

/// "IMG_1.jpg" → ("IMG_1", ".jpg"); a name without a stem before its dot (".hidden") or
/// without a dot has no extension.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(at) if at > 0 => name.split_at(at),
        _ => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_numbered_before_the_extension() {
        let mut names = Names::default();
        assert_eq!(names.unique("Trips", "IMG_1.jpg", false), "IMG_1.jpg");
        assert_eq!(names.unique("Trips", "IMG_1.jpg", false), "IMG_1 (2).jpg");
        assert_eq!(names.unique("Trips", "img_1.JPG", false), "img_1 (3).JPG");
        assert_eq!(names.unique("Other", "IMG_1.jpg", false), "IMG_1.jpg");
        assert_eq!(names.unique("", "README", false), "README");
        assert_eq!(names.unique("", "README", false), "README (2)");
    }

    #[test]
    fn a_photo_and_its_sidecar_take_their_names_together() {
        let mut names = Names::default();
        assert_eq!(names.unique("", "a.jpg.xmp", true), "a.jpg.xmp");
        // "a.jpg" is free, but its sidecar's name is not.
        assert_eq!(names.unique("", "a.jpg", true), "a (2).jpg");
        assert!(!names.reserve("", "A (2).JPG.XMP"));
        assert!(names.reserve("", "gallery.json"));
        assert_eq!(names.unique("", "gallery.json", true), "gallery (2).json");
    }

    #[test]
    fn names_cannot_climb_out_or_trouble_windows() {
        assert_eq!(clean("..", "photo"), "photo");
        assert_eq!(clean(".", "photo"), "photo");
        assert_eq!(clean("  ", "folder"), "folder");
        assert_eq!(clean("a/../b", "photo"), "a_.._b");
        assert_eq!(clean("C:\\x", "photo"), "C__x");
        assert_eq!(clean("what?.jpg", "photo"), "what_.jpg");
        assert_eq!(clean("tab\there", "photo"), "tabhere");
        assert_eq!(clean("name. ", "photo"), "name");
        assert_eq!(clean("con.jpg", "photo"), "_con.jpg");
        assert_eq!(clean("Été 2024", "folder"), "Été 2024");
        assert_eq!(join("", "a.jpg"), "a.jpg");
        assert_eq!(join("Trips/Hawaii", "a.jpg"), "Trips/Hawaii/a.jpg");
    }
}
