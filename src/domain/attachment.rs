//! What an attachment is, decided from its bytes: the type (magic numbers,
//! never the name or the client's Content-Type), whether a PDF carries
//! script, the file name it is offered under, and its SHA-256 address.
//! Pure functions, so the proptests and the fuzz target reach them.

use super::{ValidationError, clean_optional};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Most attachments on one release.
pub const MAX_ATTACHMENTS: usize = 50;

/// An attachment as a release names it in the API and the import format.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AttachmentInput {
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Required for images (here or given at upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// The release's lead image (at most one, an image).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lead: bool,
}

/// A validated attachment of a release (whether the file exists, and is an
/// image with alt text, is the store's to check: it knows the files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    pub sha256: Sha256Hex,
    pub caption: Option<String>,
    pub alt: Option<String>,
    pub lead: bool,
}

/// Checks a release's attachments: hashes well-formed, none twice, at most
/// one lead, not too many.
pub fn validate_attachments(
    inputs: &[AttachmentInput],
) -> Result<Vec<AttachmentRef>, ValidationError> {
    let bad = |m: String| ValidationError::new("attachments", m);
    if inputs.len() > MAX_ATTACHMENTS {
        return Err(bad(format!(
            "{} attachments; a release has at most {MAX_ATTACHMENTS}",
            inputs.len()
        )));
    }
    let mut out: Vec<AttachmentRef> = Vec::with_capacity(inputs.len());
    for (i, a) in inputs.iter().enumerate() {
        let sha = Sha256Hex::parse(a.sha256.trim()).ok_or_else(|| {
            bad(format!(
                "[{i}].sha256 {:?} is not a SHA-256 in lower-case hex (64 characters), as POST /api/v1/media answers",
                a.sha256
            ))
        })?;
        if out.iter().any(|o| o.sha256 == sha) {
            return Err(bad(format!("[{i}] names {sha} a second time")));
        }
        out.push(AttachmentRef {
            sha256: sha,
            caption: clean_optional(a.caption.as_deref()),
            alt: clean_optional(a.alt.as_deref()),
            lead: a.lead,
        });
    }
    if out.iter().filter(|a| a.lead).count() > 1 {
        return Err(bad(
            "more than one is marked lead; a release has one lead image".into(),
        ));
    }
    Ok(out)
}

/// The types accepted (README "Attachments").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl MediaType {
    /// The type the first bytes of a file say it is; `None` for anything
    /// not accepted. 16 bytes are enough for every signature here.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if head.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Webp, Self::Pdf]
            .into_iter()
            .find(|t| t.mime() == mime)
    }

    pub fn is_image(self) -> bool {
        !matches!(self, Self::Pdf)
    }
}

/// A SHA-256 in lower-case hex: the address of a stored file. Being the
/// only thing joined to the media folder's path, it must be exactly this.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(s.to_owned()))
    }

    pub fn from_digest(digest: &[u8]) -> Self {
        use std::fmt::Write;
        let mut s = String::with_capacity(64);
        for b in digest {
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02x}");
        }
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a file name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    #[error("the file name is empty")]
    Empty,
    #[error("the file name contains a path separator ('/' or '\\')")]
    Separator,
    #[error("the file name contains a control character")]
    Control,
    #[error("the file name is longer than {MAX_FILENAME_CHARS} characters")]
    TooLong,
    #[error("the file name may not start with a dot")]
    Dot,
}

pub const MAX_FILENAME_CHARS: usize = 120;

/// The name a file is offered under (the last part of its URL). A name
/// with a path separator or a control character is refused, not repaired:
/// it was made to escape a folder or to forge a header, and the uploader
/// should hear so. Spaces and other characters that need escaping in a URL
/// become `-`, so the URL is the name as typed, readable.
pub fn clean_filename(raw: &str) -> Result<String, FileNameError> {
    if raw.contains(['/', '\\']) {
        return Err(FileNameError::Separator);
    }
    if raw
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return Err(FileNameError::Control);
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FileNameError::Empty);
    }
    if trimmed.starts_with('.') {
        return Err(FileNameError::Dot);
    }
    if trimmed.chars().count() > MAX_FILENAME_CHARS {
        return Err(FileNameError::TooLong);
    }
    let mut out = String::with_capacity(trimmed.len());
    // ASCII only (Ü becomes U): the name goes into URLs, feeds and a
    // Content-Disposition header unescaped.
    for c in trimmed
        .chars()
        .flat_map(|c| any_ascii::any_ascii_char(c).chars())
    {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    // Transliteration can start the name with a dot (a hidden file, or
    // `..` once joined) even when the raw name did not.
    let out = out.trim_start_matches(['-', '.']);
    if out.trim_end_matches(['-', '.']).is_empty() {
        return Err(FileNameError::Empty);
    }
    Ok(out.to_owned())
}

