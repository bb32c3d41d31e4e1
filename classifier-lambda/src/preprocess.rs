//! From file bytes to the network's input: decode (JPEGs at a reduced scale when the
//! model needs far fewer pixels), EXIF orientation, resize of the shorter side, centre
//! crop, normalisation. The same steps as `tools/reference.py` does with Pillow.

use std::io::Cursor;

use fast_image_resize::images::{Image as FirImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use crate::Error;
use crate::model::{Description, Interpolation, Layout};

/// Largest accepted image, in pixels, to bound memory on hostile input.
const MAX_PIXELS: u64 = 200_000_000;

/// Decodes an image to RGB, upright. A JPEG is decoded by libjpeg-turbo at the largest
/// DCT reduction (1/2, 1/4, 1/8) that keeps both sides at least `min_side` pixels — the
/// rule of Pillow's `Image.draft()`.
pub fn decode(bytes: &[u8], min_side: u32) -> Result<RgbImage, Error> {
    let format = image::guess_format(bytes)
        .map_err(|_| Error::Decode("not a JPEG, PNG, WebP or GIF image".into()))?;
    let image = match format {
        ImageFormat::Jpeg => decode_jpeg(bytes, min_side)?,
        ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif => decode_other(bytes, format)?,
        other => return Err(Error::Decode(format!("{other:?} images are not supported"))),
    };
    Ok(image)
}

fn decode_other(bytes: &[u8], format: ImageFormat) -> Result<RgbImage, Error> {
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|e| Error::Decode(e.to_string()))?;
    check_size(decoder.dimensions())?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| Error::Decode(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(flatten(image))
}

/// Transparent pixels are laid over white (`tools/reference.py` composites the same way).
pub fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over =
            |c: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

fn check_size((w, h): (u32, u32)) -> Result<(), Error> {
    if u64::from(w) * u64::from(h) > MAX_PIXELS || w == 0 || h == 0 {
        return Err(Error::Decode(format!(
            "the image is {w}\u{d7}{h} pixels, beyond what is accepted"
        )));
    }
    Ok(())
}

/// The DCT reduction `n` (1, 2, 4 or 8) that Pillow's `draft` picks.
pub fn draft_scale(width: u32, height: u32, min_side: u32) -> u32 {
    let fits = (width / min_side.max(1)).min(height / min_side.max(1));
    [8, 4, 2, 1].into_iter().find(|&n| n <= fits).unwrap_or(1)
}

fn decode_jpeg(bytes: &[u8], min_side: u32) -> Result<RgbImage, Error> {
    decode_reduced(bytes, |w, h| draft_scale(w, h, min_side))
}

/// Decodes a JPEG upright by libjpeg-turbo at the DCT reduction (1, 2, 4 or 8) that
/// `scale` picks from its size.
pub fn decode_reduced(bytes: &[u8], scale: impl Fn(u32, u32) -> u32) -> Result<RgbImage, Error> {
    decode_stored(bytes, scale).map(Stored::upright)
}

/// A JPEG as libjpeg-turbo decoded it at a DCT reduction: still as stored, not yet turned
/// upright, so that its 8×8 blocks are where the file has them.
pub struct Stored {
    pub image: RgbImage,
    pub orientation: Orientation,
    /// The reduction it was decoded at: 1, 2, 4 or 8.
    pub scale: u32,
    /// The JPEG's own size.
    pub width: u32,
    pub height: u32,
    sampling: Sampling,
}

/// How a JPEG's colour is sampled, as far as [`Stored::reduced`] needs to know.
#[derive(Debug, Clone, Copy)]
enum Sampling {
    Gray,
    /// Y, Cb, Cr with luma samples per chroma sample across and down (2, 2 for 4:2:0).
    YCbCr(u32, u32),
    /// RGB, CMYK or a sampling libjpeg-turbo does not name.
    Other,
}

/// Decodes a JPEG by libjpeg-turbo at the DCT reduction (1, 2, 4 or 8) that `scale` picks
/// from its size, and leaves it as stored.
pub fn decode_stored(bytes: &[u8], scale: impl Fn(u32, u32) -> u32) -> Result<Stored, Error> {
    let bad = |e: turbojpeg::Error| Error::Decode(format!("the JPEG could not be decoded: {e}"));
    let mut decompressor = turbojpeg::Decompressor::new().map_err(bad)?;
    let header = decompressor.read_header(bytes).map_err(bad)?;
    let (width, height) = (header.width as u32, header.height as u32);
    check_size((width, height))?;
    let n = match scale(width, height) {
        n @ (1 | 2 | 4 | 8) => n,
        _ => 1,
    };
    let factor = turbojpeg::ScalingFactor::new(1, n as usize);
    decompressor.set_scaling_factor(factor).map_err(bad)?;
    let scaled = header.scaled(factor);
    let mut pixels = vec![0u8; scaled.width * scaled.height * 3];
    let output = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: scaled.width,
        pitch: scaled.width * 3,
        height: scaled.height,
        format: turbojpeg::PixelFormat::RGB,
    };
    decompressor.decompress(bytes, output).map_err(bad)?;
    let image = RgbImage::from_raw(scaled.width as u32, scaled.height as u32, pixels)
        .ok_or_else(|| Error::Decode("the JPEG decoded to an unexpected size".into()))?;
    let sampling = match (header.colorspace, header.subsamp) {
        (_, turbojpeg::Subsamp::Gray) => Sampling::Gray,
        (turbojpeg::Colorspace::YCbCr, turbojpeg::Subsamp::Unknown) => Sampling::Other,
        (turbojpeg::Colorspace::YCbCr, s) => Sampling::YCbCr(s.width() as u32, s.height() as u32),
        _ => Sampling::Other,
    };
    Ok(Stored {
        image,
        orientation: jpeg_orientation(bytes),
        scale: n,
        width,
        height,
        sampling,
    })
}

