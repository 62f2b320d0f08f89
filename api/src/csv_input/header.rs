//! Reading a CSV header: names compared as people mean them, the e-mail column found by its
//! usual names, and the delimiter worked out from the first line.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// Header names that mean "the recipient's address", compared without case, accents,
/// spaces, hyphens or underscores.
const EMAIL_SYNONYMS: [&str; 5] = [
    "email",
    "correo",
    "mail",
    "emailaddress",
    "correoelectronico",
];

const DELIMITERS: [u8; 4] = [b';', b',', b'\t', b'|'];

pub fn nfc(value: &str) -> String {
    // Most text is ASCII or precomposed already: the quick check spares the rebuild.
    if value.is_ascii() || unicode_normalization::is_nfc_quick(value.chars()) == IsNormalized::Yes {
        value.to_string()
    } else {
        value.nfc().collect()
    }
}

/// How two header names are compared: trimmed, NFC, case-folded.
pub fn header_key(header: &str) -> String {
    nfc(header.trim()).to_lowercase()
}

fn email_key(header: &str) -> String {
    header
        .trim()
        .nfd()
        .filter(|c| !is_combining_mark(*c) && !c.is_whitespace() && *c != '-' && *c != '_')
        .collect::<String>()
        .to_lowercase()
}

pub fn is_email_header(header: &str) -> bool {
    let key = email_key(header);
    EMAIL_SYNONYMS.contains(&key.as_str())
}

/// Splits one line on `delimiter`, honouring double quotes (enough to read a header).
fn split_line(line: &str, delimiter: u8) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap_or(&mut String::new()).push('"');
            }
            '"' => quoted = !quoted,
            c if !quoted && c as u32 == delimiter as u32 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c)
                }
            }
        }
    }
    fields
}

/// The delimiter of a file from its first line: the first of `; , TAB |` that yields an
/// e-mail column, else the one that splits the header most, else a comma.
pub fn detect_delimiter(first_line: &str) -> u8 {
    let line = first_line.trim_start_matches('\u{feff}');
    if let Some(d) = DELIMITERS
        .iter()
        .find(|d| split_line(line, **d).iter().any(|h| is_email_header(h)))
    {
        return *d;
    }
    DELIMITERS
        .iter()
        .map(|d| (split_line(line, *d).len(), *d))
        .filter(|(n, _)| *n > 1)
        .max_by_key(|(n, _)| *n)
        .map(|(_, d)| d)
        .unwrap_or(b',')
}

pub fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "\\t".to_string(),
        d => (d as char).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_synonyms_ignore_case_accents_and_spacing() {
        for h in [
            "email",
            "E-mail",
            "CORREO",
            " Correo Electrónico ",
            "email_address",
            "Mail",
            "\u{feff}E-mail",
        ] {
            assert!(is_email_header(h.trim_start_matches('\u{feff}')), "{h}");
        }
        assert!(!is_email_header("email_ab"));
        assert!(!is_email_header("nombres"));
    }

    #[test]
    fn delimiters_are_found_from_the_header() {
        assert_eq!(detect_delimiter("email;identificacion;nombres"), b';');
        assert_eq!(
            detect_delimiter("\u{feff}E-mail,Nombre,Dirección,Nota"),
            b','
        );
        assert_eq!(detect_delimiter("Correo\tNombre"), b'\t');
        assert_eq!(detect_delimiter("a|b|c"), b'|');
        assert_eq!(detect_delimiter("\"Nombre; completo\",email"), b',');
        assert_eq!(detect_delimiter("solo"), b',');
    }
}
