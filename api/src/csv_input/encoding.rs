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