impl Stored {
    /// The pixels turned upright.
    pub fn upright(self) -> RgbImage {
        turn(self.image, self.orientation)
    }

    /// The JPEG as libjpeg-turbo would decode it at the coarser reduction `n`, made from
    /// these pixels rather than by decoding the file again; as stored, not turned. `None`
    /// when `n` is finer than this decode or the colour space is one it does not know.
    ///
    /// libjpeg-turbo's reduced IDCTs (2, 4 or 1 samples of an 8×8 block's 8) give the means
    /// of the full IDCT's samples over 4, 2 or 8 of them: the even frequencies they leave
    /// out sum to nothing over those. So the coarser decode is box means of a finer one:
    /// luma over `n / scale` samples; chroma, which libjpeg-turbo scales by the IDCT rather
    /// than upsampling where the sampling allows, over its own boxes, repeated where it
    /// upsamples. Colour conversion being linear, both run on R, G and B. What is left is
    /// rounding: a fraction of a level on average (`tests/pipeline.rs` holds it there).
    pub fn reduced(&self, n: u32) -> Option<RgbImage> {
        if n == self.scale {
            return Some(self.image.clone());
        }
        if n < self.scale || !matches!(n, 2 | 4 | 8) {
            return None;
        }
        let (ow, oh) = (self.width.div_ceil(n), self.height.div_ceil(n));
        let ratio = (n / self.scale) as usize;
        let luma = box_means(&self.image, (ratio, ratio), (1, 1), ow, oh);
        let (hf, vf) = match self.sampling {
            Sampling::Gray => {
                let pixels = luma.iter().map(|&v| level(v)).collect();
                return RgbImage::from_raw(ow, oh, pixels);
            }
            Sampling::YCbCr(h, v) => (h as usize, v as usize),
            Sampling::Other => return None,
        };
        // libjpeg-turbo's IDCT size for chroma at reduction `n` (jdmaster.c): the luma's,
        // doubled while a chroma block still spans twice as many output samples.
        let min = 8 / n as usize;
        let mut k = min;
        while k < 8 && (hf * min).is_multiple_of(k * 2) && (vf * min).is_multiple_of(k * 2) {
            k *= 2;
        }
        // A chroma block spans this many samples of this decode, and of the coarser one.
        let scale = self.scale as usize;
        let (this_w, this_h) = (8 * hf / scale, 8 * vf / scale);
        let (that_w, that_h) = (8 * hf / n as usize, 8 * vf / n as usize);
        if this_w % k != 0 || this_h % k != 0 || that_w % k != 0 || that_h % k != 0 {
            return None;
        }
        let (group, repeat) = ((this_w / k, this_h / k), (that_w / k, that_h / k));
        if group == (ratio, ratio) && repeat == (1, 1) {
            // Chroma over the same boxes as luma (4:2:0 and 4:4:4 at 1/8): the means are
            // the colours.
            return RgbImage::from_raw(ow, oh, luma.iter().map(|&v| level(v)).collect());
        }
        let chroma = box_means(&self.image, group, repeat, ow, oh);
        let mut pixels = Vec::with_capacity(luma.len());
        for (l, c) in luma.chunks_exact(3).zip(chroma.chunks_exact(3)) {
            let y = f32::from(level(0.299 * l[0] + 0.587 * l[1] + 0.114 * l[2]));
            let cb = 0.5 * c[2] - 0.168_736 * c[0] - 0.331_264 * c[1];
            let cr = 0.5 * c[0] - 0.418_688 * c[1] - 0.081_312 * c[2];
            let (cb, cr) = (
                f32::from(level(cb + 128.0)) - 128.0,
                f32::from(level(cr + 128.0)) - 128.0,
            );
            pixels.push(level(y + 1.402 * cr));
            pixels.push(level(y - 0.344_136 * cb - 0.714_136 * cr));
            pixels.push(level(y + 1.772 * cb));
        }
        RgbImage::from_raw(ow, oh, pixels)
    }
}

