//! The rules every text a client sends follows, exactly as the OpenAPI document states
//! them (`maxLength`, "something besides spaces", `format: email`): what the document
//! calls valid is accepted, what it calls invalid is refused with a 422 naming the field.

use crate::email::EmailAddress;
use crate::error::{AppError, AppResult, ErrorCode};

/// A required name: at most `max` characters as sent, with something besides spaces;
/// answers it trimmed.
pub fn name(value: &str, max: usize, field: &str, code: ErrorCode) -> AppResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            code,
            format!("'{field}' es obligatorio (máximo {max} caracteres)."),
            format!("'{field}' is required (at most {max} characters)."),
        ));
    }
    Ok(trimmed.to_string())
}

/// Optional text of at most `max` characters as sent; answers it trimmed.
pub fn text(value: &str, max: usize, field: &str) -> AppResult<String> {
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            ErrorCode::TextTooLong,
            format!("'{field}' admite hasta {max} caracteres."),
            format!("'{field}' takes at most {max} characters."),
        ));
    }
    Ok(value.trim().to_string())
}

/// An e-mail address exactly as sent: no surrounding spaces, ASCII, well formed, as
/// `format: email` in the OpenAPI document. A top-level domain that looks like a typo
/// (`gmail.comm`) is accepted here: the CSV import warns about it, where it matters at scale.
pub fn email(value: &str) -> Option<String> {
    if value.trim() != value || !value.is_ascii() {
        return None;
    }
    EmailAddress::parse(value)
        .ok()
        .map(|address| address.original)
}

/// [`email`], refused as a 422 naming `field` with the caller's code.
pub fn email_field(value: &str, field: &str, code: ErrorCode) -> AppResult<String> {
    email(value).ok_or_else(|| {
        AppError::invalid(
            field,
            code,
            format!("'{value}' no es una dirección de correo válida."),
            format!("'{value}' is not a valid e-mail address."),
        )
    })
}

/// At most `max` items in a list.
pub fn at_most<T>(items: &[T], max: usize, field: &str) -> AppResult<()> {
    if items.len() > max {
        return Err(AppError::invalid(
            field,
            ErrorCode::TooManyItems,
            format!("'{field}' admite hasta {max} elementos."),
            format!("'{field}' takes at most {max} items."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_count_what_was_sent_and_store_it_trimmed() {
        assert_eq!(
            name("  Cobranza ", 20, "name", ErrorCode::FieldInvalid).unwrap(),
            "Cobranza"
        );
        assert!(name("   ", 20, "name", ErrorCode::FieldInvalid).is_err());
        // 150 characters and a space: over the limit as sent.
        let long = format!("{} ", "a".repeat(150));
        assert!(name(&long, 150, "name", ErrorCode::FieldInvalid).is_err());
    }

    #[test]
    fn addresses_are_taken_exactly_as_sent() {
        assert_eq!(email("ana@example.com").unwrap(), "ana@example.com");
        assert_eq!(email(" ana@example.com"), None);
        assert_eq!(email("ana@ñandú.com"), None);
        assert_eq!(email("ana@gmail.comm").unwrap(), "ana@gmail.comm");
    }
}
