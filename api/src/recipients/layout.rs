//! The shape of a recipient CSV: its header, the e-mail column, and which column feeds
//! which template variable.

use std::collections::{BTreeMap, HashMap};

use crate::csv_input::header::{header_key, is_email_header, nfc};
use crate::csv_input::ImportError;

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
    /// (`{variable: column}`).
    pub fn from_header(
        raw: &[String],
        mapping: &BTreeMap<String, String>,
        required: &[String],
    ) -> Result<Layout, ImportError> {
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
        let mut seen: HashMap<String, &str> = HashMap::new();
        for header in headers.iter().filter(|h| !h.is_empty()) {
            if let Some(first) = seen.insert(header_key(header), header) {
                return Err(ImportError::DuplicateHeader(
                    first.to_string(),
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

        let index_of = |column: &str| {
            let key = header_key(column);
            headers
                .iter()
                .position(|h| !h.is_empty() && header_key(h) == key)
        };
        let mut variables: Vec<(usize, String)> = headers
            .iter()
            .enumerate()
            .filter(|(i, h)| *i != email_index && !h.is_empty())
            .map(|(i, h)| (i, h.clone()))
            .collect();
        for (variable, column) in mapping {
            let variable = variable.trim();
            if variable.is_empty() {
                continue;
            }
            let index = index_of(column)
                .ok_or_else(|| ImportError::MappingColumnMissing(column.clone()))?;
            variables.retain(|(_, name)| name != variable);
            variables.push((index, variable.to_string()));
        }
        let email_header = headers[email_index].clone();
        let missing = required
            .iter()
            .filter(|v| !variables.iter().any(|(_, name)| name == *v) && **v != email_header)
            .map(|v| {
                let near = headers
                    .iter()
                    .find(|h| !h.is_empty() && header_key(h) == header_key(v))
                    .cloned();
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