/// A sample rounded and clamped to 0..=255, as libjpeg-turbo range-limits its output.
fn level(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// Means of `R`, `G` and `B` over boxes of `group` (across, down) samples of `image`, each
/// repeated `repeat` times: `ow`×`oh` samples. A box cut by the image's edge repeats its
/// last column or row, as the encoder padded the block.
fn box_means(
    image: &RgbImage,
    (gw, gh): (usize, usize),
    (rw, rh): (usize, usize),
    ow: u32,
    oh: u32,
) -> Vec<f32> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let (ow, oh) = (ow as usize, oh as usize);
    let raw = image.as_raw();
    // Column sums over one band of rows, then sums of those over each box.
    let mut columns = vec![0u32; w * 3];
    let mut line = vec![0f32; ow * 3];
    let mut out = Vec::with_capacity(ow * oh * 3);
    let scale = 1.0 / (gw * gh) as f32;
    for band in 0..oh.div_ceil(rh) {
        columns.fill(0);
        for r in 0..gh {
            let y = (band * gh + r).min(h - 1);
            for (sum, &v) in columns.iter_mut().zip(&raw[y * w * 3..(y + 1) * w * 3]) {
                *sum += u32::from(v);
            }
        }
        for (x, sample) in line.chunks_exact_mut(3).enumerate() {
            let start = x / rw * gw;
            for (c, value) in sample.iter_mut().enumerate() {
                let sum: u32 = (start..start + gw)
                    .map(|column| columns[column.min(w - 1) * 3 + c])
                    .sum();
                *value = sum as f32 * scale;
            }
        }
        for _ in 0..rh.min(oh - band * rh) {
            out.extend_from_slice(&line);
        }
    }
    out
}

/// Pixels turned as an EXIF orientation says.
pub fn turn(image: RgbImage, orientation: Orientation) -> RgbImage {
    if orientation == Orientation::NoTransforms {
        return image;
    }
    let mut image = DynamicImage::ImageRgb8(image);
    image.apply_orientation(orientation);
    image.into_rgb8()
}

fn jpeg_orientation(bytes: &[u8]) -> Orientation {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
        .and_then(|exif| {
            exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?
                .value
                .get_uint(0)
        })
        .and_then(|v| Orientation::from_exif(v as u8))
        .unwrap_or(Orientation::NoTransforms)
}