/// Bidirectional overrides and zero-width characters: not control
/// characters to Unicode, but they make a name ending in `exe` read as ending in `.pdf`.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A file name from the URL's last segment, as [`clean_filename`] would
/// have written it (anything else is not a URL we made).
pub fn is_served_filename(name: &str) -> bool {
    clean_filename(name).is_ok_and(|c| c == name)
}

/// The name a rendition of `source` (a cleaned file name) `width` pixels
/// wide is offered under: `photo.jpg` at 480 as WebP is
/// `photo-480w.webp`. Always a name [`is_served_filename`] accepts.
pub fn rendition_filename(source: &str, width: u32, t: MediaType) -> String {
    let ext = match t {
        MediaType::Jpeg => "jpg",
        MediaType::Png => "png",
        MediaType::Webp => "webp",
        MediaType::Pdf => "pdf",
    };
    let stem = source.rsplit_once('.').map_or(source, |(s, _)| s);
    let mut cut = stem.len().min(MAX_FILENAME_CHARS - 16);
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let name = format!("{}-{width}w.{ext}", &stem[..cut]);
    if is_served_filename(&name) {
        name
    } else {
        format!("image-{width}w.{ext}")
    }
}

/// PDF names that run something when the document is opened or a link in it
/// followed: JavaScript actions and launching programs.
const ACTIVE_NAMES: &[&[u8]] = &[b"JavaScript", b"JS", b"Launch"];

/// Whether a PDF names a JavaScript or Launch action anywhere in its bytes,
/// `#xx`-escaped names included (`/J#61vaScript` is `/JavaScript` to a
/// reader). Over the raw bytes: an action inside a compressed object stream
/// is not seen here, which is why [`pdf_has_script`] also inflates streams.
pub fn pdf_names_script(bytes: &[u8]) -> bool {
    let mut i = 0;
    let mut name = Vec::with_capacity(16);
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        i += 1;
        name.clear();
        while i < bytes.len() && !is_pdf_delimiter(bytes[i]) {
            let b = bytes[i];
            if b == b'#'
                && i + 2 < bytes.len()
                && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
            {
                name.push(h << 4 | l);
                i += 3;
            } else {
                name.push(b);
                i += 1;
            }
            if name.len() > 16 {
                break;
            }
        }
        if ACTIVE_NAMES.contains(&name.as_slice()) {
            return true;
        }
    }
    false
}

/// Most output inflated from one PDF's streams before giving up on it (a
/// zip bomb in a stream is refused, not followed).
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// What [`pdf_has_script`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfVerdict {
    Clean,
    Script,
    /// Its streams inflate beyond [`MAX_INFLATED_BYTES`]: not looked into,
    /// so refused as well.
    TooDeep,
}

/// Whether a PDF carries script: [`pdf_names_script`] over its bytes and
/// over every Flate stream in it, inflated.
pub fn pdf_has_script(bytes: &[u8]) -> PdfVerdict {
    if pdf_names_script(bytes) {
        return PdfVerdict::Script;
    }
    let mut budget = MAX_INFLATED_BYTES;
    let mut rest = bytes;
    while let Some(at) = find(rest, b"stream") {
        let mut start = at + b"stream".len();
        // "endstream" contains "stream": skip it.
        if at >= 3 && &rest[at - 3..at] == b"end" {
            rest = &rest[start..];
            continue;
        }
        if rest.get(start) == Some(&b'\r') {
            start += 1;
        }
        if rest.get(start) == Some(&b'\n') {
            start += 1;
        }
        let body = &rest[start.min(rest.len())..];
        let end = find(body, b"endstream").unwrap_or(body.len());
        let data = &body[..end];
        if data.first().is_some_and(|&b| b & 0x0F == 8) {
            match inflate_capped(data, budget) {
                Inflated::Done(out) => {
                    budget -= out.len();
                    if pdf_names_script(&out) {
                        return PdfVerdict::Script;
                    }
                }
                Inflated::NotZlib => {}
                Inflated::TooBig => return PdfVerdict::TooDeep,
            }
        }
        rest = &body[end..];
    }
    PdfVerdict::Clean
}

