//! Which encoding an operator's CSV is in, and turning the non-UTF-8 ones into UTF-8.
//!
//! Excel on Windows saves Windows-1252 ("CSV (delimitado por comas)"), UTF-8 with a BOM
//! ("CSV UTF-8") or UTF-16 ("Texto Unicode"). A file that is valid UTF-8 is read as such;
//! otherwise Windows-1252, which also reads Latin-1 text correctly.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark (skipped).
    Utf8Bom,
    Windows1252,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-sig",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }

    /// Files in these encodings are read as they are; the others are transcoded first.
    pub fn is_utf8(self) -> bool {
        matches!(self, Encoding::Utf8 | Encoding::Utf8Bom)
    }

    fn decoder(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf16Le => encoding_rs::UTF_16LE,
            Encoding::Utf16Be => encoding_rs::UTF_16BE,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
            Encoding::Utf8 | Encoding::Utf8Bom => encoding_rs::UTF_8,
        }
    }
}

/// Guesses from the first bytes of the file. A UTF-8 guess can still meet an invalid byte
/// later; the reader then starts over as Windows-1252.
pub fn detect(sample: &[u8]) -> Encoding {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Bom;
    }
    if sample.starts_with(&[0xFF, 0xFE]) {
        return Encoding::Utf16Le;
    }
    if sample.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16Be;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => Encoding::Utf8,
        // Only a character cut at the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    }
}

/// What a file that is not text is, from its first bytes: `excel` (a workbook, new or
/// old), `pdf`, `zip`, `image`, or `binary` for other content full of NUL bytes (outside a
/// UTF-16 file, where they are expected). `None` for text.
pub fn binary_kind(sample: &[u8]) -> Option<&'static str> {
    const WINDOW: usize = 8 * 1024;
    let start = &sample[..sample.len().min(WINDOW)];
    if start.starts_with(b"PK\x03\x04") {
        let workbook = start.windows(3).any(|w| w == b"xl/")
            || start.windows(19).any(|w| w == b"[Content_Types].xml");
        return Some(if workbook { "excel" } else { "zip" });
    }
    if start.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some("excel");
    }
    if start.starts_with(b"%PDF") {
        return Some("pdf");
    }
    if start.starts_with(b"\x89PNG")
        || start.starts_with(&[0xFF, 0xD8, 0xFF])
        || start.starts_with(b"GIF8")
    {
        return Some("image");
    }
    // A stray NUL in a cell is that row's problem (`cell_nul_char`); many are a binary file.
    let utf16 = matches!(detect(sample), Encoding::Utf16Le | Encoding::Utf16Be);
    let nuls = start.iter().filter(|b| **b == 0).count();
    (!utf16 && nuls >= 8 && nuls * 50 >= start.len()).then_some("binary")
}

pub fn sample(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut file = std::fs::File::open(path)?;
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    buffer.truncate(filled);
    Ok(buffer)
}

/// Writes a UTF-8 copy of a file in `encoding` beside it; answers the copy's path.
pub fn transcode_to_utf8(path: &Path, encoding: Encoding) -> std::io::Result<PathBuf> {
    let target = path.with_extension("utf8.csv");
    let mut decoder = encoding.decoder().new_decoder_with_bom_removal();
    let mut input = std::fs::File::open(path)?;
    let mut output = BufWriter::new(std::fs::File::create(&target)?);
    let mut raw = vec![0u8; 256 * 1024];
    let mut text = String::with_capacity(512 * 1024);
    loop {
        let n = input.read(&mut raw)?;
        let last = n == 0;
        let mut consumed = 0;
        loop {
            text.clear();
            let (result, read, _) = decoder.decode_to_string(&raw[consumed..n], &mut text, last);
            consumed += read;
            output.write_all(text.as_bytes())?;
            if matches!(result, encoding_rs::CoderResult::InputEmpty) {
                break;
            }
            text.reserve(512 * 1024);
        }
        if last {
            break;
        }
    }
    output.flush()?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheets_pdfs_and_binaries_are_told_apart_from_text() {
        let mut xlsx = b"PK\x03\x04\x14\x00\x06\x00".to_vec();
        xlsx.extend_from_slice(b"[Content_Types].xml\x00\x00 xl/workbook.xml");
        assert_eq!(binary_kind(&xlsx), Some("excel"));
        assert_eq!(binary_kind(b"PK\x03\x04 informe.csv"), Some("zip"));
        assert_eq!(
            binary_kind(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some("excel")
        );
        assert_eq!(binary_kind(b"%PDF-1.7\n"), Some("pdf"));
        assert_eq!(binary_kind(&[0u8; 64]), Some("binary"));
        assert_eq!(binary_kind(b"email;nombre\na@b.ec;Ana\x00\n"), None);
        assert_eq!(
            binary_kind(&[0xFF, 0xFE, b'e', 0, b'm', 0, b'a', 0, b'i', 0, b'l', 0, 0, 0, 0, 0]),
            None
        );
        assert_eq!(
            binary_kind("email;nombre\nana@b.ec;Ñusta\n".as_bytes()),
            None
        );
    }

    #[test]
    fn encodings_are_told_apart() {
        assert_eq!(detect(b"\xEF\xBB\xBFE-mail,Nombre"), Encoding::Utf8Bom);
        assert_eq!(detect("Correo;Ñuñez".as_bytes()), Encoding::Utf8);
        assert_eq!(detect(b"Correo;\xD1u\xF1ez"), Encoding::Windows1252);
        assert_eq!(detect(b"\xFF\xFEe\x00"), Encoding::Utf16Le);
        // A sample that cuts a character in two is still UTF-8.
        assert_eq!(detect(&"ñ".as_bytes()[..1]), Encoding::Utf8);
    }

    #[test]
    fn windows_1252_becomes_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(
            &path,
            b"Correo;Nombre\r\nluis@example.com;Luis \xD1u\xF1ez\r\n",
        )
        .unwrap();
        let out = transcode_to_utf8(&path, Encoding::Windows1252).unwrap();
        assert_eq!(
            std::fs::read_to_string(out).unwrap(),
            "Correo;Nombre\r\nluis@example.com;Luis Ñuñez\r\n"
        );
    }
}
