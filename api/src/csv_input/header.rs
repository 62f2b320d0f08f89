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

/// Whether one word of the header says "e-mail" (`EMAIL_DEUDOR`, `Email Cliente`,
/// `mail_titular`): such a column is the first one tried when its values look like
/// addresses.
pub fn mentions_email(header: &str) -> bool {
    header
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-' || c == '.')
        .any(is_email_header)
}

/// Text as a search compares it: lower-case, accents aside (`Notificación` ~ `notificacion`).
pub fn folded(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// How a column name is matched to a template variable when suggesting a mapping: without
/// case, accents, spaces or punctuation (`Teléfono Móvil` ~ `telefono_movil`).
pub fn loose_key(name: &str) -> String {
    name.trim()
        .nfd()
        .filter(|c| c.is_alphanumeric() && !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// The same word in singular and plural, Spanish or English style (`nombre` / `nombres`,
/// `valor` / `valores`).
pub fn same_word(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    !short.is_empty() && long.starts_with(short) && matches!(&long[short.len()..], "" | "s" | "es")
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
        .or_else(|| {
            DELIMITERS.iter().find(|d| {
                let fields = split_line(line, **d);
                fields.len() > 1 && fields.iter().any(|h| mentions_email(h))
            })
        })
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
    fn columns_that_mention_email_and_loose_names() {
        for h in [
            "EMAIL_DEUDOR",
            "Email Cliente",
            "mail_titular",
            "correo.personal",
        ] {
            assert!(mentions_email(h), "{h}");
        }
        assert!(!mentions_email("emailing"));
        assert!(!mentions_email("nombre"));
        assert_eq!(loose_key(" Teléfono Móvil "), "telefonomovil");
        assert_eq!(folded("Notificación de COBRO"), "notificacion de cobro");
        assert!(same_word(&loose_key("Nombre"), &loose_key("nombres")));
        assert!(same_word(&loose_key("VALORES"), &loose_key("valor")));
        assert!(same_word(&loose_key("Cédula"), &loose_key("cedula")));
        assert!(!same_word(&loose_key("valor"), &loose_key("valoracion")));
        assert!(!same_word("", "s"));
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
        assert_eq!(detect_delimiter("Email Cliente,Nombre"), b',');
        assert_eq!(detect_delimiter("Cédula;EMAIL_DEUDOR"), b';');
    }
}
