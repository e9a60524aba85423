//! Go's certificate parser (`crypto/x509` `ParseCertificate`, Go 1.19's `parser.go` on
//! `cryptobyte`), reproduced for its verdict: whether Go accepts the DER, and if not
//! the exact error it returns (crypto/tls then fails the whole handshake with
//! `tls: failed to parse certificate from server: x509: ...`, even when verification is
//! off). It also yields what Go's verifier needs that x509-parser does not give the same
//! way: the critical extensions Go does not handle.
//!
//! The DER reader follows cryptobyte: low tag numbers only, minimal definite lengths,
//! minimal INTEGERs, BOOLEAN as 0x00/0xff, BIT STRINGs with zero padding bits. Like Go,
//! the parser ignores bytes after most inner structures (the TBS, a name, an extension
//! value) and checks only for trailing data after the whole certificate.
//!
//! Known approximation: a URI subject alternative name is checked for control
//! characters and for a valid host, not with all of Go's `net/url` rules.

use num_bigint::BigUint;

/// What regdoctor keeps from Go's parse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoParsed {
    /// Go's one-based version (1, 2 or 3).
    pub version: i64,
    /// Critical extensions Go 1.19 does not handle, as dotted OIDs: `Certificate.Verify`
    /// refuses such a certificate ("x509: unhandled critical extension").
    pub unhandled_critical: Vec<String>,
    /// keyUsage bits in Go's numbering (digitalSignature = 1, keyCertSign = 32); 0 when
    /// absent.
    pub key_usage: u32,
    /// basicConstraints is present.
    pub basic_constraints_valid: bool,
    /// basicConstraints CA flag.
    pub is_ca: bool,
    /// The raw value of the subjectAltName extension (Go compares it in `alreadyInChain`).
    pub san_value: Option<Vec<u8>>,
    /// The public key algorithm is one Go knows (RSA, ECDSA, Ed25519, DSA).
    pub known_key_algorithm: bool,
}

/// Policy extensions Go 1.22 and later handle (it verifies policies since 1.22), which
/// Go 1.19 to 1.21 leave unhandled: policyMappings, policyConstraints, inhibitAnyPolicy.
pub const POLICY_EXTENSIONS_SINCE_1_22: [&str; 3] = ["2.5.29.33", "2.5.29.36", "2.5.29.54"];

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// A cryptobyte `String`: a cursor over DER.
#[derive(Clone, Copy)]
struct S<'a>(&'a [u8]);

impl<'a> S<'a> {
    fn empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `readASN1`: (tag, element with header, header length).
    fn read_raw(&mut self) -> Option<(u8, &'a [u8], usize)> {
        let s = self.0;
        if s.len() < 2 {
            return None;
        }
        let (tag, len_byte) = (s[0], s[1]);
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (length, header) = if len_byte & 0x80 == 0 {
            (len_byte as usize + 2, 2usize)
        } else {
            let len_len = (len_byte & 0x7f) as usize;
            if len_len == 0 || len_len > 4 || s.len() < 2 + len_len {
                return None;
            }
            let mut len32: u32 = 0;
            for b in &s[2..2 + len_len] {
                len32 = (len32 << 8) | u32::from(*b);
            }
            if len32 < 128 {
                return None;
            }
            if len32 >> ((len_len - 1) * 8) == 0 {
                return None;
            }
            let header = 2 + len_len;
            (header.checked_add(len32 as usize)?, header)
        };
        if s.len() < length {
            return None;
        }
        self.0 = &s[length..];
        Some((tag, &s[..length], header))
    }

    /// `ReadAnyASN1`: the contents and the tag.
    fn read_any(&mut self) -> Option<(u8, S<'a>)> {
        let (tag, el, header) = self.read_raw()?;
        Some((tag, S(&el[header..])))
    }

    /// `ReadAnyASN1Element`: the whole element and the tag.
    fn read_any_element(&mut self) -> Option<(u8, &'a [u8])> {
        let (tag, el, _) = self.read_raw()?;
        Some((tag, el))
    }

    /// `ReadASN1`: the contents of an element with this tag.
    fn read(&mut self, tag: u8) -> Option<S<'a>> {
        let mut copy = *self;
        let (t, inner) = copy.read_any()?;
        if t != tag {
            return None;
        }
        *self = copy;
        Some(inner)
    }

    /// `ReadASN1Element`.
    fn read_element(&mut self, tag: u8) -> Option<&'a [u8]> {
        let mut copy = *self;
        let (t, el) = copy.read_any_element()?;
        if t != tag {
            return None;
        }
        *self = copy;
        Some(el)
    }

    fn peek(&self, tag: u8) -> bool {
        self.0.first() == Some(&tag)
    }

    /// `ReadOptionalASN1`: Some(None) when absent, None on a malformed element.
    fn read_optional(&mut self, tag: u8) -> Option<Option<S<'a>>> {
        if !self.peek(tag) {
            return Some(None);
        }
        self.read(tag).map(Some)
    }

    fn skip_optional(&mut self, tag: u8) -> bool {
        self.read_optional(tag).is_some()
    }

    fn read_bool(&mut self) -> Option<bool> {
        let b = self.read(BOOLEAN)?;
        match b.0 {
            [0] => Some(false),
            [0xff] => Some(true),
            _ => None,
        }
    }

    /// A minimally encoded INTEGER's content bytes.
    fn read_integer_bytes(&mut self) -> Option<&'a [u8]> {
        let b = self.read(INTEGER)?.0;
        if !check_integer(b) {
            return None;
        }
        Some(b)
    }

    /// `ReadASN1Integer` into a big.Int: its sign (-1, 0, 1).
    fn read_big_sign(&mut self) -> Option<i8> {
        let b = self.read_integer_bytes()?;
        Some(if b[0] & 0x80 != 0 {
            -1
        } else if b.iter().all(|x| *x == 0) {
            0
        } else {
            1
        })
    }

    /// `ReadASN1Integer` into an int (64 bits).
    fn read_i64(&mut self) -> Option<i64> {
        let b = self.read_integer_bytes()?;
        if b.len() > 8 {
            return None;
        }
        let mut v: i64 = if b[0] & 0x80 != 0 { -1 } else { 0 };
        for x in b {
            v = (v << 8) | i64::from(*x);
        }
        Some(v)
    }

    fn read_oid(&mut self) -> Option<Vec<u64>> {
        let mut b = self.read(OID)?;
        if b.empty() {
            return None;
        }
        let first = b.read_base128()?;
        let mut out = if first < 80 {
            vec![first / 40, first % 40]
        } else {
            vec![2, first - 80]
        };
        while !b.empty() {
            out.push(b.read_base128()?);
        }
        Some(out)
    }

    fn read_base128(&mut self) -> Option<u64> {
        let mut ret: u64 = 0;
        let mut i = 0;
        while let Some((&b, rest)) = self.0.split_first() {
            if i == 5 || ret >= 1 << (31 - 7) {
                return None;
            }
            ret = (ret << 7) | u64::from(b & 0x7f);
            self.0 = rest;
            if b & 0x80 == 0 {
                return Some(ret);
            }
            i += 1;
        }
        None
    }

    /// `ReadASN1BitString`: (bytes, bit length).
    fn read_bit_string(&mut self) -> Option<(&'a [u8], usize)> {
        let b = self.read(BIT_STRING)?.0;
        let (&padding, bytes) = b.split_first()?;
        if padding > 7
            || (bytes.is_empty() && padding != 0)
            || bytes
                .last()
                .is_some_and(|l| l & ((1u8 << padding) - 1) != 0)
        {
            return None;
        }
        Some((bytes, bytes.len() * 8 - padding as usize))
    }
}

