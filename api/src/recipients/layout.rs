//! The shape of a recipient CSV: its header, the e-mail column, and which column feeds
//! which template variable.

use std::collections::{BTreeMap, HashMap};

use crate::csv_input::header::{header_key, is_email_header, loose_key, nfc};
use crate::csv_input::{ImportError, CSV_HEADER_MAX_BYTES, CSV_HEADER_MAX_COLUMNS};

/// Where each value of a row goes.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The header as given (trimmed, NFC), empty trailing columns dropped.
    pub headers: Vec<String>,
    /// Cells a row may have without being malformed (the header's width, trailing empty
    /// columns included).
    pub width: usize,
    pub email_index: usize,
    /// (column index, variable name) for every named column but the e-mail one, plus the
    /// mapped variables.
    pub variables: Vec<(usize, String)>,
    /// Required variables the file cannot provide, and the column that names the same
    /// thing (case, accents, spacing, singular or plural aside), if one does: a mapping away.
    pub missing: Vec<(String, Option<String>)>,
    /// Columns whose first values look like addresses, best first.
    pub email_candidates: Vec<String>,
}

/// How the e-mail column is chosen: the operator's pick (`email_column`), else a column
/// named like one (`email`, `correo`...), else the column whose values look like addresses.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmailChoice<'a> {
    pub named: Option<&'a str>,
    /// Indexes of the columns whose first values look like addresses, best first.
    pub by_content: &'a [usize],
}

impl Layout {
    pub fn email_column(&self) -> &str {
        &self.headers[self.email_index]
    }

    /// Reads the header record against the template's variables and the operator's mapping
    /// (`{variable: column}`). Linear in the header's width and the mapping's size, both
    /// bounded by [`CSV_HEADER_MAX_COLUMNS`].
    pub fn from_header(
        raw: &[String],
        mapping: &BTreeMap<String, String>,
        required: &[String],
        email: EmailChoice,
    ) -> Result<Layout, ImportError> {
        if raw.len() > CSV_HEADER_MAX_COLUMNS
            || raw.iter().map(|h| h.len() + 1).sum::<usize>() > CSV_HEADER_MAX_BYTES
        {
            return Err(ImportError::HeaderTooWide);
        }
        if mapping.len() > CSV_HEADER_MAX_COLUMNS {
            return Err(ImportError::MappingTooLarge);
        }
        if raw.iter().any(|h| h.contains('\0')) {
            return Err(ImportError::Malformed("NUL in the header".into()));
        }
        let width = raw.len();
        let mut headers: Vec<String> = raw
            .iter()
            .map(|h| nfc(h.trim().trim_start_matches('\u{feff}').trim()))
            .collect();
        while headers.last().is_some_and(|h| h.is_empty()) {
            headers.pop();
        }
        if headers.iter().all(|h| h.is_empty()) {
            return Err(ImportError::HeaderMissing);
        }
        // Each named column by its comparison key, computed once.
        let mut by_key: HashMap<String, usize> = HashMap::with_capacity(headers.len());
        for (index, header) in headers.iter().enumerate().filter(|(_, h)| !h.is_empty()) {
            if let Some(first) = by_key.insert(header_key(header), index) {
                return Err(ImportError::DuplicateHeader(
                    headers[first].clone(),
                    header.clone(),
                ));
            }
        }
        let named = |i: &usize| headers.get(*i).is_some_and(|h| !h.is_empty());
        let email_candidates: Vec<String> = email
            .by_content
            .iter()
            .filter(|i| named(i))
            .map(|i| headers[*i].clone())
            .collect();
        let email_index = match email.named.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => *by_key
                .get(&header_key(name))
                .ok_or_else(|| ImportError::EmailColumnNotFound(name.to_string()))?,
            None => headers
                .iter()
                .position(|h| is_email_header(h))
                .or_else(|| email.by_content.iter().copied().find(named))
                .ok_or_else(|| {
                    ImportError::EmailColumnMissing(
                        headers.iter().filter(|h| !h.is_empty()).cloned().collect(),
                    )
                })?,
        };

