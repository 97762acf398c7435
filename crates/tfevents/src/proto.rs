//! Hand-written protobuf encoding/decoding of the few TensorBoard messages we use:
//!
//! ```text
//! Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//! Summary { repeated Value value = 1; }
//! Value   { string tag = 1; float simple_value = 2; Image image = 4; }
//! Image   { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
//! ```
//!
//! The decoder skips fields it does not know (so it also reads other writers' files,
//! reporting their unknown value kinds as [`ValueData::Other`]).

/// File version string of the first record of every event file.
pub const FILE_VERSION: &str = "brain.Event:2";

const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_FIXED32: u8 = 5;

/// One `Summary.Value` to encode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SummaryValue<'a> {
    /// Legacy scalar: `Value { tag, simple_value }`.
    Simple { tag: &'a str, value: f32 },
    /// `Value { tag, image: Image { height, width, colorspace, encoded_image_string } }`.
    Image {
        tag: &'a str,
        height: i32,
        width: i32,
        colorspace: i32,
        encoded: &'a [u8],
    },
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_key(buf: &mut Vec<u8>, field: u32, wire: u8) {
    put_varint(buf, (u64::from(field) << 3) | u64::from(wire));
}

fn put_bytes(buf: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(buf, field, WIRE_LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

fn put_double(buf: &mut Vec<u8>, field: u32, v: f64) {
    put_key(buf, field, WIRE_FIXED64);
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_float(buf: &mut Vec<u8>, field: u32, v: f32) {
    put_key(buf, field, WIRE_FIXED32);
    buf.extend_from_slice(&v.to_le_bytes());
}

/// int32 and int64 are both plain varints; negative int32 is sign-extended to 64 bits.
fn put_int(buf: &mut Vec<u8>, field: u32, v: i64) {
    put_key(buf, field, WIRE_VARINT);
    put_varint(buf, v as u64);
}

/// Encodes `Event { wall_time, file_version }` (the first record of a file).
pub fn encode_file_version_event(wall_time: f64, file_version: &str) -> Vec<u8> {
    let mut buf = Vec::with_capacity(16 + file_version.len());
    put_double(&mut buf, 1, wall_time);
    put_bytes(&mut buf, 3, file_version.as_bytes());
    buf
}

/// Encodes `Event { wall_time, step, summary: Summary { value: values } }`.
pub fn encode_summary_event(wall_time: f64, step: i64, values: &[SummaryValue<'_>]) -> Vec<u8> {
    let mut summary = Vec::new();
    let mut value = Vec::new();
    for v in values {
        value.clear();
        match *v {
            SummaryValue::Simple { tag, value: x } => {
                put_bytes(&mut value, 1, tag.as_bytes());
                put_float(&mut value, 2, x);
            }
            SummaryValue::Image {
                tag,
                height,
                width,
                colorspace,
                encoded,
            } => {
                let mut image = Vec::with_capacity(encoded.len() + 24);
                put_int(&mut image, 1, height.into());
                put_int(&mut image, 2, width.into());
                put_int(&mut image, 3, colorspace.into());
                put_bytes(&mut image, 4, encoded);
                put_bytes(&mut value, 1, tag.as_bytes());
                put_bytes(&mut value, 4, &image);
            }
        }
        put_bytes(&mut summary, 1, &value);
    }
    let mut buf = Vec::with_capacity(summary.len() + 24);
    put_double(&mut buf, 1, wall_time);
    put_int(&mut buf, 2, step);
    put_bytes(&mut buf, 5, &summary);
    buf
}

/// A decoded `Event` (only the fields this crate knows).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecodedEvent {
    pub wall_time: f64,
    pub step: i64,
    pub file_version: Option<String>,
    /// The summary's values (empty when the event has no summary).
    pub values: Vec<DecodedValue>,
}

/// A decoded `Summary.Value`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedValue {
    pub tag: String,
    pub data: ValueData,
}

/// The payload of a [`DecodedValue`].
#[derive(Debug, Clone, PartialEq)]
pub enum ValueData {
    Simple(f32),
    Image {
        height: i32,
        width: i32,
        colorspace: i32,
        encoded: Vec<u8>,
    },
    /// A kind this decoder does not interpret (tensor, histogram, audio, ...), or none.
    Other,
}

#[derive(Clone, Copy)]
enum Field<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    Len(&'a [u8]),
    Fixed32([u8; 4]),
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if buf.len() < n {
        return None;
    }
    let (head, tail) = buf.split_at(n);
    *buf = tail;
    Some(head)
}

fn get_varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *take(buf, 1)?.first()?;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Splits a message into `(field number, value)` pairs; `None` if malformed.
fn fields(mut buf: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = get_varint(&mut buf)?;
        let (field, wire) = (key >> 3, (key & 7) as u8);
        if field == 0 {
            return None;
        }
        let value = match wire {
            WIRE_VARINT => Field::Varint(get_varint(&mut buf)?),
            WIRE_FIXED64 => Field::Fixed64(take(&mut buf, 8)?.try_into().ok()?),
            WIRE_LEN => {
                let n = usize::try_from(get_varint(&mut buf)?).ok()?;
                Field::Len(take(&mut buf, n)?)
            }
            WIRE_FIXED32 => Field::Fixed32(take(&mut buf, 4)?.try_into().ok()?),
            _ => return None, // groups (3, 4) and invalid wire types
        };
        out.push((field, value));
    }
    Some(out)
}

fn decode_image(buf: &[u8]) -> Option<ValueData> {
    let (mut height, mut width, mut colorspace, mut encoded) = (0, 0, 0, Vec::new());
    for (field, value) in fields(buf)? {
        match (field, value) {
            (1, Field::Varint(v)) => height = v as i32,
            (2, Field::Varint(v)) => width = v as i32,
            (3, Field::Varint(v)) => colorspace = v as i32,
            (4, Field::Len(b)) => encoded = b.to_vec(),
            _ => {}
        }
    }
    Some(ValueData::Image {
        height,
        width,
        colorspace,
        encoded,
    })
}

fn decode_value(buf: &[u8]) -> Option<DecodedValue> {
    let mut out = DecodedValue {
        tag: String::new(),
        data: ValueData::Other,
    };
    for (field, value) in fields(buf)? {
        match (field, value) {
            (1, Field::Len(b)) => out.tag = String::from_utf8(b.to_vec()).ok()?,
            (2, Field::Fixed32(b)) => out.data = ValueData::Simple(f32::from_le_bytes(b)),
            (4, Field::Len(b)) => out.data = decode_image(b)?,
            _ => {}
        }
    }
    Some(out)
}

/// Decodes one record's payload as an `Event`; `None` if it is not valid protobuf.
pub fn decode_event(record: &[u8]) -> Option<DecodedEvent> {
    let mut ev = DecodedEvent::default();
    for (field, value) in fields(record)? {
        match (field, value) {
            (1, Field::Fixed64(b)) => ev.wall_time = f64::from_le_bytes(b),
            (2, Field::Varint(v)) => ev.step = v as i64,
            (3, Field::Len(b)) => ev.file_version = Some(String::from_utf8(b.to_vec()).ok()?),
            (5, Field::Len(b)) => {
                for (f, v) in fields(b)? {
                    if let (1, Field::Len(vb)) = (f, v) {
                        ev.values.push(decode_value(vb)?);
                    }
                }
            }
            _ => {}
        }
    }
    Some(ev)
}

/// Decodes the legacy scalars (`simple_value`) of one record's `Event`.
///
/// Returns `Some((step, [(tag, value), ...]))` in the order written when the event holds
/// at least one `simple_value`; other value kinds in the same event (images, ...) are
/// skipped. Returns `None` for malformed records and for events without scalars
/// (the `file_version` record, image-only events).
pub fn decode_scalars(record: &[u8]) -> Option<(i64, Vec<(String, f32)>)> {
    let ev = decode_event(record)?;
    let scalars: Vec<(String, f32)> = ev
        .values
        .into_iter()
        .filter_map(|v| match v.data {
            ValueData::Simple(x) => Some((v.tag, x)),
            _ => None,
        })
        .collect();
    (!scalars.is_empty()).then_some((ev.step, scalars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_encoding() {
        let mut b = Vec::new();
        put_varint(&mut b, 300);
        assert_eq!(b, [0xac, 0x02]);
        let mut s = b.as_slice();
        assert_eq!(get_varint(&mut s), Some(300));
        let mut b = Vec::new();
        put_int(&mut b, 2, -1);
        assert_eq!(b.len(), 1 + 10); // negative ints take 10 varint bytes
        let mut s = &b[1..];
        assert_eq!(get_varint(&mut s).map(|v| v as i64), Some(-1));
    }

    #[test]
    fn file_version_event_bytes() {
        let b = encode_file_version_event(1.5, FILE_VERSION);
        let mut want = vec![0x09];
        want.extend_from_slice(&1.5f64.to_le_bytes());
        want.extend_from_slice(&[0x1a, 13]);
        want.extend_from_slice(b"brain.Event:2");
        assert_eq!(b, want);
        let ev = decode_event(&b).unwrap();
        assert_eq!(ev.file_version.as_deref(), Some(FILE_VERSION));
        assert_eq!((ev.wall_time, ev.step), (1.5, 0));
        assert_eq!(decode_scalars(&b), None);
    }

    #[test]
    fn summary_event_roundtrip() {
        let png = [0x89u8, b'P', b'N', b'G', 0, 1, 2];
        let vals = [
            SummaryValue::Simple {
                tag: "train/loss",
                value: 0.125,
            },
            SummaryValue::Image {
                tag: "raster",
                height: 28,
                width: 300,
                colorspace: 1,
                encoded: &png,
            },
            SummaryValue::Simple {
                tag: "é/x",
                value: -3.5e-7,
            },
        ];
        let b = encode_summary_event(2.25, -7, &vals);
        let ev = decode_event(&b).unwrap();
        assert_eq!((ev.wall_time, ev.step, ev.file_version), (2.25, -7, None));
        assert_eq!(ev.values.len(), 3);
        assert_eq!(
            ev.values[1].data,
            ValueData::Image {
                height: 28,
                width: 300,
                colorspace: 1,
                encoded: png.to_vec()
            }
        );
        let (step, s) = decode_scalars(&b).unwrap();
        assert_eq!(step, -7);
        assert_eq!(
            s,
            vec![("train/loss".into(), 0.125), ("é/x".into(), -3.5e-7)]
        );
        // Truncated protobuf is rejected, not misread.
        assert_eq!(decode_event(&b[..b.len() - 1]), None);
    }
}
