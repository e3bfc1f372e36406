//! Metadata removed from an image without touching its pixels (README
//! "Attachments", *EXIF stripped from originals if the admin asks*): the
//! file's segments (JPEG) or chunks (PNG, WebP) are walked and the ones
//! that carry metadata — EXIF (camera, GPS position, time, serial
//! numbers, thumbnails), XMP, IPTC/Photoshop, comments, text chunks — are
//! left out; the compressed image data is copied byte for byte, so the
//! picture is exactly the one uploaded. What a picture needs to look right
//! is kept: the JFIF header, the ICC colour profile, Adobe's colour
//! transform marker. An EXIF orientation other than "upright" is kept as
//! a minimal EXIF block holding that one tag and nothing else, so the
//! photo is still shown the right way up.

use crate::domain::attachment::MediaType;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripError {
    #[error("the image's structure cannot be read ({0}), so its metadata cannot be removed")]
    Malformed(&'static str),
}

type Result<T> = std::result::Result<T, StripError>;

/// `bytes` (of type `t`) without their metadata; `orientation` is the EXIF
/// orientation (1–8) the image had, kept when it is not 1.
pub fn strip_metadata(bytes: &[u8], t: MediaType, orientation: u8) -> Result<Vec<u8>> {
    let orientation = (2..=8).contains(&orientation).then_some(orientation);
    match t {
        MediaType::Jpeg => strip_jpeg(bytes, orientation),
        MediaType::Png => strip_png(bytes, orientation),
        MediaType::Webp => strip_webp(bytes, orientation),
        MediaType::Pdf => Err(StripError::Malformed("not an image")),
    }
}

/// A TIFF structure (the body of every EXIF block) holding one tag, the
/// orientation: big-endian header, one IFD of one entry, no next IFD.
fn minimal_exif(orientation: u8) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
    t.extend_from_slice(&1u16.to_be_bytes());
    // Tag 0x0112 Orientation, type 3 (SHORT), count 1, value in the first
    // two bytes of the four.
    t.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0, orientation, 0, 0]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    t
}

fn be16(b: &[u8], at: usize) -> Result<usize> {
    b.get(at..at + 2)
        .map(|s| usize::from(u16::from_be_bytes([s[0], s[1]])))
        .ok_or(StripError::Malformed("cut short"))
}

/// Whether a JPEG marker segment (`marker`, its payload after the length)
/// is kept.
fn keep_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        // JFIF header (not its JFXX thumbnail extension).
        0xE0 => payload.starts_with(b"JFIF\0"),
        // APP2: the ICC profile only (not MPF, FlashPix).
        0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
        // APP14 "Adobe": tells how the colours were transformed.
        0xEE => payload.starts_with(b"Adobe"),
        // Every other APPn (EXIF and XMP in APP1, IPTC in APP13, …) and
        // comments.
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        // Tables, frame and scan headers, restart interval, …
        _ => true,
    }
}

