//! The shape of a recipient CSV: its header, the e-mail column, and which column feeds
//! which template variable.

use std::collections::{BTreeMap, HashMap};

use crate::csv_input::header::{header_key, is_email_header, nfc};
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
    /// Required variables the file cannot provide, and the column that differs only in
    /// case, if one does (a mapping away).
    pub missing: Vec<(String, Option<String>)>,
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
        let email_index = headers
            .iter()
            .position(|h| is_email_header(h))
            .ok_or_else(|| {
                ImportError::EmailColumnMissing(
                    headers.iter().filter(|h| !h.is_empty()).cloned().collect(),
                )
            })?;

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
        let missing = required
            .iter()
            .filter(|v| !by_variable.contains_key(*v) && **v != email_header)
            .map(|v| {
                let near = by_key.get(&header_key(v)).map(|i| headers[*i].clone());
                (v.clone(), near)
            })
            .collect();
        Ok(Layout {
            headers,
            width,
            email_index,
            variables,
            missing,
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
        )
        .unwrap_err();
        assert!(
            matches!(err, ImportError::DuplicateHeader(a, b) if a == "Nombre" && b == "nombre")
        );
        assert!(matches!(
            Layout::from_header(&strings(&["nombre", "deuda"]), &BTreeMap::new(), &[]).unwrap_err(),
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
        )
        .unwrap();
        assert!(layout.variables.contains(&(1, "nombre".to_string())));
        assert_eq!(
            layout.missing,
            vec![("deuda".to_string(), Some("Deuda".to_string()))]
        );
        let bad = BTreeMap::from([("x".to_string(), "no existe".to_string())]);
        assert!(matches!(
            Layout::from_header(&strings(&["email"]), &bad, &[]),
            Err(ImportError::MappingColumnMissing(_))
        ));
    }
}
