//! Smaller copies of an uploaded image for pages (README "Attachments",
//! *Renditions*): the image is decoded whole (which also proves it is
//! whole), turned upright by its EXIF orientation, resized to each of
//! [`RENDITION_WIDTHS`] narrower than it, and encoded again: photos as
//! JPEG (quality [`JPEG_QUALITY`]), images with transparency and PNGs
//! (drawings, screenshots) as lossless WebP. Encoding from pixels writes
//! no metadata: a rendition carries no EXIF, XMP or comment, only the
//! original's ICC colour profile.

use crate::domain::attachment::MediaType;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};
use std::io::{BufRead, Seek};
use std::sync::Mutex;

/// The widths, in pixels, renditions are made at (when narrower than the
/// image). A page's `srcset` lists them with the original.
pub const RENDITION_WIDTHS: [u32; 2] = [480, 960];

/// JPEG quality of photo renditions (the `image` crate's scale, 1-100):
/// the common web default, small with no visible loss at page sizes.
pub const JPEG_QUALITY: u8 = 80;

/// The most a decoder may allocate; a 50-megapixel RGBA image is 200 MB.
const DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// One image decoded at a time in this process: decoding a large image
/// takes hundreds of megabytes for a moment, and uploads are rare.
static DECODING: Mutex<()> = Mutex::new(());

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the image is {width}×{height} pixels, more than the limit of {max} pixels")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("the image cannot be read: {0}")]
    BadImage(String),
}

/// What an image is, as shown (its EXIF orientation applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub width: u32,
    pub height: u32,
    /// The EXIF orientation, 1 (upright) to 8.
    pub orientation: u8,
}

/// A rendition made, not stored yet.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub media_type: MediaType,
    pub bytes: Vec<u8>,
}

fn format_of(t: MediaType) -> Result<ImageFormat, RenderError> {
    match t {
        MediaType::Jpeg => Ok(ImageFormat::Jpeg),
        MediaType::Png => Ok(ImageFormat::Png),
        MediaType::Webp => Ok(ImageFormat::WebP),
        MediaType::Pdf => Err(RenderError::BadImage("not an image".into())),
    }
}

fn bad(e: impl std::fmt::Display) -> RenderError {
    RenderError::BadImage(e.to_string())
}

/// The widths an image `width` pixels wide (as shown) gets renditions at.
pub fn widths_for(width: u32) -> Vec<u32> {
    RENDITION_WIDTHS
        .iter()
        .copied()
        .filter(|&w| w < width)
        .collect()
}

/// The height of a rendition `width` wide of an image `w`×`h`, rounded,
/// at least 1.
fn scaled_height(w: u32, h: u32, width: u32) -> u32 {
    let h = (u64::from(h) * u64::from(width) + u64::from(w) / 2) / u64::from(w.max(1));
    u32::try_from(h.max(1)).unwrap_or(u32::MAX)
}

/// Reads only the header: the shape as shown, refusing more than
/// `max_pixels` before anything is decoded.
pub fn shape(
    source: impl BufRead + Seek,
    t: MediaType,
    max_pixels: u64,
) -> Result<Shape, RenderError> {
    let mut decoder = ImageReader::with_format(source, format_of(t)?)
        .into_decoder()
        .map_err(bad)?;
    shape_of(&mut decoder, max_pixels)
}

fn shape_of(decoder: &mut impl ImageDecoder, max_pixels: u64) -> Result<Shape, RenderError> {
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(RenderError::TooManyPixels {
            width: w,
            height: h,
            max: max_pixels,
        });
    }
    // An unreadable EXIF block is no reason to refuse a picture.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let turned = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    let (width, height) = if turned { (h, w) } else { (w, h) };
    Ok(Shape {
        width,
        height,
        orientation: orientation.to_exif(),
    })
}