        // Variable name → column: every named column but the e-mail one, then the mapping
        // (a mapped variable replaces a column of the same name).
        let mut by_variable: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .filter(|(i, h)| *i != email_index && !h.is_empty())
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let mut order: Vec<String> = headers
            .iter()
            .enumerate()
            .filter(|(i, h)| *i != email_index && !h.is_empty())
            .map(|(_, h)| h.clone())
            .collect();
        for (variable, column) in mapping {
            let variable = variable.trim();
            if variable.is_empty() {
                continue;
            }
            let index = *by_key
                .get(&header_key(column))
                .ok_or_else(|| ImportError::MappingColumnMissing(column.clone()))?;
            if by_variable.insert(variable.to_string(), index).is_none() {
                order.push(variable.to_string());
            }
        }
        let variables: Vec<(usize, String)> = order
            .into_iter()
            .filter_map(|name| by_variable.get(&name).map(|i| (*i, name)))
            .collect();
        let email_header = headers[email_index].clone();
        // Each named column by its loose key, for suggestions.
        let by_loose: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .filter(|(i, h)| *i != email_index && !h.is_empty())
            .map(|(i, h)| (loose_key(h), i))
            .collect();
        let near = |variable: &str| {
            let key = loose_key(variable);
            let mut forms = vec![key.clone(), format!("{key}s"), format!("{key}es")];
            forms.extend(key.strip_suffix("es").map(str::to_string));
            forms.extend(key.strip_suffix('s').map(str::to_string));
            forms
                .iter()
                .find_map(|form| by_loose.get(form))
                .map(|i| headers[*i].clone())
        };
        let missing = required
            .iter()
            .filter(|v| !by_variable.contains_key(*v) && **v != email_header)
            .map(|v| (v.clone(), near(v)))
            .collect();
        Ok(Layout {
            headers,
            width,
            email_index,
            variables,
            missing,
            email_candidates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_keep_their_case_and_collisions_are_refused() {
        let layout = Layout::from_header(
            &strings(&["Correo", "Nombre", "Valor", "", ""]),
            &BTreeMap::new(),
            &[],
            EmailChoice::default(),
        )
        .unwrap();
        assert_eq!(layout.headers, ["Correo", "Nombre", "Valor"]);
        assert_eq!(layout.width, 5);
        assert_eq!(layout.email_column(), "Correo");
        assert_eq!(
            layout.variables,
            vec![(1, "Nombre".to_string()), (2, "Valor".to_string())]
        );

        let err = Layout::from_header(
            &strings(&["email", "Nombre", "nombre "]),
            &BTreeMap::new(),
            &[],
            EmailChoice::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ImportError::DuplicateHeader(a, b) if a == "Nombre" && b == "nombre")
        );
        assert!(matches!(
            Layout::from_header(&strings(&["nombre", "deuda"]), &BTreeMap::new(), &[], EmailChoice::default()).unwrap_err(),
            ImportError::EmailColumnMissing(h) if h == ["nombre", "deuda"]
        ));
    }

    #[test]
    fn mapping_and_missing_variables() {
        let mapping = BTreeMap::from([("nombre".to_string(), "Nombres Completos".to_string())]);
        let layout = Layout::from_header(
            &strings(&["email", "nombres completos", "Deuda"]),
            &mapping,
            &strings(&["nombre", "deuda", "email"]),
            EmailChoice::default(),
        )
        .unwrap();
        assert!(layout.variables.contains(&(1, "nombre".to_string())));
        assert_eq!(
            layout.missing,
            vec![("deuda".to_string(), Some("Deuda".to_string()))]
        );
        let bad = BTreeMap::from([("x".to_string(), "no existe".to_string())]);
        assert!(matches!(
            Layout::from_header(&strings(&["email"]), &bad, &[], EmailChoice::default()),
            Err(ImportError::MappingColumnMissing(_))
        ));
    }

    #[test]
    fn the_email_column_by_choice_by_name_or_by_content() {
        let header = strings(&["Cédula", "EMAIL_DEUDOR", "Nombre"]);
        let none = BTreeMap::new();
        let missing = Layout::from_header(&header, &none, &[], EmailChoice::default());
        assert!(matches!(missing, Err(ImportError::EmailColumnMissing(_))));
        let by_content = Layout::from_header(
            &header,
            &none,
            &[],
            EmailChoice {
                named: None,
                by_content: &[1],
            },
        )
        .unwrap();
        assert_eq!(by_content.email_column(), "EMAIL_DEUDOR");
        assert_eq!(by_content.email_candidates, ["EMAIL_DEUDOR"]);
        let chosen = Layout::from_header(
            &header,
            &none,
            &[],
            EmailChoice {
                named: Some("email_deudor"),
                by_content: &[],
            },
        )
        .unwrap();
        assert_eq!(chosen.email_index, 1);
        assert!(matches!(
            Layout::from_header(&header, &none, &[], EmailChoice { named: Some("correo"), by_content: &[1] }),
            Err(ImportError::EmailColumnNotFound(c)) if c == "correo"
        ));
    }

    #[test]
    fn suggestions_ignore_case_accents_and_plural() {
        let layout = Layout::from_header(
            &strings(&["email", "Nombre", "Teléfono", "VALORES"]),
            &BTreeMap::new(),
            &strings(&["nombres", "telefono", "valor", "fecha"]),
            EmailChoice::default(),
        )
        .unwrap();
        assert_eq!(
            layout.missing,
            vec![
                ("nombres".to_string(), Some("Nombre".to_string())),
                ("telefono".to_string(), Some("Teléfono".to_string())),
                ("valor".to_string(), Some("VALORES".to_string())),
                ("fecha".to_string(), None),
            ]
        );
    }
}