fn check_integer(b: &[u8]) -> bool {
    match b {
        [] => false,
        [_] => true,
        [0, second, ..] if second & 0x80 == 0 => false,
        [0xff, second, ..] if second & 0x80 == 0x80 => false,
        _ => true,
    }
}

/// Go's `asn1.BitString.RightAlign`.
fn right_align(bytes: &[u8], bit_len: usize) -> Vec<u8> {
    let shift = 8 - (bit_len % 8);
    if shift == 8 || bytes.is_empty() {
        return bytes.to_vec();
    }
    let mut a = vec![0u8; bytes.len()];
    a[0] = bytes[0] >> shift;
    for i in 1..bytes.len() {
        a[i] = (bytes[i - 1] << (8 - shift)) | (bytes[i] >> shift);
    }
    a
}

fn oid_string(oid: &[u64]) -> String {
    oid.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Go's `%q` for a string of bytes (strconv.Quote), close enough for error texts:
/// printable characters as they are, `\"` and `\\`, C escapes, `\xNN` for control
/// characters and bytes that are not UTF-8, `\uNNNN` for other control characters.
pub fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = bytes;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, None),
            Err(e) => {
                let (v, tail) = rest.split_at(e.valid_up_to());
                (
                    std::str::from_utf8(v).unwrap_or_default(),
                    tail.first().copied(),
                )
            }
        };
        for c in valid.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{b}' => out.push_str("\\v"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        rest = &rest[valid.len()..];
        if let Some(b) = bad {
            out.push_str(&format!("\\x{b:02x}"));
            rest = &rest[1..];
        }
    }
    out.push('"');
    out
}

type R<T> = Result<T, String>;

fn err<T>(text: &str) -> R<T> {
    Err(text.to_string())
}

/// The raw subject name of a certificate (Go's `RawSubject`), read without parsing the
/// rest: how a pool of many roots is indexed by name cheaply. None when the structure up
/// to the subject is not DER Go could read (such a certificate fails `parse` anyway).
pub fn raw_subject(der: &[u8]) -> Option<&[u8]> {
    let mut cert = S(der).read(SEQUENCE)?;
    let mut tbs = cert.read(SEQUENCE)?;
    tbs.read_optional(0xa0)?;
    tbs.read_integer_bytes()?;
    tbs.read(SEQUENCE)?; // signature algorithm
    tbs.read_element(SEQUENCE)?; // issuer
    tbs.read(SEQUENCE)?; // validity
    tbs.read_element(SEQUENCE)
}

/// Go's `x509.ParseCertificate`: Ok with what the verifier needs, or Go's error text
/// (`x509: ...`).
pub fn parse(der: &[u8]) -> R<GoParsed> {
    let mut out = GoParsed::default();
    let mut input = S(der);
    let Some(raw) = input.read_element(SEQUENCE) else {
        return err("x509: malformed certificate");
    };
    let mut input = S(raw);
    let Some(mut input_c) = input.read(SEQUENCE) else {
        return err("x509: malformed certificate");
    };
    let Some(tbs_el) = input_c.read_element(SEQUENCE) else {
        return err("x509: malformed tbs certificate");
    };
    let Some(mut tbs) = S(tbs_el).read(SEQUENCE) else {
        return err("x509: malformed tbs certificate");
    };
    out.version = parse_version(&mut tbs)?;
    if tbs.read_big_sign().is_none() {
        return err("x509: malformed serial number");
    }
    let Some(sig_ai) = tbs.read(SEQUENCE) else {
        return err("x509: malformed signature algorithm identifier");
    };
    let Some(outer_sig_ai) = input_c.read(SEQUENCE) else {
        return err("x509: malformed algorithm identifier");
    };
    if outer_sig_ai.0 != sig_ai.0 {
        return err("x509: inner and outer signature algorithm identifiers don't match");
    }
    parse_ai(sig_ai)?;
    let Some(issuer) = tbs.read_element(SEQUENCE) else {
        return err("x509: malformed issuer");
    };
    parse_name(S(issuer))?;
    let Some(mut validity) = tbs.read(SEQUENCE) else {
        return err("x509: malformed validity");
    };
    parse_time(&mut validity)?;
    parse_time(&mut validity)?;
    let Some(subject) = tbs.read_element(SEQUENCE) else {
        // Go says "issuer" here too.
        return err("x509: malformed issuer");
    };
    parse_name(S(subject))?;
    out.known_key_algorithm = parse_spki(&mut tbs)?;
    if out.version > 1 {
        if !tbs.skip_optional(0x81) {
            return err("x509: malformed issuerUniqueID");
        }
        if !tbs.skip_optional(0x82) {
            return err("x509: malformed subjectUniqueID");
        }
        if out.version == 3 {
            parse_extensions(&mut tbs, &mut out)?;
        }
    }
    if input_c.read_bit_string().is_none() {
        return err("x509: malformed signature");
    }
    if raw.len() != der.len() {
        return err("x509: trailing data");
    }
    Ok(out)
}

/// The version, `[0] EXPLICIT INTEGER DEFAULT 0`, as Go's one-based number.
fn parse_version(tbs: &mut S<'_>) -> R<i64> {
    let version = match tbs.read_optional(0xa0) {
        None => return err("x509: malformed version"),
        Some(None) => 0,
        Some(Some(mut v)) => match v.read_i64() {
            Some(n) if v.empty() => n,
            _ => return err("x509: malformed version"),
        },
    };
    if version < 0 {
        return err("x509: malformed version");
    }
    if version + 1 > 3 {
        return err("x509: invalid version");
    }
    Ok(version + 1)
}