/// Decodes the image (all of it: a file cut short or corrupt is refused
/// here) and makes its renditions. Blocking and CPU-heavy: call off the
/// async workers. Nothing is written anywhere.
pub fn render(
    source: impl BufRead + Seek,
    t: MediaType,
    max_pixels: u64,
) -> Result<(Shape, Vec<Rendition>), RenderError> {
    let mut reader = ImageReader::with_format(source, format_of(t)?);
    let mut limits = Limits::default();
    limits.max_alloc = Some(DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let shape = shape_of(&mut decoder, max_pixels)?;
    let icc = decoder.icc_profile().ok().flatten();
    let _one = DECODING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut image = DynamicImage::from_decoder(decoder).map_err(bad)?;
    let widths = widths_for(shape.width);
    let Some(&widest) = widths.last() else {
        return Ok((shape, Vec::new()));
    };
    // Photos as JPEG; transparency and drawings (PNG) as lossless WebP.
    let as_webp = image.color().has_alpha() || t == MediaType::Png;
    // Turned upright on the first smaller copy (cheaper than on the whole).
    let orientation =
        Orientation::from_exif(shape.orientation).unwrap_or(Orientation::NoTransforms);
    let mut out = Vec::with_capacity(widths.len());
    for &width in widths.iter().rev() {
        let height = scaled_height(shape.width, shape.height, width);
        // Resized from the full image for the widest, then each from the
        // one before (as good, and far cheaper than from the original).
        let (w, h) = if matches!(
            orientation,
            Orientation::Rotate90
                | Orientation::Rotate270
                | Orientation::Rotate90FlipH
                | Orientation::Rotate270FlipH
        ) && width == widest
        {
            (height, width)
        } else {
            (width, height)
        };
        image = image.resize_exact(w, h, FilterType::CatmullRom);
        if width == widest {
            image.apply_orientation(orientation);
        }
        let bytes = encode(&image, as_webp, icc.clone()).map_err(bad)?;
        out.push(Rendition {
            width,
            height,
            media_type: if as_webp {
                MediaType::Webp
            } else {
                MediaType::Jpeg
            },
            bytes,
        });
    }
    out.reverse();
    Ok((shape, out))
}

fn encode(
    image: &DynamicImage,
    as_webp: bool,
    icc: Option<Vec<u8>>,
) -> image::ImageResult<Vec<u8>> {
    let mut bytes = Vec::new();
    if as_webp {
        let mut encoder = WebPEncoder::new_lossless(&mut bytes);
        if let Some(icc) = icc {
            // A profile that cannot be written is left out, not a failure.
            let _ = encoder.set_icc_profile(icc);
        }
        let (pixels, color) = if image.color().has_alpha() {
            (image.to_rgba8().into_raw(), image::ExtendedColorType::Rgba8)
        } else {
            (image.to_rgb8().into_raw(), image::ExtendedColorType::Rgb8)
        };
        encoder.write_image(&pixels, image.width(), image.height(), color)?;
    } else {
        let mut encoder = JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
        if let Some(icc) = icc {
            let _ = encoder.set_icc_profile(icc);
        }
        encoder.write_image(
            image.to_rgb8().as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::strip::tests::jpeg_with_metadata;
    use std::io::Cursor;

    fn decoded(r: &Rendition) -> DynamicImage {
        let f = format_of(r.media_type).unwrap();
        ImageReader::with_format(Cursor::new(&r.bytes), f)
            .decode()
            .unwrap()
    }

    #[test]
    fn a_photo_gets_jpeg_renditions_narrower_than_it_without_exif() {
        let photo = jpeg_with_metadata(1200, 800, 1);
        let (shape, made) = render(Cursor::new(&photo), MediaType::Jpeg, 10_000_000).unwrap();
        assert_eq!((shape.width, shape.height), (1200, 800));
        let sizes: Vec<_> = made.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(sizes, [(480, 320), (960, 640)]);
        for r in &made {
            assert_eq!(r.media_type, MediaType::Jpeg);
            let img = decoded(r);
            assert_eq!((img.width(), img.height()), (r.width, r.height));
            let mut d = ImageReader::with_format(Cursor::new(&r.bytes), ImageFormat::Jpeg)
                .into_decoder()
                .unwrap();
            assert_eq!(d.exif_metadata().unwrap(), None);
            assert!(!r.bytes.windows(15).any(|w| w == b"SERIAL-GPS-TEST"));
        }
    }

    #[test]
    fn a_sideways_photo_is_turned_upright_in_its_renditions() {
        // Stored 1000×600, EXIF says turn 90°: shown 600×1000.
        let photo = jpeg_with_metadata(1000, 600, 6);
        let (shape, made) = render(Cursor::new(&photo), MediaType::Jpeg, 10_000_000).unwrap();
        assert_eq!(
            (shape.width, shape.height, shape.orientation),
            (600, 1000, 6)
        );
        let sizes: Vec<_> = made.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(sizes, [(480, 800)]);
        let img = decoded(&made[0]);
        assert_eq!((img.width(), img.height()), (480, 800));
    }

    #[test]
    fn small_images_get_none_and_pngs_get_webp() {
        let photo = jpeg_with_metadata(400, 300, 1);
        let (_, made) = render(Cursor::new(&photo), MediaType::Jpeg, 10_000_000).unwrap();
        assert!(made.is_empty());
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            600,
            200,
            image::Rgba([1, 2, 3, 128]),
        ))
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
        let (_, made) = render(Cursor::new(&png), MediaType::Png, 10_000_000).unwrap();
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].media_type, MediaType::Webp);
        assert_eq!((made[0].width, made[0].height), (480, 160));
        assert!(decoded(&made[0]).color().has_alpha());
    }

    #[test]
    fn a_cut_short_image_or_too_many_pixels_is_refused() {
        let mut png = Vec::new();
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(900, 500, |x, y| {
            image::Rgb([x as u8, y as u8, (x ^ y) as u8])
        }))
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
        let cut = &png[..png.len() / 2];
        assert!(matches!(
            render(Cursor::new(cut), MediaType::Png, 10_000_000),
            Err(RenderError::BadImage(_))
        ));
        assert!(matches!(
            render(Cursor::new(&png), MediaType::Png, 1000),
            Err(RenderError::TooManyPixels { .. })
        ));
    }
}
