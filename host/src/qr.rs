//! Reading QR codes from PNG and JPEG images: screenshots of a site's
//! set-up page, photos of Google Authenticator's export codes.
//!
//! Images are untrusted: the file size is capped, the format must be PNG or
//! JPEG, and the dimensions are read from the header and checked before any
//! pixel is decoded, so a small file that claims a huge picture (a
//! decompression bomb) is refused without allocating for it.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use zeroize::Zeroizing;

use crate::error::ErrorCode;
use crate::import::{Format, Imported};

/// Largest image file accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;
/// Widest or tallest image accepted, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// Most pixels accepted (40 megapixels).
pub const MAX_PIXELS: u64 = 40_000_000;

/// Why no QR code could be read. Messages say what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The file is larger than [`MAX_IMAGE_BYTES`].
    #[error("the image is larger than {} MiB; use a screenshot or a smaller photo of the QR code", MAX_IMAGE_BYTES / (1024 * 1024))]
    TooLarge,
    /// The picture is larger than [`MAX_SIDE`] or [`MAX_PIXELS`].
    #[error(
        "the image is {width}×{height} pixels, more than FactorCat reads (at most {MAX_SIDE} pixels a side and 40 megapixels); crop or shrink it to the QR code"
    )]
    Dimensions {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
    },
    /// Not a PNG or JPEG file.
    #[error("the file is not a PNG or JPEG image; save the QR code as PNG or JPEG")]
    UnsupportedFormat,
    /// The image data is damaged.
    #[error(
        "the image could not be decoded (the file is damaged or cut short); take the screenshot again"
    )]
    Damaged,
    /// No QR code in the picture.
    #[error(
        "no QR code found in the image; make sure the whole code is visible, sharp and not too small"
    )]
    NotFound,
    /// Codes were seen but none could be read.
    #[error("a QR code was found but could not be read; take a sharper, straighter picture of it")]
    Unreadable,
    /// The codes were read but none holds a token link.
    #[error("none of the image's QR codes holds an otpauth:// or otpauth-migration:// link")]
    NoTokens,
}

impl QrError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            QrError::TooLarge => ErrorCode::QrImageTooLarge,
            QrError::Dimensions { .. } => ErrorCode::QrImageTooLarge,
            QrError::UnsupportedFormat => ErrorCode::QrImageUnsupported,
            QrError::Damaged => ErrorCode::QrImageDamaged,
            QrError::NotFound => ErrorCode::QrNotFound,
            QrError::Unreadable => ErrorCode::QrUnreadable,
            QrError::NoTokens => ErrorCode::QrNoTokens,
        }
    }
}

/// Every QR code payload found in a PNG or JPEG image, in the order the
/// decoder finds them (several codes in one picture are all returned).
pub fn decode_image(bytes: &[u8]) -> Result<Vec<String>, QrError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(QrError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| QrError::UnsupportedFormat)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(QrError::UnsupportedFormat);
    }
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        // Room for the decoded picture in RGBA16 plus the decoder's buffers.
        limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
        reader.limits(limits);
        reader
    };
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|e| decode_error(&e, (0, 0)))?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(QrError::Dimensions { width, height });
    }
    let picture = reader()
        .decode()
        .map_err(|e| decode_error(&e, (width, height)))?;
    let luma = picture.into_luma8();
    match codes_in(&luma) {
        // Specks (sensor noise, dust, JPEG ringing) can spoil the sampling of
        // a code that was seen; a 3×3 average removes isolated pixels.
        Err(QrError::Unreadable) => {
            let smooth = image::imageops::filter3x3(&luma, &[1.0 / 9.0; 9]);
            codes_in(&smooth).map_err(|_| QrError::Unreadable)
        }
        other => other,
    }
}

fn codes_in(luma: &image::GrayImage) -> Result<Vec<String>, QrError> {
    let (w, h) = luma.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
            luma.get_pixel(x as u32, y as u32).0[0]
        });
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(QrError::NotFound);
    }
    let found: Vec<String> = grids
        .iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect();
    if found.is_empty() {
        return Err(QrError::Unreadable);
    }
    Ok(found)
}

/// Reads QR payloads as a token list (`import::parse` of the
/// `otpauth` format): payload N is entry N, Google Authenticator batches
/// are collected across codes. Payloads that
/// are not token links are left out and their positions returned; when
/// none is a token link the result is [`QrError::NoTokens`].
pub fn tokens_from_payloads(payloads: &[String]) -> (Result<Imported, QrError>, Vec<usize>) {
    let mut text = String::new();
    let mut ignored = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let link = payload.trim();
        let lower = link.get(..18).unwrap_or(link).to_ascii_lowercase();
        if (lower.starts_with("otpauth://") || lower.starts_with("otpauth-migration:"))
            && !link.contains(['\n', '\r'])
        {
            text.push_str(link);
        } else {
            text.push('#');
            ignored.push(i + 1);
        }
        text.push('\n');
    }
    let text = Zeroizing::new(text);
    if ignored.len() == payloads.len() {
        return (Err(QrError::NoTokens), ignored);
    }
    let parsed = crate::import::parse(text.as_bytes(), Some(Format::OtpauthList), None)
        .map(|(_, i)| i)
        .map_err(|_| QrError::NoTokens);
    (parsed, ignored)
}

fn decode_error(e: &image::ImageError, (width, height): (u32, u32)) -> QrError {
    match e {
        image::ImageError::Limits(_) => QrError::Dimensions { width, height },
        image::ImageError::Unsupported(_) => QrError::UnsupportedFormat,
        _ => QrError::Damaged,
    }
}