/// The size after resizing the shorter side to `resize` (rounded like the reference).
pub fn resized_size(width: u32, height: u32, resize: u32) -> (u32, u32) {
    let (w, h, r) = (u64::from(width), u64::from(height), u64::from(resize));
    if w <= h {
        (resize, ((h * r + w / 2) / w).max(1) as u32)
    } else {
        (((w * r + h / 2) / h).max(1) as u32, resize)
    }
}

/// How a classifier sizes a photo before its centre crop: the shorter side resized to
/// `resize` with `interpolation`. The gallery keeps each photo so sized (the classifier's
/// rendition), so that a model of the same sizing reads a few kilobytes instead of the
/// original and gets the input the original would give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sizing {
    pub resize: u32,
    pub interpolation: Interpolation,
}

impl Sizing {
    /// The shipped models' sizing.
    pub const DEFAULT: Sizing = Sizing {
        resize: 256,
        interpolation: Interpolation::Bicubic,
    };

    pub fn of(d: &Description) -> Self {
        Self {
            resize: d.resize,
            interpolation: d.interpolation,
        }
    }
}

/// As the gallery stores it beside a photo: `256 bicubic`.
impl std::fmt::Display for Sizing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let filter = match self.interpolation {
            Interpolation::Bicubic => "bicubic",
            Interpolation::Bilinear => "bilinear",
        };
        write!(f, "{} {filter}", self.resize)
    }
}

impl std::str::FromStr for Sizing {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a sizing (such as \"256 bicubic\")");
        let (resize, filter) = s.split_once(' ').ok_or_else(bad)?;
        let interpolation = match filter {
            "bicubic" => Interpolation::Bicubic,
            "bilinear" => Interpolation::Bilinear,
            _ => return Err(bad()),
        };
        let resize = resize.parse().ok().filter(|&r| r > 0).ok_or_else(bad)?;
        Ok(Self {
            resize,
            interpolation,
        })
    }
}

/// The image with its shorter side resized as `sizing` says.
pub fn resize_shorter(image: &RgbImage, sizing: Sizing) -> Result<RgbImage, Error> {
    let (w, h) = image.dimensions();
    let (rw, rh) = resized_size(w, h, sizing.resize);
    if (rw, rh) == (w, h) {
        return Ok(image.clone());
    }
    let src = ImageRef::new(w, h, image.as_raw(), PixelType::U8x3)
        .map_err(|e| Error::Decode(e.to_string()))?;
    let mut dst = FirImage::new(rw, rh, PixelType::U8x3);
    let filter = match sizing.interpolation {
        Interpolation::Bicubic => FilterType::CatmullRom,
        Interpolation::Bilinear => FilterType::Bilinear,
    };
    Resizer::new()
        .resize(
            &src,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter)),
        )
        .map_err(|e| Error::Decode(e.to_string()))?;
    RgbImage::from_raw(rw, rh, dst.into_vec())
        .ok_or_else(|| Error::Decode("the resized image has an unexpected size".into()))
}

/// Resize, centre crop and normalise into one image's input values, in the model's layout.
/// An image already sized for the model (its classifier rendition) is only cropped.
pub fn to_input(image: &RgbImage, d: &Description) -> Result<Vec<f32>, Error> {
    let sized = resize_shorter(image, Sizing::of(d))?;
    let (rw, rh) = sized.dimensions();
    let crop = d.crop;
    let (left, top) = ((rw - crop) / 2, (rh - crop) / 2);
    let pixels = sized.as_raw();
    let plane = (crop * crop) as usize;
    let mut out = vec![0f32; plane * 3];
    let unit = d.scale / 255.0;
    let (scale, shift): (Vec<f32>, Vec<f32>) = (0..3)
        .map(|c| (unit / d.std[c], -d.mean[c] / d.std[c]))
        .unzip();
    for y in 0..crop {
        let row = ((top + y) * rw + left) as usize * 3;
        for x in 0..crop {
            let at = row + x as usize * 3;
            for c in 0..3 {
                let value = f32::from(pixels[at + c]) * scale[c] + shift[c];
                let i = (y * crop + x) as usize;
                match d.layout {
                    Layout::NCHW => out[c * plane + i] = value,
                    Layout::NHWC => out[i * 3 + c] = value,
                }
            }
        }
    }
    Ok(out)
}
