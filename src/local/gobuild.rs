//! The Go version a runtime's binary was built with, read as `go version FILE` reads it:
//! from the `.go.buildinfo` section of the ELF file (Go ≥ 1.18 writes the version inline,
//! after a 32-byte header that starts with `\xff Go buildinf:`).
//!
//! Only the ELF header, the section headers and the 64 KiB of the section are read: never
//! the whole binary.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// At most this many section headers are looked at.
const MAX_SECTIONS: u64 = 4096;
/// At most this much of the section-name table and the buildinfo section is read.
const MAX_READ: u64 = 64 * 1024;

/// The Go version (`"1.19.8"`, without the `go` prefix) of an ELF binary built by Go ≥ 1.18;
/// None for anything else.
pub fn go_version(path: &Path) -> Option<String> {
    // Checked before the open: a FIFO would block it.
    let (mut f, _) = super::open_regular(path).ok()?;
    let section = buildinfo_section(&mut f)?;
    parse(&section)
}

/// Reads `len` bytes at `offset` (at most [`MAX_READ`]).
fn read_at(f: &mut File, offset: u64, len: u64) -> Option<Vec<u8>> {
    let len = len.min(MAX_READ);
    f.seek(SeekFrom::Start(offset)).ok()?;
    let mut buf = Vec::with_capacity(len as usize);
    f.take(len).read_to_end(&mut buf).ok()?;
    Some(buf)
}

fn u16_at(b: &[u8], at: usize, le: bool) -> Option<u64> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(u64::from(if le {
        u16::from_le_bytes(s)
    } else {
        u16::from_be_bytes(s)
    }))
}

fn u32_at(b: &[u8], at: usize, le: bool) -> Option<u64> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u64::from(if le {
        u32::from_le_bytes(s)
    } else {
        u32::from_be_bytes(s)
    }))
}

fn u64_at(b: &[u8], at: usize, le: bool) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(if le {
        u64::from_le_bytes(s)
    } else {
        u64::from_be_bytes(s)
    })
}

/// The bytes of the `.go.buildinfo` section.
fn buildinfo_section(f: &mut File) -> Option<Vec<u8>> {
    let header = read_at(f, 0, 64)?;
    if header.get(..4)? != b"\x7fELF" {
        return None;
    }
    let is64 = *header.get(4)? == 2;
    let le = *header.get(5)? == 1;
    let word = |at64: usize, at32: usize| {
        if is64 {
            u64_at(&header, at64, le)
        } else {
            u32_at(&header, at32, le)
        }
    };
    let shoff = word(0x28, 0x20)?;
    let (entsize, count, strndx) = if is64 {
        (
            u16_at(&header, 0x3A, le)?,
            u16_at(&header, 0x3C, le)?,
            u16_at(&header, 0x3E, le)?,
        )
    } else {
        (
            u16_at(&header, 0x2E, le)?,
            u16_at(&header, 0x30, le)?,
            u16_at(&header, 0x32, le)?,
        )
    };
    if count == 0 || count > MAX_SECTIONS || strndx >= count || entsize < 0x28 {
        return None;
    }
    let table = read_at(f, shoff, entsize * count)?;
    // (name offset, file offset, size) of section i.
    let section = |i: u64| -> Option<(u64, u64, u64)> {
        let base = (i * entsize) as usize;
        if is64 {
            Some((
                u32_at(&table, base, le)?,
                u64_at(&table, base + 0x18, le)?,
                u64_at(&table, base + 0x20, le)?,
            ))
        } else {
            Some((
                u32_at(&table, base, le)?,
                u32_at(&table, base + 0x10, le)?,
                u32_at(&table, base + 0x14, le)?,
            ))
        }
    };
    let (_, str_off, str_size) = section(strndx)?;
    let names = read_at(f, str_off, str_size)?;
    for i in 0..count {
        let (name, off, size) = section(i)?;
        let name = names.get(name as usize..)?;
        if name.starts_with(b".go.buildinfo\0") {
            return read_at(f, off, size);
        }
    }
    None
}

/// The version string of a buildinfo blob (the inline format of Go ≥ 1.18).
fn parse(section: &[u8]) -> Option<String> {
    if !section.starts_with(MAGIC) {
        return None;
    }
    let flags = *section.get(15)?;
    if flags & 0x2 == 0 {
        // Go < 1.18: pointers into the data segment; not read.
        return None;
    }
    let (len, used) = uvarint(section.get(32..)?)?;
    let start = 32 + used;
    let text = section.get(start..start.checked_add(usize::try_from(len).ok()?)?)?;
    let v = std::str::from_utf8(text).ok()?;
    let v = v.strip_prefix("go").unwrap_or(v);
    (!v.is_empty() && v.len() < 64).then(|| v.to_string())
}

/// Go's `binary.Uvarint`.
fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_version() {
        let mut s = MAGIC.to_vec();
        s.extend_from_slice(&[8, 2]);
        s.resize(32, 0);
        s.push(8);
        s.extend_from_slice(b"go1.19.8");
        assert_eq!(parse(&s).as_deref(), Some("1.19.8"));
    }

    #[test]
    fn not_buildinfo() {
        assert_eq!(parse(b"hello"), None);
        let mut s = MAGIC.to_vec();
        s.extend_from_slice(&[8, 0]);
        s.resize(64, 0);
        assert_eq!(parse(&s), None, "the pre-1.18 pointer format is not read");
        assert_eq!(go_version(Path::new("/nonexistent")), None);
    }

    #[test]
    fn a_non_go_binary_has_no_version() {
        // The test binary itself is Rust.
        let me = std::env::current_exe().unwrap();
        assert_eq!(go_version(&me), None);
    }

    #[test]
    fn a_fifo_in_place_of_a_binary_is_not_opened() {
        let dir = std::env::temp_dir().join(format!("regdoctor-gobuild-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("dockerd");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Opening it for reading would block until a writer came.
        assert_eq!(go_version(&fifo), None);
        assert_eq!(go_version(std::path::Path::new("/dev/zero")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