enum Inflated {
    Done(Vec<u8>),
    NotZlib,
    TooBig,
}

fn inflate_capped(data: &[u8], cap: usize) -> Inflated {
    use std::io::Read;
    let mut out = Vec::new();
    let decoder = flate2::read::ZlibDecoder::new(data);
    // One byte over the cap tells "exactly the cap" from "more".
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    match decoder.take(limit).read_to_end(&mut out) {
        Ok(_) if out.len() > cap => Inflated::TooBig,
        Ok(_) => Inflated::Done(out),
        // A truncated or corrupt stream: keep what came out, it is what a
        // lenient reader would run.
        Err(_) if out.is_empty() => Inflated::NotZlib,
        Err(_) if out.len() > cap => Inflated::TooBig,
        Err(_) => Inflated::Done(out),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn is_pdf_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'\0'
            | b'\t'
            | b'\n'
            | b'\x0C'
            | b'\r'
            | b' '
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendition_names_are_the_source_name_with_width_and_type() {
        assert_eq!(
            rendition_filename("depot.jpg", 480, MediaType::Jpeg),
            "depot-480w.jpg"
        );
        assert_eq!(
            rendition_filename("chart.v2.png", 960, MediaType::Webp),
            "chart.v2-960w.webp"
        );
        assert_eq!(
            rendition_filename("noext", 480, MediaType::Jpeg),
            "noext-480w.jpg"
        );
        let long = "a".repeat(MAX_FILENAME_CHARS - 4) + ".jpg";
        let name = rendition_filename(&long, 960, MediaType::Jpeg);
        assert!(is_served_filename(&name), "{name}");
        assert!(name.ends_with("-960w.jpg"));
    }

    #[test]
    fn types_come_from_magic_numbers() {
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(
            MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(MediaType::Png)
        );
        assert_eq!(
            MediaType::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(MediaType::Webp)
        );
        assert_eq!(MediaType::sniff(b"<html><script>"), None);
        assert_eq!(MediaType::sniff(b"RIFF\0\0\0\0WAVE"), None);
    }

    #[test]
    fn script_in_pdfs_is_found_escaped_or_compressed() {
        assert!(pdf_names_script(b"<< /S /JavaScript /JS (app.alert(1)) >>"));
        assert!(pdf_names_script(b"<</OpenAction<</S/Launch/F(cmd)>>>>"));
        assert!(pdf_names_script(b"<< /S /J#61vaScript >>"));
        assert!(pdf_names_script(b"<< /#4A#53 (x) >>"));
        assert!(!pdf_names_script(
            b"<< /JSON 1 /Type /Page >> (JavaScript in text)"
        ));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, b"<< /S /JavaScript >>").expect("in memory");
        let packed = z.finish().expect("in memory");
        let mut pdf = b"%PDF-1.7\n1 0 obj << /Filter /FlateDecode >> stream\n".to_vec();
        pdf.extend_from_slice(&packed);
        pdf.extend_from_slice(b"\nendstream endobj\n");
        assert!(!pdf_names_script(&pdf));
        assert_eq!(pdf_has_script(&pdf), PdfVerdict::Script);
    }

    #[test]
    fn file_names_that_escape_or_forge_are_refused() {
        assert_eq!(
            clean_filename("../etc/passwd"),
            Err(FileNameError::Separator)
        );
        assert_eq!(clean_filename("a\\b.pdf"), Err(FileNameError::Separator));
        assert_eq!(clean_filename("a\r\nb.pdf"), Err(FileNameError::Control));
        assert_eq!(
            clean_filename("x\u{202E}fdp.exe"),
            Err(FileNameError::Control)
        );
        assert_eq!(clean_filename(".htaccess"), Err(FileNameError::Dot));
        assert_eq!(
            clean_filename("Annual report 2026.pdf").as_deref(),
            Ok("Annual-report-2026.pdf")
        );
        assert_eq!(
            clean_filename("Überblick.pdf").as_deref(),
            Ok("Uberblick.pdf")
        );
        assert!(is_served_filename("Annual-report-2026.pdf"));
        assert!(!is_served_filename("a b.pdf"));
    }
}
