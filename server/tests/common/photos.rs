//! Photos: uploading them through the API, waiting until the classifier has labelled them,
//! and the test images (made here rather than committed, except the classifier's CC0
//! samples).

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::app::{TestApp, fetch};

impl TestApp {
    pub async fn upload(
        &self,
        token: &str,
        files: Vec<(&str, Vec<u8>)>,
        folder: Option<&str>,
    ) -> Response {
        let mut form = Form::new();
        for (name, data) in files {
            form = form.part("file", Part::bytes(data).file_name(name.to_owned()));
        }
        if let Some(folder) = folder {
            form = form.text("folder_id", folder.to_owned());
        }
        self.post(token, "/api/v1/images")
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Uploads one photo and returns its id.
    pub async fn photo(&self, token: &str, name: &str, folder: Option<&str>) -> String {
        self.upload_one(token, name, jpeg(64, 48), folder).await
    }

    pub async fn photo_bytes(&self, token: &str, name: &str, data: Vec<u8>) -> String {
        self.upload_one(token, name, data, None).await
    }

    pub async fn photo_bytes_in(
        &self,
        token: &str,
        name: &str,
        data: Vec<u8>,
        folder: &str,
    ) -> String {
        self.upload_one(token, name, data, Some(folder)).await
    }

    async fn upload_one(
        &self,
        token: &str,
        name: &str,
        data: Vec<u8>,
        folder: Option<&str>,
    ) -> String {
        let res = self.upload(token, vec![(name, data)], folder).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Value>().await.unwrap()[0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Waits until the photo's status is final (`done` or `error`), and returns it.
pub async fn settled(app: &TestApp, token: &str, id: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let image: Value = fetch(app.get(token, &format!("/api/v1/images/{id}"))).await;
        if image["status"] == "done" || image["status"] == "error" {
            return image;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(90),
            "still {} after 90 s",
            image["status"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A photo from the classifier's test data (CC0 / public domain).
pub fn testdata(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../classifier-lambda/testdata/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

// ---- Test images, made here rather than committed ----

fn gradient(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    })
}

fn encode(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let img = image::DynamicImage::ImageRgb8(gradient(w, h));
    let img = if format == image::ImageFormat::WebP {
        image::DynamicImage::ImageRgba8(img.to_rgba8())
    } else {
        img
    };
    img.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

/// A PNG of random pixels, which does not compress: about `3·w·h` bytes.
pub fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let [r, g, b, ..] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode test image");
    out.into_inner()
}

pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::Jpeg)
}
pub fn png(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::Png)
}
pub fn webp(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::WebP)
}
pub fn gif(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::Gif)
}

/// A JPEG with an EXIF block: an orientation and a DateTimeOriginal ("YYYY:MM:DD HH:MM:SS").
pub fn jpeg_with_exif(w: u32, h: u32, orientation: u16, taken: &str) -> Vec<u8> {
    let plain = jpeg(w, h);
    // TIFF, big-endian: IFD0 { Orientation, ExifIFDPointer } -> Exif IFD { DateTimeOriginal }.
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    let ifd0_len = 2 + 2 * 12 + 4;
    let exif_ifd_at = 8 + ifd0_len as u32;
    let date_at = exif_ifd_at + 2 + 12 + 4;
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&[0x87, 0x69, 0, 4, 0, 0, 0, 1]);
    tiff.extend_from_slice(&exif_ifd_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x90, 0x03, 0, 2, 0, 0, 0, 20]);
    tiff.extend_from_slice(&date_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(taken.as_bytes());
    tiff.push(0);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A tiny PNG that declares `w`×`h` pixels: a decompression bomb when large.
pub fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    png_declaring_pixels(w, h, 8, 2)
}

/// The same with a bit depth and PNG colour type of its own (16 and 6: 16-bit RGBA).
pub fn png_declaring_pixels(w: u32, h: u32, depth: u8, color: u8) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few kilobytes of zeros: the rows it would take are all zero.
    let zeros = vec![0u8; 64 * 1024];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &zeros).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}