/// The subjectPublicKeyInfo: Ok(false) for a key algorithm Go does not know.
fn parse_spki(tbs: &mut S<'_>) -> R<bool> {
    let Some(spki_el) = tbs.read_element(SEQUENCE) else {
        return err("x509: malformed spki");
    };
    let Some(mut spki) = S(spki_el).read(SEQUENCE) else {
        return err("x509: malformed spki");
    };
    let Some(pk_ai) = spki.read(SEQUENCE) else {
        return err("x509: malformed public key algorithm identifier");
    };
    let (pk_oid, pk_params) = parse_ai(pk_ai)?;
    let Some((key_bytes, key_bits)) = spki.read_bit_string() else {
        return err("x509: malformed subjectPublicKey");
    };
    parse_public_key(&pk_oid, pk_params, &right_align(key_bytes, key_bits))
}

/// The optional `[3]` extensions of a v3 certificate: no duplicates, each processed.
fn parse_extensions(tbs: &mut S<'_>, out: &mut GoParsed) -> R<()> {
    let exts = match tbs.read_optional(0xa3) {
        None => return err("x509: malformed extensions"),
        Some(e) => e,
    };
    let Some(mut exts) = exts else {
        return Ok(());
    };
    let Some(mut exts) = exts.read(SEQUENCE) else {
        return err("x509: malformed extensions");
    };
    let mut parsed: Vec<Extension<'_>> = Vec::new();
    while !exts.empty() {
        let Some(ext) = exts.read(SEQUENCE) else {
            return err("x509: malformed extension");
        };
        let ext = parse_extension(ext)?;
        if parsed.iter().any(|e| e.oid == ext.oid) {
            return err("x509: certificate contains duplicate extensions");
        }
        parsed.push(ext);
    }
    process_extensions(&parsed, out)
}

/// `parseAI`: the OID and the parameters element (empty when absent).
fn parse_ai(mut der: S<'_>) -> R<(Vec<u64>, &[u8])> {
    let Some(oid) = der.read_oid() else {
        return err("x509: malformed OID");
    };
    if der.empty() {
        return Ok((oid, &[]));
    }
    match der.read_any_element() {
        Some((_, params)) => Ok((oid, params)),
        None => err("x509: malformed parameters"),
    }
}

fn parse_name(raw: S<'_>) -> R<()> {
    let mut raw = raw;
    let Some(mut rdns) = raw.read(SEQUENCE) else {
        return err("x509: invalid RDNSequence");
    };
    while !rdns.empty() {
        let Some(mut set) = rdns.read(SET) else {
            return err("x509: invalid RDNSequence");
        };
        while !set.empty() {
            let Some(mut atav) = set.read(SEQUENCE) else {
                return err("x509: invalid RDNSequence: invalid attribute");
            };
            if atav.read_oid().is_none() {
                return err("x509: invalid RDNSequence: invalid attribute type");
            }
            let Some((tag, value)) = atav.read_any() else {
                return err("x509: invalid RDNSequence: invalid attribute value");
            };
            if let Err(e) = check_asn1_string(tag, value.0) {
                return Err(format!(
                    "x509: invalid RDNSequence: invalid attribute value: {e}"
                ));
            }
        }
    }
    Ok(())
}

/// Go's `parseASN1String`, for its verdict only.
fn check_asn1_string(tag: u8, v: &[u8]) -> Result<(), String> {
    match tag {
        // T61String
        20 => Ok(()),
        // PrintableString
        19 => {
            if v.iter()
                .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?*&".contains(b))
            {
                Ok(())
            } else {
                Err("invalid PrintableString".into())
            }
        }
        // UTF8String
        12 => std::str::from_utf8(v)
            .map(|_| ())
            .map_err(|_| "invalid UTF-8 string".into()),
        // BMPString
        30 => {
            if !v.len().is_multiple_of(2) {
                Err("invalid BMPString".into())
            } else {
                Ok(())
            }
        }
        // IA5String
        22 => {
            if v.is_ascii() {
                Ok(())
            } else {
                Err("invalid IA5String".into())
            }
        }
        // NumericString
        18 => {
            if v.iter().all(|b| b.is_ascii_digit() || *b == b' ') {
                Ok(())
            } else {
                Err("invalid NumericString".into())
            }
        }
        other => Err(format!("unsupported string type: {other}")),
    }
}

fn parse_time(der: &mut S<'_>) -> R<()> {
    if der.peek(UTC_TIME) {
        match der.read(UTC_TIME) {
            Some(t) if valid_utc_time(t.0) => Ok(()),
            _ => err("x509: malformed UTCTime"),
        }
    } else if der.peek(GENERALIZED_TIME) {
        match der.read(GENERALIZED_TIME) {
            Some(t) if valid_generalized_time(t.0) => Ok(()),
            _ => err("x509: malformed GeneralizedTime"),
        }
    } else {
        err("x509: unsupported time format")
    }
}

/// Digits at `b[i..i+n]` as a number.
fn digits(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let part = b.get(i..i + n)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        _ => 28,
    }
}