/// A JPEG's segments walked from SOI to EOI, entropy-coded data copied
/// as it is; anything after EOI (trailers, appended preview images) is
/// left out.
fn strip_jpeg(b: &[u8], orientation: Option<u8>) -> Result<Vec<u8>> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err(StripError::Malformed("no start of image"));
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut exif_pending = orientation;
    let mut at = 2;
    loop {
        if b.get(at) != Some(&0xFF) {
            return Err(StripError::Malformed(
                "a segment does not start with a marker",
            ));
        }
        // Fill bytes: any number of 0xFF before the marker.
        while b.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let marker = *b.get(at + 1).ok_or(StripError::Malformed("cut short"))?;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(out);
            }
            0x00 | 0xD8 => return Err(StripError::Malformed("a marker out of place")),
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                at += 2;
                continue;
            }
            _ => {}
        }
        let len = be16(b, at + 2)?;
        if len < 2 {
            return Err(StripError::Malformed("a segment length below 2"));
        }
        let end = at + 2 + len;
        let segment = b.get(at..end).ok_or(StripError::Malformed("cut short"))?;
        let payload = &segment[4..];
        // The orientation block goes right after the JFIF header if there
        // is one, else right after SOI (where EXIF is expected).
        if let Some(o) = exif_pending
            && !(marker == 0xE0 && payload.starts_with(b"JFIF\0"))
        {
            let tiff = minimal_exif(o);
            let len = u16::try_from(2 + 6 + tiff.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&[0xFF, 0xE1]);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(b"Exif\0\0");
            out.extend_from_slice(&tiff);
            exif_pending = None;
        }
        if keep_jpeg_segment(marker, payload) {
            out.extend_from_slice(segment);
        }
        at = end;
        if marker == 0xDA {
            // Start of scan: entropy-coded data follows, up to the next
            // marker that is not a stuffed 0xFF00 or a restart marker.
            let start = at;
            loop {
                let ff = memchr::memchr(0xFF, b.get(at..).unwrap_or_default())
                    .map(|i| at + i)
                    .ok_or(StripError::Malformed("a scan runs to the end of the file"))?;
                let mut next = ff + 1;
                while b.get(next) == Some(&0xFF) {
                    next += 1;
                }
                match b.get(next) {
                    None => return Err(StripError::Malformed("cut short")),
                    Some(0x00 | 0xD0..=0xD7) => at = next + 1,
                    Some(_) => {
                        out.extend_from_slice(&b[start..ff]);
                        at = ff;
                        break;
                    }
                }
            }
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// A PNG's chunks, without `eXIf` and the text and time chunks (`tEXt`,
/// `zTXt`, `iTXt`, `tIME`); everything after `IEND` is left out.
fn strip_png(b: &[u8], orientation: Option<u8>) -> Result<Vec<u8>> {
    if !b.starts_with(PNG_SIGNATURE) {
        return Err(StripError::Malformed("no PNG signature"));
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut at = PNG_SIGNATURE.len();
    let mut exif_pending = orientation;
    loop {
        let len = b
            .get(at..at + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
            .ok_or(StripError::Malformed("cut short"))?;
        let len = usize::try_from(len).map_err(|_| StripError::Malformed("a chunk too long"))?;
        let end = at
            .checked_add(12)
            .and_then(|n| n.checked_add(len))
            .ok_or(StripError::Malformed("a chunk too long"))?;
        let chunk = b.get(at..end).ok_or(StripError::Malformed("cut short"))?;
        let kind = &chunk[4..8];
        // eXIf must come before the image data.
        if kind == b"IDAT"
            && let Some(o) = exif_pending.take()
        {
            png_chunk(&mut out, b"eXIf", &minimal_exif(o));
        }
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            out.extend_from_slice(chunk);
        }
        at = end;
        if kind == b"IEND" {
            return Ok(out);
        }
    }
}

/// A WebP's RIFF chunks without `EXIF` and `XMP `, the extended header's
/// flags and the RIFF length set to match.
fn strip_webp(b: &[u8], orientation: Option<u8>) -> Result<Vec<u8>> {
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return Err(StripError::Malformed("no RIFF WEBP header"));
    }
    let declared = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let riff_end = usize::try_from(declared)
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&n| n <= b.len())
        .ok_or(StripError::Malformed("the RIFF length is past the end"))?;
    let mut chunks: Vec<(&[u8], Vec<u8>)> = Vec::new();
    let mut at = 12;
    while at < riff_end {
        let head = b
            .get(at..at + 8)
            .ok_or(StripError::Malformed("cut short"))?;
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let len = usize::try_from(len).map_err(|_| StripError::Malformed("a chunk too long"))?;
        let data_end = at
            .checked_add(8)
            .and_then(|n| n.checked_add(len))
            .filter(|&n| n <= riff_end)
            .ok_or(StripError::Malformed("a chunk runs past the end"))?;
        chunks.push((&head[..4], b[at + 8..data_end].to_vec()));
        // Chunks are padded to an even length.
        at = data_end + (len & 1);
    }
    let extended = chunks.first().is_some_and(|(k, _)| *k == b"VP8X");
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let keep_exif = orientation.filter(|_| extended);
    for (kind, mut data) in chunks {
        match kind {
            b"EXIF" | b"XMP " => continue,
            b"VP8X" => {
                let flags = data
                    .first_mut()
                    .ok_or(StripError::Malformed("an empty VP8X chunk"))?;
                // Bit 3: EXIF present; bit 2: XMP present.
                *flags &= !0x0C;
                if keep_exif.is_some() {
                    *flags |= 0x08;
                }
            }
            _ => {}
        }
        riff_chunk(&mut out, kind, &data);
    }
    // EXIF is the last chunk but XMP in the extended format.
    if let Some(o) = keep_exif {
        riff_chunk(&mut out, b"EXIF", &minimal_exif(o));
    }
    let size = u32::try_from(out.len() - 8).map_err(|_| StripError::Malformed("too long"))?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Ok(out)
}

