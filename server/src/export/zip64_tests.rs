//! An archive past 4 GiB, written as exports are (a stream that cannot seek) and read back
//! whole by the `zip` crate's reader: the large entry and the ones after it (whose offsets
//! need ZIP64) come back intact. The 4 GiB of zeros are not kept: the sink remembers only
//! the archive's headers and the holes between them.

use std::io::{self, Read, Seek, SeekFrom, Write};

use bytes::Bytes;

use super::archive::{self, Original};
use super::{FolderEntry, FolderRow, PhotoEntry, PhotoRow, Plan};
use crate::images::Label;

/// A file of zeros except where something else was written.
#[derive(Default)]
struct Sparse {
    len: u64,
    /// Runs of bytes that are not (known to be) zeros, by offset.
    runs: Vec<(u64, Vec<u8>)>,
    at: u64,
}

impl Write for Sparse {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The originals of this test are zeros, written in chunks of 1 MiB; headers are
        // small and start with a signature.
        let hole = buf.len() >= 4096 && buf[0] == 0 && buf[buf.len() - 1] == 0;
        if !hole {
            match self.runs.last_mut() {
                Some((start, run)) if *start + run.len() as u64 == self.len => {
                    run.extend_from_slice(buf)
                }
                _ => self.runs.push((self.len, buf.to_vec())),
            }
        }
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Sparse {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.len {
            return Ok(0);
        }
        let at = self.at;
        let next = self.runs.partition_point(|(start, _)| *start <= at);
        let n = match next.checked_sub(1).map(|i| &self.runs[i]) {
            Some((start, run)) if at < start + run.len() as u64 => {
                let from = (at - start) as usize;
                let n = buf.len().min(run.len() - from);
                buf[..n].copy_from_slice(&run[from..from + n]);
                n
            }
            _ => {
                let end = self.runs.get(next).map_or(self.len, |(start, _)| *start);
                let n = buf.len().min((end - at) as usize);
                buf[..n].fill(0);
                n
            }
        };
        self.at += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.at = match pos {
            SeekFrom::Start(n) => n,
            SeekFrom::End(d) => self.len.saturating_add_signed(d),
            SeekFrom::Current(d) => self.at.saturating_add_signed(d),
        };
        Ok(self.at)
    }
}

fn photo(id: &str, bytes: u64) -> PhotoRow {
    PhotoRow {
        id: id.into(),
        folder_id: Some("f".into()),
        filename: format!("{id}.jpg"),
        object_key: format!("u/x/{id}"),
        content_type: "image/jpeg".into(),
        bytes: bytes as i64,
        sha256: String::new(),
        width: 1,
        height: 1,
        taken_at: None,
        created_at: 0,
        camera: None,
        lens: None,
        model: Some("test".into()),
    }
}

const BIG: u64 = (4 << 30) + (1 << 20);

#[test]
fn an_archive_past_4_gib_reads_back_whole() {
    let plan = Plan {
        filename: "x.zip".into(),
        folders: vec![FolderEntry {
            folder: FolderRow {
                id: "f".into(),
                name: "Big".into(),
                parent_id: None,
            },
            path: "Big".into(),
        }],
        photos: vec![
            PhotoEntry {
                photo: photo("big", BIG),
                path: "Big/big.jpg".into(),
                labels: Vec::new(),
            },
            PhotoEntry {
                photo: photo("after", 5),
                path: "Big/after.jpg".into(),
                labels: vec![Label {
                    label: "tabby".into(),
                    class_index: 281,
                    score: 0.9,
                }],
            },
        ],
        metadata: true,
    };
    let zeros = Bytes::from(vec![0u8; 1 << 20]);
    let open = |p: &PhotoRow| -> io::Result<Option<Original>> {
        let chunks: Box<dyn Iterator<Item = io::Result<Bytes>> + Send> = if p.id == "big" {
            let zeros = zeros.clone();
            Box::new((0..BIG >> 20).map(move |_| Ok(zeros.clone())))
        } else {
            Box::new(std::iter::once(Ok(Bytes::from_static(b"hello"))))
        };
        Ok(Some(Original {
            len: p.bytes as u64,
            chunks,
        }))
    };
    let mut sparse = Sparse::default();
    archive::write(&plan, open, &mut sparse).unwrap();
    assert!(sparse.len > BIG);

    let mut zip = zip::ZipArchive::new(sparse).expect("a readable archive");
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    for name in [
        "Big/",
        "Big/big.jpg",
        "Big/big.jpg.xmp",
        "Big/after.jpg",
        "Big/after.jpg.xmp",
        "gallery.json",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    {
        let mut big = zip.by_name("Big/big.jpg").unwrap();
        assert_eq!(big.size(), BIG);
        assert_eq!(big.compression(), zip::CompressionMethod::Stored);
        // Reading it to the end checks its CRC.
        assert_eq!(io::copy(&mut big, &mut io::sink()).unwrap(), BIG);
    }
    let mut after = String::new();
    let mut entry = zip.by_name("Big/after.jpg").unwrap();
    assert!(entry.header_start() > u64::from(u32::MAX));
    entry.read_to_string(&mut after).unwrap();
    assert_eq!(after, "hello");
    drop(entry);
    let mut index = String::new();
    zip.by_name("gallery.json")
        .unwrap()
        .read_to_string(&mut index)
        .unwrap();
    let index: serde_json::Value = serde_json::from_str(&index).unwrap();
    assert_eq!(index["photos"][1]["labels"][0]["label"], "tabby");
    assert_eq!(index["photos"][0]["bytes"], BIG);
}