/// `MMDDhhmm[ss]` then the zone, as Go's `time.Parse` + `Format` round trip accepts it.
fn valid_date_rest(b: &[u8], year: i64, with_seconds: bool) -> bool {
    let (Some(month), Some(day), Some(hour), Some(minute)) = (
        digits(b, 0, 2),
        digits(b, 2, 2),
        digits(b, 4, 2),
        digits(b, 6, 2),
    ) else {
        return false;
    };
    let mut at = 8;
    if with_seconds {
        match digits(b, 8, 2) {
            Some(s) if s < 60 => at = 10,
            _ => return false,
        }
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in(month, year)
        || hour > 23
        || minute > 59
    {
        return false;
    }
    match &b[at..] {
        b"Z" => true,
        [sign @ (b'+' | b'-'), zone @ ..] if zone.len() == 4 => {
            let _ = sign;
            // Go formats a zero offset as "Z", so "+0000" does not round-trip.
            matches!((digits(zone, 0, 2), digits(zone, 2, 2)), (Some(h), Some(m)) if m < 60 && (h, m) != (0, 0))
        }
        _ => false,
    }
}

/// cryptobyte's `ReadASN1UTCTime`: `YYMMDDhhmmssZ`, or minute precision, or an offset
/// other than zero instead of `Z`.
fn valid_utc_time(b: &[u8]) -> bool {
    let Some(yy) = digits(b, 0, 2) else {
        return false;
    };
    // time.Parse's two-digit year: 69-99 is 19xx.
    let year = if yy >= 69 { 1900 } else { 2000 } + i64::from(yy);
    valid_date_rest(&b[2..], year, true) || valid_date_rest(&b[2..], year, false)
}

/// cryptobyte's `ReadASN1GeneralizedTime`: `YYYYMMDDhhmmssZ` (or an offset), no fraction.
fn valid_generalized_time(b: &[u8]) -> bool {
    let Some(year) = digits(b, 0, 4) else {
        return false;
    };
    valid_date_rest(&b[4..], i64::from(year), true)
}

/// The public key, checked as Go's `parsePublicKey`; Ok(false) for an algorithm Go does
/// not know (which it accepts with a nil key).
fn parse_public_key(oid: &[u64], params: &[u8], key: &[u8]) -> R<bool> {
    match oid {
        // RSA
        [1, 2, 840, 113549, 1, 1, 1] => parse_rsa_key(params, key)?,
        // ECDSA
        [1, 2, 840, 10045, 2, 1] => {
            let Some(curve) = S(params).read_oid() else {
                return err("x509: invalid ECDSA parameters");
            };
            let Some(curve) = Curve::from_oid(&curve) else {
                return err("x509: unsupported elliptic curve");
            };
            if !curve.unmarshal_ok(key) {
                return err("x509: failed to unmarshal elliptic curve point");
            }
        }
        // Ed25519
        [1, 3, 101, 112] => {
            if !params.is_empty() {
                return err("x509: Ed25519 key encoded with illegal parameters");
            }
            if key.len() != 32 {
                return err("x509: wrong Ed25519 public key size");
            }
        }
        // DSA
        [1, 2, 840, 10040, 4, 1] => parse_dsa_key(params, key)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// An RSA public key: NULL parameters, a positive modulus and exponent.
fn parse_rsa_key(params: &[u8], key: &[u8]) -> R<()> {
    if params != [0x05, 0x00] {
        return err("x509: RSA key missing NULL parameters");
    }
    let Some(mut der) = S(key).read(SEQUENCE) else {
        return err("x509: invalid RSA public key");
    };
    let Some(n) = der.read_big_sign() else {
        return err("x509: invalid RSA modulus");
    };
    let Some(e) = der.read_i64() else {
        return err("x509: invalid RSA public exponent");
    };
    if n <= 0 {
        return err("x509: RSA modulus is not a positive number");
    }
    if e <= 0 {
        return err("x509: RSA public exponent is not a positive number");
    }
    Ok(())
}

/// A DSA public key: positive y, p, q and g.
fn parse_dsa_key(params: &[u8], key: &[u8]) -> R<()> {
    let Some(y) = S(key).read_big_sign() else {
        return err("x509: invalid DSA public key");
    };
    let mut p = S(params);
    let Some(mut seq) = p.read(SEQUENCE) else {
        return err("x509: invalid DSA parameters");
    };
    let (Some(pp), Some(q), Some(g)) = (
        seq.read_big_sign(),
        seq.read_big_sign(),
        seq.read_big_sign(),
    ) else {
        return err("x509: invalid DSA parameters");
    };
    if y <= 0 || pp <= 0 || q <= 0 || g <= 0 {
        return err("x509: zero or negative DSA parameter");
    }
    Ok(())
}

/// The NIST curves Go supports, with what `elliptic.Unmarshal` needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// secp224r1.
    P224,
    /// prime256v1.
    P256,
    /// secp384r1.
    P384,
    /// secp521r1.
    P521,
}

impl Curve {
    fn from_oid(oid: &[u64]) -> Option<Curve> {
        match oid {
            [1, 3, 132, 0, 33] => Some(Curve::P224),
            [1, 2, 840, 10045, 3, 1, 7] => Some(Curve::P256),
            [1, 3, 132, 0, 34] => Some(Curve::P384),
            [1, 3, 132, 0, 35] => Some(Curve::P521),
            _ => None,
        }
    }

    /// (p in decimal, b in hex, size of a coordinate in bytes), from Go's
    /// crypto/elliptic (FIPS 186-4, D.1.2).
    fn params(self) -> (&'static str, &'static str, usize) {
        match self {
            Curve::P224 => (
                "26959946667150639794667015087019630673557916260026308143510066298881",
                "b4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4",
                28,
            ),
            Curve::P256 => (
                "115792089210356248762697446949407573530086143415290314195533631308867097853951",
                "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
                32,
            ),
            Curve::P384 => (
                "39402006196394479212279040100143613805079739270465446667948293404245721771496870329047266088258938001861606973112319",
                "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
                48,
            ),
            Curve::P521 => (
                "6864797660130609714981900799081393217269435300143305409394463459185543183397656052122559640661454554977296311391480858037121987999716643812574028291115057151",
                "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
                66,
            ),
        }
    }

    /// Go's `elliptic.Unmarshal` succeeds: the uncompressed form `04 || X || Y` of the
    /// curve's size, both coordinates below p, and y² = x³ − 3x + b (mod p).
    pub fn unmarshal_ok(self, data: &[u8]) -> bool {
        let (p_dec, b_hex, size) = self.params();
        if data.len() != 1 + 2 * size || data[0] != 4 {
            return false;
        }
        let (Some(p), Some(b)) = (
            BigUint::parse_bytes(p_dec.as_bytes(), 10),
            BigUint::parse_bytes(b_hex.as_bytes(), 16),
        ) else {
            return false;
        };
        let x = BigUint::from_bytes_be(&data[1..1 + size]);
        let y = BigUint::from_bytes_be(&data[1 + size..]);
        if x >= p || y >= p {
            return false;
        }
        let y2 = (&y * &y) % &p;
        let x3 = (&x * &x % &p) * &x % &p;
        let three_x = (&x * 3u32) % &p;
        let rhs = (x3 + &p - three_x + b) % &p;
        y2 == rhs
    }
}

struct Extension<'a> {
    oid: Vec<u64>,
    critical: bool,
    value: &'a [u8],
}

fn parse_extension(mut der: S<'_>) -> R<Extension<'_>> {
    let Some(oid) = der.read_oid() else {
        return err("x509: malformed extension OID field");
    };
    let mut critical = false;
    if der.peek(BOOLEAN) {
        match der.read_bool() {
            Some(c) => critical = c,
            None => return err("x509: malformed extension critical field"),
        }
    }
    let Some(value) = der.read(OCTET_STRING) else {
        return err("x509: malformed extension value field");
    };
    Ok(Extension {
        oid,
        critical,
        value: value.0,
    })
}

/// Go's `processExtensions`.
fn process_extensions(exts: &[Extension<'_>], out: &mut GoParsed) -> R<()> {
    for e in exts {
        let mut unhandled = false;
        match e.oid.as_slice() {
            [2, 5, 29, 15] => out.key_usage = parse_key_usage(e.value)?,
            [2, 5, 29, 19] => {
                out.is_ca = parse_basic_constraints(e.value)?;
                out.basic_constraints_valid = true;
            }
            [2, 5, 29, 17] => {
                let names = parse_san(e.value)?;
                out.san_value = Some(e.value.to_vec());
                if names == 0 {
                    unhandled = true;
                }
            }
            [2, 5, 29, 30] => unhandled = parse_name_constraints(e.value)?,
            [2, 5, 29, 31] => parse_crl_distribution_points(e.value)?,
            [2, 5, 29, 35] => parse_authority_key_id(e.value)?,
            [2, 5, 29, 37] => parse_ext_key_usage(e.value)?,
            [2, 5, 29, 14] => {
                if S(e.value).read(OCTET_STRING).is_none() {
                    return err("x509: invalid subject key identifier");
                }
            }
            [2, 5, 29, 32] => parse_certificate_policies(e.value)?,
            [1, 3, 6, 1, 5, 5, 7, 1, 1] => parse_authority_info_access(e.value)?,
            _ => unhandled = true,
        }
        if e.critical && unhandled {
            out.unhandled_critical.push(oid_string(&e.oid));
        }
    }
    Ok(())
}

/// Go's `parseKeyUsageExtension`: the bits in Go's numbering.
fn parse_key_usage(value: &[u8]) -> R<u32> {
    let Some((bytes, bit_len)) = S(value).read_bit_string() else {
        return err("x509: invalid key usage");
    };
    let mut usage = 0u32;
    for i in 0..9usize {
        if i < bit_len && (bytes[i / 8] >> (7 - i % 8)) & 1 == 1 {
            usage |= 1 << i;
        }
    }
    Ok(usage)
}

/// Go's `parseBasicConstraintsExtension`: the CA flag.
fn parse_basic_constraints(value: &[u8]) -> R<bool> {
    let Some(mut der) = S(value).read(SEQUENCE) else {
        return err("x509: invalid basic constraints a");
    };
    let mut is_ca = false;
    if der.peek(BOOLEAN) {
        match der.read_bool() {
            Some(b) => is_ca = b,
            None => return err("x509: invalid basic constraints b"),
        }
    }
    if !der.empty() && der.peek(INTEGER) && der.read_i64().is_none() {
        return err("x509: invalid basic constraints c");
    }
    Ok(is_ca)
}

/// The authorityKeyIdentifier, as Go reads it (only the keyIdentifier).
fn parse_authority_key_id(value: &[u8]) -> R<()> {
    let Some(mut akid) = S(value).read(SEQUENCE) else {
        return err("x509: invalid authority key identifier");
    };
    if akid.peek(0x80) && akid.read(0x80).is_none() {
        return err("x509: invalid authority key identifier");
    }
    Ok(())
}

/// Go's `parseExtKeyUsageExtension`: a sequence of OIDs.
fn parse_ext_key_usage(value: &[u8]) -> R<()> {
    let Some(mut der) = S(value).read(SEQUENCE) else {
        return err("x509: invalid extended key usages");
    };
    while !der.empty() {
        if der.read_oid().is_none() {
            return err("x509: invalid extended key usages");
        }
    }
    Ok(())
}

/// Go's `parseCertificatePoliciesExtension`: a sequence of policies, each with its OID.
fn parse_certificate_policies(value: &[u8]) -> R<()> {
    let Some(mut der) = S(value).read(SEQUENCE) else {
        return err("x509: invalid certificate policies");
    };
    while !der.empty() {
        let Some(mut cp) = der.read(SEQUENCE) else {
            return err("x509: invalid certificate policies");
        };
        if cp.read_oid().is_none() {
            return err("x509: invalid certificate policies");
        }
    }
    Ok(())
}

/// Go's `parseSANExtension`: the number of names Go understood (DNS, email, IP, URI).
fn parse_san(value: &[u8]) -> R<usize> {
    let Some(mut der) = S(value).read(SEQUENCE) else {
        return err("x509: invalid subject alternative names");
    };
    let mut names = 0;
    while !der.empty() {
        let Some((tag, data)) = der.read_any() else {
            return err("x509: invalid subject alternative name");
        };
        let data = data.0;
        match tag ^ 0x80 {
            1 => {
                if !data.is_ascii() {
                    return err("x509: SAN rfc822Name is malformed");
                }
                names += 1;
            }
            2 => {
                if !data.is_ascii() {
                    return err("x509: SAN dNSName is malformed");
                }
                names += 1;
            }
            6 => {
                if !data.is_ascii() {
                    return err("x509: SAN uniformResourceIdentifier is malformed");
                }
                check_uri(data)?;
                names += 1;
            }
            7 => {
                if data.len() != 4 && data.len() != 16 {
                    return Err(format!(
                        "x509: cannot parse IP address of length {}",
                        data.len()
                    ));
                }
                names += 1;
            }
            _ => {}
        }
    }
    Ok(names)
}

/// An approximation of Go's `url.Parse` plus its host check for URI SANs.
fn check_uri(data: &[u8]) -> R<()> {
    let quoted = go_quote(data);
    if let Some(&c) = data.iter().find(|b| **b < 0x20 || **b == 0x7f) {
        let _ = c;
        return Err(format!(
            "x509: cannot parse URI {quoted}: parse {quoted}: net/url: invalid control character in URL"
        ));
    }
    let text = String::from_utf8_lossy(data);
    let text = text.split('#').next().unwrap_or_default();
    // scheme ":" "//" authority
    let Some((scheme, rest)) = text.split_once(':') else {
        return Ok(());
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Ok(());
    }
    let Some(rest) = rest.strip_prefix("//") else {
        return Ok(());
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if !host.is_empty() && !domain_ok(host) {
        return Err(format!("x509: cannot parse URI {quoted}: invalid domain"));
    }
    Ok(())
}

/// Go's `domainToReverseLabels` succeeds.
fn domain_ok(domain: &str) -> bool {
    if domain.is_empty() {
        return true;
    }
    domain
        .split('.')
        .all(|l| !l.is_empty() && l.bytes().all(|c| (33..=126).contains(&c)))
}

/// Go's `parseRFC2821Mailbox` succeeds.
fn mailbox_ok(input: &[u8]) -> bool {
    if input.is_empty() {
        return false;
    }
    let local_end = if input[0] == b'"' {
        quoted_local_part(input)
    } else {
        dot_atom_local_part(input)
    };
    let Some(i) = local_end else {
        return false;
    };
    if input.get(i) != Some(&b'@') {
        return false;
    }
    match std::str::from_utf8(&input[i + 1..]) {
        Ok(d) => domain_ok(d),
        // Go's labels are checked rune by rune: any byte ≥ 0x80 is out of range.
        Err(_) => false,
    }
}

/// A quoted local part (`"…"`, with quoted pairs): where it ends, if Go accepts it.
fn quoted_local_part(input: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        let &c = input.get(i)?;
        i += 1;
        match c {
            b'"' => return Some(i),
            b'\\' => {
                let &n = input.get(i)?;
                if n == 11 || n == 12 || (1..=9).contains(&n) || (14..=127).contains(&n) {
                    i += 1;
                } else {
                    return None;
                }
            }
            11 | 12 | 32 | 33 | 127 => {}
            c if (1..=8).contains(&c)
                || (14..=31).contains(&c)
                || (35..=91).contains(&c)
                || (93..=126).contains(&c) => {}
            _ => return None,
        }
    }
}

/// A dot-atom local part: where it ends, if Go accepts it (not empty, no leading,
/// trailing or double dot).
fn dot_atom_local_part(input: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut local: Vec<u8> = Vec::new();
    while let Some(&c) = input.get(i) {
        let atext = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&c);
        if c == b'\\' {
            i += 1;
            let &n = input.get(i)?;
            // Go falls through to append the escaped byte.
            local.push(n);
            i += 1;
        } else if atext(c) {
            local.push(c);
            i += 1;
        } else {
            break;
        }
    }
    if local.is_empty()
        || local[0] == b'.'
        || local[local.len() - 1] == b'.'
        || local.windows(2).any(|w| w == b"..")
    {
        return None;
    }
    Some(i)
}

/// Go's `parseNameConstraintsExtension`: whether a subtree of a type Go does not
/// support makes the extension unhandled.
fn parse_name_constraints(value: &[u8]) -> R<bool> {
    let invalid = || err("x509: invalid NameConstraints extension");
    let mut outer = S(value);
    let Some(mut top) = outer.read(SEQUENCE) else {
        return invalid();
    };
    if !outer.empty() {
        return invalid();
    }
    let Some(permitted) = top.read_optional(0xa0) else {
        return invalid();
    };
    let Some(excluded) = top.read_optional(0xa1) else {
        return invalid();
    };
    if !top.empty() {
        return invalid();
    }
    let len = |s: &Option<S<'_>>| s.map_or(0, |s| s.0.len());
    if (permitted.is_none() && excluded.is_none()) || (len(&permitted) == 0 && len(&excluded) == 0)
    {
        return err("x509: empty name constraints extension");
    }
    let mut unhandled = false;
    for subtrees in [permitted, excluded].into_iter().flatten() {
        let mut subtrees = subtrees;
        while !subtrees.empty() {
            let Some(mut seq) = subtrees.read(SEQUENCE) else {
                return invalid();
            };
            let Some((tag, value)) = seq.read_any() else {
                return invalid();
            };
            if !check_constraint(tag, value.0)? {
                unhandled = true;
            }
        }
    }
    Ok(unhandled)
}

/// One name-constraint subtree, checked as Go parses it: Ok(false) when Go does not
/// support its type (the extension is then unhandled).
fn check_constraint(tag: u8, v: &[u8]) -> R<bool> {
    let ia5 = |v: &[u8]| -> R<()> {
        if v.is_ascii() {
            Ok(())
        } else {
            Err(format!(
                "x509: invalid constraint value: x509: {} cannot be encoded as an IA5String",
                go_quote(v)
            ))
        }
    };
    match tag {
        0x82 => {
            ia5(v)?;
            let text = String::from_utf8_lossy(v);
            if !domain_ok(text.strip_prefix('.').unwrap_or(&text)) {
                return Err(format!(
                    "x509: failed to parse dnsName constraint {}",
                    go_quote(v)
                ));
            }
        }
        0x87 => ip_constraint(v)?,
        0x81 => {
            ia5(v)?;
            let ok = if v.contains(&b'@') {
                mailbox_ok(v)
            } else {
                let text = String::from_utf8_lossy(v);
                domain_ok(text.strip_prefix('.').unwrap_or(&text))
            };
            if !ok {
                return Err(format!(
                    "x509: failed to parse rfc822Name constraint {}",
                    go_quote(v)
                ));
            }
        }
        0x86 => {
            ia5(v)?;
            uri_constraint(v)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// An iPAddress constraint: an address and a mask of 4 or 16 bytes, the mask contiguous.
fn ip_constraint(v: &[u8]) -> R<()> {
    let mask = match v.len() {
        8 => &v[4..],
        32 => &v[16..],
        l => {
            return Err(format!("x509: IP constraint contained value of length {l}"));
        }
    };
    if !valid_ip_mask(mask) {
        return Err(format!(
            "x509: IP constraint contained invalid mask {}",
            mask.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ));
    }
    Ok(())
}

/// A URI constraint: a domain (or `.domain`), not an IP address.
fn uri_constraint(v: &[u8]) -> R<()> {
    let text = String::from_utf8_lossy(v);
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!(
            "x509: failed to parse URI constraint {}: cannot be IP address",
            go_quote(v)
        ));
    }
    if !domain_ok(text.strip_prefix('.').unwrap_or(&text)) {
        return Err(format!(
            "x509: failed to parse URI constraint {}",
            go_quote(v)
        ));
    }
    Ok(())
}

fn valid_ip_mask(mask: &[u8]) -> bool {
    let mut seen_zero = false;
    for &b in mask {
        if seen_zero {
            if b != 0 {
                return false;
            }
            continue;
        }
        match b {
            0x00 | 0x80 | 0xc0 | 0xe0 | 0xf0 | 0xf8 | 0xfc | 0xfe => seen_zero = true,
            0xff => {}
            _ => return false,
        }
    }
    true
}

fn parse_crl_distribution_points(value: &[u8]) -> R<()> {
    let Some(mut val) = S(value).read(SEQUENCE) else {
        return err("x509: invalid CRL distribution points");
    };
    let bad = || err("x509: invalid CRL distribution point");
    while !val.empty() {
        let Some(mut dp) = val.read(SEQUENCE) else {
            return bad();
        };
        let Some(name) = dp.read_optional(0xa0) else {
            return bad();
        };
        let Some(mut name) = name else {
            continue;
        };
        let Some(mut full) = name.read(0xa0) else {
            return bad();
        };
        while !full.empty() {
            if !full.peek(0x86) {
                break;
            }
            if full.read(0x86).is_none() {
                return bad();
            }
        }
    }
    Ok(())
}

fn parse_authority_info_access(value: &[u8]) -> R<()> {
    let bad = || err("x509: invalid authority info access");
    let Some(mut val) = S(value).read(SEQUENCE) else {
        return bad();
    };
    while !val.empty() {
        let Some(mut aia) = val.read(SEQUENCE) else {
            return bad();
        };
        if aia.read_oid().is_none() {
            return bad();
        }
        if !aia.peek(0x86) {
            continue;
        }
        if aia.read(0x86).is_none() {
            return bad();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::examples::NOW;
    use crate::checks::examples::pki::*;

    /// A leaf with this extension (and no SAN of rcgen's own, so a SAN can be given).
    fn with_ext(oid: &[u64], content: Vec<u8>, critical: bool) -> Vec<u8> {
        let root = ca("Registry CA", NOW);
        let mut p = params("registry", &[], NOW - DAY, NOW + DAY);
        p.subject_alt_names.clear();
        let mut e = rcgen::CustomExtension::from_oid_content(oid, content);
        e.set_criticality(critical);
        p.custom_extensions.push(e);
        leaf_with(&root, p).der
    }

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 128);
        [&[tag, content.len() as u8][..], content].concat()
    }

    /// A CA certificate whose only name constraints are `subtrees` (DER of the
    /// GeneralSubtree SEQUENCEs) as permittedSubtrees.
    fn constrained(subtrees: &[Vec<u8>], critical: bool) -> R<GoParsed> {
        let value = tlv(0x30, &tlv(0xa0, &subtrees.concat()));
        parse(&with_ext(&[2, 5, 29, 30], value, critical))
    }

    fn subtree(tag: u8, value: &[u8]) -> Vec<u8> {
        tlv(0x30, &tlv(tag, value))
    }

    #[test]
    fn raw_subject_is_the_parsed_subject_bytes() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(vec!["r.example".into()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "Some Subject");
        p.distinguished_name
            .push(rcgen::DnType::OrganizationName, "Org");
        let der = p.self_signed(&key).unwrap().der().to_vec();
        let cert = crate::pki::Cert::parse(&der).unwrap();
        assert_eq!(raw_subject(&der), Some(cert.subject_raw.as_slice()));
        assert_eq!(raw_subject(&der[..40]), None);
        assert_eq!(raw_subject(b"garbage"), None);
    }

    #[test]
    fn an_ordinary_certificate_parses_with_nothing_unhandled() {
        let root = ca("Registry CA", NOW);
        let l = leaf(&root, &["10.0.0.5", "registry.local"], NOW);
        for der in [&root.der, &l.der] {
            let p = parse(der).unwrap();
            assert_eq!(p.version, 3);
            assert!(p.unhandled_critical.is_empty());
            assert!(p.known_key_algorithm);
        }
        assert!(parse(&root.der).unwrap().is_ca);
        // keyCertSign (32) and cRLSign (64).
        assert_eq!(parse(&root.der).unwrap().key_usage, 32 | 64);
        assert!(parse(&l.der).unwrap().san_value.is_some());
    }

    #[test]
    fn unknown_critical_extensions_are_unhandled_and_non_critical_ones_ignored() {
        let private = [1, 3, 6, 1, 4, 1, 55555, 1];
        let p = parse(&with_ext(&private, vec![0x05, 0x00], true)).unwrap();
        assert_eq!(p.unhandled_critical, vec!["1.3.6.1.4.1.55555.1"]);
        let p = parse(&with_ext(&private, vec![0x05, 0x00], false)).unwrap();
        assert!(p.unhandled_critical.is_empty());
        // Unknown 2.5.29.x extensions too.
        let p = parse(&with_ext(&[2, 5, 29, 99], vec![0x05, 0x00], true)).unwrap();
        assert_eq!(p.unhandled_critical, vec!["2.5.29.99"]);
    }

    #[test]
    fn go_1_19_leaves_the_policy_extensions_unhandled() {
        // policyConstraints { requireExplicitPolicy [0] 0 }
        let value = tlv(0x30, &tlv(0x80, &[0]));
        let p = parse(&with_ext(&[2, 5, 29, 36], value, true)).unwrap();
        assert_eq!(p.unhandled_critical, vec!["2.5.29.36"]);
        assert!(POLICY_EXTENSIONS_SINCE_1_22.contains(&"2.5.29.36"));
    }

    #[test]
    fn a_critical_san_without_any_name_go_knows_is_unhandled() {
        // A SAN extension with only a registeredID [8].
        let value = tlv(0x30, &tlv(0x88, &[0x2a, 0x03]));
        let parsed = parse(&with_ext(&[2, 5, 29, 17], value.clone(), true)).unwrap();
        assert_eq!(parsed.unhandled_critical, vec!["2.5.29.17"]);
        assert!(
            parse(&with_ext(&[2, 5, 29, 17], value, false))
                .unwrap()
                .unhandled_critical
                .is_empty()
        );
        let dns = tlv(0x30, &tlv(0x82, b"registry.local"));
        let parsed = parse(&with_ext(&[2, 5, 29, 17], dns, true)).unwrap();
        assert!(parsed.unhandled_critical.is_empty());
    }

    #[test]
    fn name_constraints_errors_are_go_s() {
        assert_eq!(
            constrained(&[subtree(0x82, b"bad..name")], true),
            Err("x509: failed to parse dnsName constraint \"bad..name\"".into())
        );
        assert_eq!(
            constrained(&[subtree(0x87, &[10, 0, 0, 0, 0xff, 0, 0xff, 0])], false),
            Err("x509: IP constraint contained invalid mask ff00ff00".into())
        );
        assert_eq!(
            constrained(&[subtree(0x87, &[10, 0, 0, 0, 0xff])], false),
            Err("x509: IP constraint contained value of length 5".into())
        );
        assert_eq!(
            constrained(&[subtree(0x86, b"10.0.0.1")], false),
            Err("x509: failed to parse URI constraint \"10.0.0.1\": cannot be IP address".into())
        );
        assert_eq!(
            constrained(&[subtree(0x81, b"a..b@example.com")], false),
            Err("x509: failed to parse rfc822Name constraint \"a..b@example.com\"".into())
        );
        assert_eq!(
            constrained(&[subtree(0x82, "ré.example".as_bytes())], false),
            Err("x509: invalid constraint value: x509: \"ré.example\" cannot be encoded as an IA5String".into())
        );
        let empty = tlv(0x30, &[]);
        assert_eq!(
            parse(&with_ext(&[2, 5, 29, 30], empty, true)),
            Err("x509: empty name constraints extension".into())
        );
        assert_eq!(
            parse(&with_ext(&[2, 5, 29, 30], vec![0x04, 0x00], true)),
            Err("x509: invalid NameConstraints extension".into())
        );
        // Good ones parse; a directoryName [4] constraint is unsupported: unhandled
        // when critical.
        let ok = constrained(
            &[
                subtree(0x82, b".example.com"),
                subtree(0x87, &[10, 0, 0, 0, 0xff, 0, 0, 0]),
                subtree(0x81, b"admin@example.com"),
            ],
            true,
        )
        .unwrap();
        assert!(ok.unhandled_critical.is_empty());
        let dir = constrained(&[subtree(0xa4, &tlv(0x30, &[]))], true).unwrap();
        assert_eq!(dir.unhandled_critical, vec!["2.5.29.30"]);
    }

    #[test]
    fn a_public_key_off_its_curve_is_refused() {
        let root = ca("Registry CA", NOW);
        let der = leaf(&root, &["10.0.0.5"], NOW).der;
        let at = der
            .windows(4)
            .position(|w| w == [0x03, 0x42, 0x00, 0x04])
            .unwrap();
        let mut bad = der.clone();
        bad[at + 4 + 63] ^= 1;
        assert_eq!(
            parse(&bad),
            Err("x509: failed to unmarshal elliptic curve point".into())
        );
        // The real point is fine; its compressed form is not (Go 1.19 wants 04||X||Y).
        let point = &der[at + 3..at + 3 + 65];
        assert!(Curve::P256.unmarshal_ok(point));
        let mut compressed = vec![2 + (point[64] & 1)];
        compressed.extend_from_slice(&point[1..33]);
        assert!(!Curve::P256.unmarshal_ok(&compressed));
        // A coordinate ≥ p is refused.
        let mut big = point.to_vec();
        big[1..33].fill(0xff);
        assert!(!Curve::P256.unmarshal_ok(&big));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn every_go_curve_accepts_its_generator() {
        // Generators from FIPS 186-4 D.1.2 (as in Go's crypto/elliptic).
        for (curve, gx, gy) in [
            (
                Curve::P224,
                "b70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21",
                "bd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34",
            ),
            (
                Curve::P256,
                "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
                "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
            ),
            (
                Curve::P384,
                "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7",
                "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
            ),
            (
                Curve::P521,
                "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66",
                "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
            ),
        ] {
            let mut point = vec![4];
            point.extend(hex(gx));
            point.extend(hex(gy));
            assert!(curve.unmarshal_ok(&point), "{curve:?}");
            let last = point.len() - 1;
            point[last] ^= 1;
            assert!(!curve.unmarshal_ok(&point), "{curve:?} off curve");
        }
    }

    #[test]
    fn utc_times_as_cryptobyte_reads_them() {
        for ok in [
            "260101000000Z",
            "2601010000Z",
            "260101000000+0100",
            "240229235959Z",
            "000229000000Z",
        ] {
            assert!(valid_utc_time(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "261301000000Z",
            "260132000000Z",
            "250229000000Z",
            "260101240000Z",
            "260101006000Z",
            "260101000060Z",
            "260101000000+0000",
            "260101000000-0000",
            "260101000000+0160",
            "260101000000",
            "260101000000.5Z",
            "2601010000000Z",
            "26010100000AZ",
            "260101000000z",
        ] {
            assert!(!valid_utc_time(bad.as_bytes()), "{bad}");
        }
        assert!(valid_generalized_time(b"20500101000000Z"));
        assert!(!valid_generalized_time(b"20500101000000.5Z"));
        assert!(!valid_generalized_time(b"205001010000Z"));
    }

    #[test]
    fn a_malformed_utctime_is_go_s_error() {
        let root = ca("Registry CA", NOW);
        let der = leaf(&root, &["10.0.0.5"], NOW).der;
        let at = der.windows(2).position(|w| w == [0x17, 0x0d]).unwrap();
        let mut bad = der.clone();
        // Month 13.
        bad[at + 4] = b'1';
        bad[at + 5] = b'3';
        assert_eq!(parse(&bad), Err("x509: malformed UTCTime".into()));
        bad[at] = 0x04;
        assert_eq!(parse(&bad), Err("x509: unsupported time format".into()));
    }

    #[test]
    fn structural_errors_are_go_s() {
        let root = ca("Registry CA", NOW);
        let der = leaf(&root, &["10.0.0.5"], NOW).der;
        assert_eq!(
            parse(&[der.as_slice(), &[0]].concat()),
            Err("x509: trailing data".into())
        );
        assert_eq!(parse(&der[..10]), Err("x509: malformed certificate".into()));
        assert_eq!(parse(&[]), Err("x509: malformed certificate".into()));
        // Two extensions with one OID.
        let mut p = params("registry", &["10.0.0.5"], NOW - DAY, NOW + DAY);
        for _ in 0..2 {
            p.custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &[1, 2, 3],
                    vec![5, 0],
                ));
        }
        assert_eq!(
            parse(&leaf_with(&root, p).der),
            Err("x509: certificate contains duplicate extensions".into())
        );
        // A bad key usage BIT STRING (padding bits set).
        assert_eq!(
            parse(&with_ext(
                &[2, 5, 29, 15],
                vec![0x03, 0x02, 0x01, 0x01],
                false
            )),
            Err("x509: invalid key usage".into())
        );
        assert_eq!(
            parse(&with_ext(&[2, 5, 29, 19], vec![0x02, 0x01, 0x00], false)),
            Err("x509: invalid basic constraints a".into())
        );
        assert_eq!(
            parse(&with_ext(
                &[2, 5, 29, 17],
                tlv(0x30, &tlv(0x87, &[1, 2, 3])),
                false
            )),
            Err("x509: cannot parse IP address of length 3".into())
        );
    }

    #[test]
    fn go_quote_is_like_strconv_quote() {
        assert_eq!(go_quote(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote(b"\x01\n"), r#""\x01\n""#);
        assert_eq!(go_quote(&[b'a', 0xff]), r#""a\xff""#);
        assert_eq!(go_quote("é".as_bytes()), "\"é\"");
    }
}