fn riff_chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    out.extend_from_slice(kind);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
    use std::io::Cursor;

    /// A TIFF structure with the orientation, a camera serial number and a
    /// GPS IFD holding a latitude, as cameras and phones write them.
    pub(crate) fn exif_with_gps(orientation: u16) -> Vec<u8> {
        let mut t = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
        // IFD0 at 8: 3 entries (Orientation, BodySerialNumber as ASCII
        // placed after the IFDs, GPSInfo pointer), next IFD 0.
        let ifd0_len = 2 + 3 * 12 + 4;
        let gps_at = 8 + ifd0_len;
        let gps_len = 2 + 2 * 12 + 4;
        let serial_at = gps_at + gps_len;
        let lat_at = serial_at + 16;
        t.extend_from_slice(&3u16.to_be_bytes());
        t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
        t.extend_from_slice(&orientation.to_be_bytes());
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&[0xA4, 0x31, 0, 2, 0, 0, 0, 16]);
        t.extend_from_slice(&u32::try_from(serial_at).unwrap().to_be_bytes());
        t.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
        t.extend_from_slice(&u32::try_from(gps_at).unwrap().to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 0]);
        // GPS IFD: GPSLatitudeRef "N", GPSLatitude 3 rationals.
        t.extend_from_slice(&2u16.to_be_bytes());
        t.extend_from_slice(&[0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
        t.extend_from_slice(&[0x00, 0x02, 0, 5, 0, 0, 0, 3]);
        t.extend_from_slice(&u32::try_from(lat_at).unwrap().to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 0]);
        t.extend_from_slice(b"SERIAL-GPS-TEST\0");
        for (n, d) in [(51u32, 1u32), (30, 1), (1234, 100)] {
            t.extend_from_slice(&n.to_be_bytes());
            t.extend_from_slice(&d.to_be_bytes());
        }
        t
    }

    /// A JPEG of `w`×`h` with a gradient, an EXIF block (orientation, GPS,
    /// serial), XMP, a comment and a trailer after EOI.
    pub(crate) fn jpeg_with_metadata(w: u32, h: u32, orientation: u16) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
        });
        let mut plain = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut plain), ImageFormat::Jpeg)
            .unwrap();
        let mut segments = Vec::new();
        let mut app = |marker: u8, body: &[u8]| {
            segments.extend_from_slice(&[0xFF, marker]);
            segments.extend_from_slice(&u16::try_from(body.len() + 2).unwrap().to_be_bytes());
            segments.extend_from_slice(body);
        };
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&exif_with_gps(orientation));
        app(0xE1, &exif);
        app(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPSLatitude 51,30N</x:xmpmeta>",
        );
        app(0xED, b"Photoshop 3.0\08BIM IPTC byline");
        app(0xFE, b"shot by someone at somewhere");
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&segments);
        out.extend_from_slice(&plain[2..]);
        out.extend_from_slice(b"TRAILER with more metadata");
        out
    }

    fn pixels(bytes: &[u8], f: ImageFormat) -> Vec<u8> {
        ImageReader::with_format(Cursor::new(bytes), f)
            .decode()
            .unwrap()
            .into_bytes()
    }

    fn exif_of(bytes: &[u8], f: ImageFormat) -> Option<Vec<u8>> {
        ImageReader::with_format(Cursor::new(bytes), f)
            .into_decoder()
            .unwrap()
            .exif_metadata()
            .unwrap()
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_jpeg_loses_exif_gps_xmp_iptc_comments_and_trailers_but_not_a_pixel() {
        let original = jpeg_with_metadata(64, 48, 1);
        assert!(exif_of(&original, ImageFormat::Jpeg).is_some());
        let stripped = strip_metadata(&original, MediaType::Jpeg, 1).unwrap();
        assert_eq!(exif_of(&stripped, ImageFormat::Jpeg), None);
        for gone in [
            &b"Exif"[..],
            b"SERIAL-GPS-TEST",
            b"GPSLatitude",
            b"IPTC",
            b"shot by",
            b"TRAILER",
        ] {
            assert!(
                !contains(&stripped, gone),
                "{:?}",
                String::from_utf8_lossy(gone)
            );
        }
        assert!(stripped.ends_with(&[0xFF, 0xD9]));
        assert_eq!(
            pixels(&stripped, ImageFormat::Jpeg),
            pixels(&original, ImageFormat::Jpeg)
        );
        // Stripping again changes nothing.
        assert_eq!(
            strip_metadata(&stripped, MediaType::Jpeg, 1).unwrap(),
            stripped
        );
    }

    #[test]
    fn a_turned_jpeg_keeps_its_orientation_and_nothing_else() {
        let original = jpeg_with_metadata(64, 48, 6);
        let stripped = strip_metadata(&original, MediaType::Jpeg, 6).unwrap();
        let exif = exif_of(&stripped, ImageFormat::Jpeg).unwrap();
        assert_eq!(exif, minimal_exif(6));
        assert_eq!(
            image::metadata::Orientation::from_exif_chunk(&exif),
            Some(image::metadata::Orientation::Rotate90)
        );
        assert!(!contains(&stripped, b"SERIAL-GPS-TEST"));
        assert_eq!(
            pixels(&stripped, ImageFormat::Jpeg),
            pixels(&original, ImageFormat::Jpeg)
        );
    }

    #[test]
    fn a_progressive_style_scan_with_stuffed_bytes_and_restarts_is_copied_whole() {
        // A hand-made stream: SOI, SOS with entropy data containing FF00
        // and RST0, a COM after the scan, a second SOS, EOI.
        let mut b = vec![0xFF, 0xD8];
        b.extend_from_slice(&[0xFF, 0xDA, 0, 4, 1, 2]);
        b.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        b.extend_from_slice(&[0xFF, 0xFE, 0, 5, b'a', b'b', b'c']);
        b.extend_from_slice(&[0xFF, 0xDA, 0, 4, 1, 2, 0x77, 0xFF, 0xFF, 0xD9]);
        let out = strip_jpeg(&b, None).unwrap();
        let mut expected = vec![0xFF, 0xD8];
        expected.extend_from_slice(&[0xFF, 0xDA, 0, 4, 1, 2]);
        expected.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        expected.extend_from_slice(&[0xFF, 0xDA, 0, 4, 1, 2, 0x77, 0xFF, 0xD9]);
        assert_eq!(out, expected);
    }

    #[test]
    fn broken_files_are_refused_not_half_copied() {
        let original = jpeg_with_metadata(32, 32, 1);
        for cut in [3, 10, original.len() / 2] {
            assert!(
                strip_metadata(&original[..cut], MediaType::Jpeg, 1).is_err(),
                "{cut}"
            );
        }
        assert!(strip_metadata(b"\x89PNG\r\n\x1a\n\0\0", MediaType::Png, 1).is_err());
        assert!(strip_metadata(b"RIFF\xff\xff\xff\xffWEBP", MediaType::Webp, 1).is_err());
    }

    fn png_with_text_and_exif() -> Vec<u8> {
        let img = RgbImage::from_fn(20, 10, |x, y| image::Rgb([x as u8 * 10, y as u8 * 20, 7]));
        let mut plain = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut plain), ImageFormat::Png)
            .unwrap();
        // After IHDR (8 + 25 bytes): a tEXt and an eXIf chunk.
        let mut out = plain[..33].to_vec();
        png_chunk(&mut out, b"tEXt", b"Author\0SERIAL-GPS-TEST");
        png_chunk(&mut out, b"eXIf", &exif_with_gps(1));
        out.extend_from_slice(&plain[33..]);
        out
    }

    #[test]
    fn a_png_loses_its_text_and_exif_chunks() {
        let original = png_with_text_and_exif();
        assert!(exif_of(&original, ImageFormat::Png).is_some());
        let stripped = strip_metadata(&original, MediaType::Png, 1).unwrap();
        assert!(!contains(&stripped, b"SERIAL-GPS-TEST"));
        assert_eq!(exif_of(&stripped, ImageFormat::Png), None);
        assert_eq!(
            pixels(&stripped, ImageFormat::Png),
            pixels(&original, ImageFormat::Png)
        );
    }

    #[test]
    fn a_webp_loses_exif_and_xmp_and_its_flags_say_so() {
        let img = RgbImage::from_fn(16, 8, |x, y| image::Rgb([x as u8 * 16, y as u8 * 30, 1]));
        let mut plain = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut plain), ImageFormat::WebP)
            .unwrap();
        // Rebuilt in the extended format: VP8X (EXIF and XMP flags), the
        // image chunk, EXIF, XMP.
        let image_chunk = &plain[12..];
        let mut body = Vec::new();
        let mut vp8x = vec![0x0C, 0, 0, 0];
        vp8x.extend_from_slice(&[15, 0, 0, 7, 0, 0]);
        riff_chunk(&mut body, b"VP8X", &vp8x);
        body.extend_from_slice(image_chunk);
        riff_chunk(&mut body, b"EXIF", &exif_with_gps(1));
        riff_chunk(&mut body, b"XMP ", b"<x:xmpmeta>GPS</x:xmpmeta>");
        let mut original = b"RIFF".to_vec();
        original.extend_from_slice(&u32::try_from(body.len() + 4).unwrap().to_le_bytes());
        original.extend_from_slice(b"WEBP");
        original.extend_from_slice(&body);
        assert!(exif_of(&original, ImageFormat::WebP).is_some());

        let stripped = strip_metadata(&original, MediaType::Webp, 1).unwrap();
        assert!(!contains(&stripped, b"SERIAL-GPS-TEST") && !contains(&stripped, b"xmpmeta"));
        assert_eq!(stripped[20] & 0x0C, 0, "flags of {stripped:?}");
        assert_eq!(
            usize::try_from(u32::from_le_bytes(stripped[4..8].try_into().unwrap())).unwrap(),
            stripped.len() - 8
        );
        assert_eq!(
            pixels(&stripped, ImageFormat::WebP),
            pixels(&original, ImageFormat::WebP)
        );
    }
}
