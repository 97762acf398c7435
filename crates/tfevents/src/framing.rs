//! TFRecord framing: `u64 LE length`, `u32 LE masked_crc32c(length bytes)`, `data`,
//! `u32 LE masked_crc32c(data)`. Records are simply concatenated.

use std::io::{self, Write};
use std::path::Path;

use crate::TfEventsError;

/// Constant added when masking a CRC (TensorFlow's `kMaskDelta`).
const MASK_DELTA: u32 = 0xa282_ead8;

/// Masks a CRC32C as TFRecord does: `((crc >> 15) | (crc << 17)) + 0xa282ead8 (mod 2^32)`.
pub fn mask_crc(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// The masked CRC32C (Castagnoli) of `data`, as stored in TFRecord framing.
pub fn masked_crc32c(data: &[u8]) -> u32 {
    mask_crc(crc32c::crc32c(data))
}

/// Writes one framed record holding `data` to `out` (no flush).
pub fn write_record<W: Write>(out: &mut W, data: &[u8]) -> io::Result<()> {
    let len = (data.len() as u64).to_le_bytes();
    out.write_all(&len)?;
    out.write_all(&masked_crc32c(&len).to_le_bytes())?;
    out.write_all(data)?;
    out.write_all(&masked_crc32c(data).to_le_bytes())
}

/// Reads every record of the file at `path`, verifying both masked CRCs of each.
///
/// Returns the records' payloads in file order. Fails with [`TfEventsError::Crc`] on
/// a CRC mismatch and [`TfEventsError::Truncated`] when the file ends inside a record;
/// both name the file and the 0-based record index. An empty file has no records.
pub fn read_records(path: &Path) -> Result<Vec<Vec<u8>>, TfEventsError> {
    let bytes = std::fs::read(path).map_err(|source| TfEventsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_records(&bytes, path)
}

/// Parses concatenated records from `bytes`; `path` is only used in error messages.
pub fn parse_records(bytes: &[u8], path: &Path) -> Result<Vec<Vec<u8>>, TfEventsError> {
    let mut records = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let index = records.len();
        let truncated = |detail: String| TfEventsError::Truncated {
            path: path.to_path_buf(),
            index,
            offset: pos as u64,
            detail,
        };
        let crc_err = |part, stored, computed| TfEventsError::Crc {
            path: path.to_path_buf(),
            index,
            offset: pos as u64,
            part,
            stored,
            computed,
        };
        let rest = &bytes[pos..];
        if rest.len() < 12 {
            return Err(truncated(format!("{} header bytes of 12", rest.len())));
        }
        let len_bytes = &rest[..8];
        let stored = u32::from_le_bytes(rest[8..12].try_into().expect("4 bytes"));
        let computed = masked_crc32c(len_bytes);
        if stored != computed {
            return Err(crc_err("length", stored, computed));
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let available = (rest.len() - 12) as u64;
        if len.saturating_add(4) > available {
            return Err(truncated(format!(
                "length {len} + 4 CRC bytes but only {available} bytes follow the header"
            )));
        }
        let len = len as usize; // <= available, so it fits
        let data = &rest[12..12 + len];
        let stored = u32::from_le_bytes(rest[12 + len..16 + len].try_into().expect("4 bytes"));
        let computed = masked_crc32c(data);
        if stored != computed {
            return Err(crc_err("data", stored, computed));
        }
        records.push(data.to_vec());
        pos += 16 + len;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::manual_rotate)] // deliberately spelled as in the format spec
    fn crc32c_and_mask_known_vector() {
        // CRC-32C check value (RFC 3720 / Castagnoli).
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        // ((0xE3069283 >> 15) | (0xE3069283 << 17)) + 0xa282ead8 mod 2^32, by hand:
        // rotr15 = 0x0001C60D | 0x25060000 = 0x2507C60D; + 0xA282EAD8 = 0xC78AB0E5.
        assert_eq!(mask_crc(0xE306_9283), 0xC78A_B0E5);
        assert_eq!(masked_crc32c(b"123456789"), 0xC78A_B0E5);
        assert_eq!(
            mask_crc(0xE306_9283),
            ((0xE306_9283u32 >> 15) | (0xE306_9283u32 << 17)).wrapping_add(0xa282ead8)
        );
    }

    #[test]
    fn frame_parse_roundtrip_and_errors() {
        let mut buf = Vec::new();
        write_record(&mut buf, b"hello").unwrap();
        write_record(&mut buf, b"").unwrap();
        assert_eq!(buf.len(), 16 + 5 + 16);
        let p = Path::new("mem.tfevents");
        let recs = parse_records(&buf, p).unwrap();
        assert_eq!(recs, vec![b"hello".to_vec(), Vec::new()]);

        // Flip a data byte of record 0.
        let mut bad = buf.clone();
        bad[12] ^= 0x01;
        let err = parse_records(&bad, p).unwrap_err();
        assert!(
            matches!(
                err,
                TfEventsError::Crc {
                    index: 0,
                    part: "data",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("mem.tfevents"));

        // Flip a length byte of record 1: its length CRC must catch it.
        let mut bad = buf.clone();
        bad[21] ^= 0x80;
        let err = parse_records(&bad, p).unwrap_err();
        assert!(
            matches!(
                err,
                TfEventsError::Crc {
                    index: 1,
                    part: "length",
                    offset: 21,
                    ..
                }
            ),
            "{err}"
        );

        // Truncation.
        let err = parse_records(&buf[..buf.len() - 1], p).unwrap_err();
        assert!(
            matches!(err, TfEventsError::Truncated { index: 1, .. }),
            "{err}"
        );
        let err = parse_records(&buf[..5], p).unwrap_err();
        assert!(
            matches!(err, TfEventsError::Truncated { index: 0, .. }),
            "{err}"
        );
    }
}
