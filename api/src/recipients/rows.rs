//! Reading a recipient CSV row by row, streaming, with a verdict for every row.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use csv_async::ByteRecord;
use serde_json::{Map, Value};

use super::layout::{EmailChoice, Layout};
use crate::csv_input::header::nfc;
use crate::csv_input::read_ahead::RowSource;
use crate::csv_input::{cell_text, csv_error, next_data_record, CsvReader, ImportError};
use crate::email::{AddressProblem, AddressWarning, EmailAddress};

/// A row's verdict: importable, importable but worth a look (duplicate address, unknown
/// TLD), or not sent.
pub use relay_types::ValidationStatus as Verdict;

#[derive(Debug, Clone)]
pub struct ParsedRow {
    pub row_number: u64,
    pub email: String,
    pub email_normalized: String,
    pub variables: Map<String, Value>,
    pub verdict: Verdict,
    /// Empty when valid.
    pub code: &'static str,
    /// In Spanish, for the operator.
    pub message: String,
}

/// What the reader is told besides the file.
#[derive(Debug, Clone, Default)]
pub struct RowRules {
    /// Template variables every row must have a value for.
    pub required: Vec<String>,
    /// Make addresses with an unknown top-level domain invalid instead of a warning.
    pub reject_suspicious: bool,
    pub max_rows: u64,
    /// The operator's e-mail column (`email_column`); found by name or content otherwise.
    pub email_column: Option<String>,
}

/// Data rows read ahead to tell which column holds the addresses, then read again as rows.
const SAMPLE_ROWS: usize = 50;

/// Streams the rows of a UTF-8 file (see `encoding`): memory stays flat whatever its size,
/// but for one small entry per distinct address (16 bytes), to flag repeats.
pub struct RowReader {
    reader: CsvReader,
    record: ByteRecord,
    pub layout: Layout,
    rules: RowRules,
    rows: u64,
    first_seen: HashMap<u64, u32>,
    /// The sampled rows, not yet judged.
    sampled: VecDeque<ByteRecord>,
    /// The required variables each row must fill: the e-mail column and the variables no
    /// column provides aside (the layout says those once, not on every row).
    checked: Vec<String>,
}

/// Indexes of the columns whose non-empty sampled values are mostly addresses, columns
/// whose name mentions e-mail first, then by how many addresses they hold.
fn email_columns_by_content(header: &[String], sample: &VecDeque<ByteRecord>) -> Vec<usize> {
    let mut found: Vec<(bool, usize, usize)> = (0..header.len())
        .filter_map(|column| {
            let values = sample
                .iter()
                .filter_map(|r| r.get(column))
                .filter_map(|v| std::str::from_utf8(v).ok())
                .map(str::trim)
                .filter(|v| !v.is_empty());
            let (mut seen, mut addresses) = (0usize, 0usize);
            for value in values {
                seen += 1;
                addresses += usize::from(EmailAddress::parse(value).is_ok());
            }
            (addresses * 2 > seen).then(|| {
                let mentions = crate::csv_input::header::mentions_email(&header[column]);
                (mentions, addresses, column)
            })
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    found.into_iter().map(|(_, _, column)| column).collect()
}

fn address_key(normalized: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    normalized.to_lowercase().hash(&mut hasher);
    hasher.finish()
}

impl RowSource for RowReader {
    type Row = ParsedRow;

    fn next_row(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<ParsedRow>, ImportError>> + Send {
        RowReader::next_row(self)
    }
}

impl RowReader {
    /// Reads the header of `reader`. `mapping` is `{variable: column}`.
    pub async fn open(
        mut reader: CsvReader,
        mapping: &std::collections::BTreeMap<String, String>,
        rules: RowRules,
        expected_rows: u64,
    ) -> Result<RowReader, ImportError> {
        let mut record = ByteRecord::new();
        let header = loop {
            if !reader
                .read_byte_record(&mut record)
                .await
                .map_err(csv_error)?
            {
                return Err(ImportError::FileEmpty);
            }
            if record
                .iter()
                .any(|f| !f.iter().all(u8::is_ascii_whitespace))
            {
                break record
                    .iter()
                    .map(|f| cell_text(f).map(str::to_string))
                    .collect::<Result<Vec<_>, _>>()?;
            }
        };
        let mut sampled = VecDeque::with_capacity(SAMPLE_ROWS);
        while sampled.len() < SAMPLE_ROWS && next_data_record(&mut reader, &mut record).await? {
            sampled.push_back(record.clone());
        }
        let by_content = email_columns_by_content(&header, &sampled);
        let email = EmailChoice {
            named: rules.email_column.as_deref(),
            by_content: &by_content,
        };
        let layout = Layout::from_header(&header, mapping, &rules.required, email)?;
        let email_header = &layout.headers[layout.email_index];
        let checked = rules
            .required
            .iter()
            .filter(|v| *v != email_header && !layout.missing.iter().any(|(m, _)| m == *v))
            .cloned()
            .collect();
        Ok(RowReader {
            reader,
            record,
            layout,
            rules,
            rows: 0,
            // Sized up front: growing a large table would briefly hold it twice.
            first_seen: HashMap::with_capacity((expected_rows + expected_rows / 8) as usize),
            sampled,
            checked,
        })
    }

    /// The next data row; blank lines are skipped and not counted.
    pub async fn next_row(&mut self) -> Result<Option<ParsedRow>, ImportError> {
        if let Some(record) = self.sampled.pop_front() {
            self.record = record;
        } else if !next_data_record(&mut self.reader, &mut self.record).await? {
            return Ok(None);
        }
        self.rows += 1;
        if self.rows > self.rules.max_rows {
            return Err(ImportError::RowLimitExceeded(self.rules.max_rows));
        }
        self.judge().map(Some)
    }

    fn judge(&mut self) -> Result<ParsedRow, ImportError> {
        let row_number = self.rows;
        let record = &self.record;
        let cell = |i: usize| -> Result<String, ImportError> {
            Ok(match record.get(i) {
                Some(bytes) => nfc(cell_text(bytes)?.trim()),
                None => String::new(),
            })
        };
        let email_raw = cell(self.layout.email_index)?;
        let mut variables = Map::new();
        for (index, name) in &self.layout.variables {
            variables.insert(name.clone(), Value::String(cell(*index)?));
        }
        let extra_cells = record.len() > self.layout.width
            && record
                .iter()
                .skip(self.layout.width)
                .any(|f| !f.iter().all(u8::is_ascii_whitespace));

        let parsed = EmailAddress::parse(&email_raw);
        let (email, email_normalized) = match &parsed {
            Ok(a) => (a.original.clone(), a.normalized.clone()),
            Err(_) => (email_raw.clone(), email_raw.to_lowercase()),
        };
        let missing: Vec<&str> = self
            .checked
            .iter()
            .filter(|v| {
                variables
                    .get(v.as_str())
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
            })
            .map(String::as_str)
            .collect();

        // PostgreSQL cannot store a NUL character: such a row is judged, not stored as sent.
        let nul_at = record.iter().position(|f| f.contains(&0));
        if let Some(column) = nul_at {
            let email = email_raw.replace('\0', "");
            return Ok(ParsedRow {
                row_number,
                email_normalized: email.to_lowercase(),
                email,
                variables: Map::new(),
                verdict: Verdict::Invalid,
                code: "cell_nul_char",
                message: format!(
                    "La celda {} tiene un carácter nulo (NUL); guarde el archivo de nuevo como CSV.",
                    column + 1
                ),
            });
        }
        let (verdict, code, message) = if extra_cells {
            let cells = record
                .iter()
                .rposition(|f| !f.iter().all(u8::is_ascii_whitespace))
                .map_or(0, |p| p + 1);
            (
                Verdict::Invalid,
                "row_structure_invalid",
                format!(
                    "La fila tiene {cells} celdas con datos; la cabecera tiene {}.",
                    self.layout.width
                ),
            )
        } else {
            match &parsed {
                Err(AddressProblem::Empty) => (
                    Verdict::Invalid,
                    "recipient_empty",
                    "La fila no tiene correo.".to_string(),
                ),
                Err(AddressProblem::Invalid) => (
                    Verdict::Invalid,
                    "recipient_invalid",
                    format!("'{email_raw}' no es una dirección de correo válida."),
                ),
                Ok(_) if !missing.is_empty() => (
                    Verdict::Invalid,
                    "required_value_missing",
                    format!("Faltan valores para: {}.", missing.join(", ")),
                ),
                Ok(address) => {
                    let key = address_key(&address.normalized);
                    let first = *self.first_seen.entry(key).or_insert(row_number as u32);
                    if first as u64 != row_number {
                        (
                            Verdict::Warning,
                            "duplicate_recipient",
                            format!("Correo repetido: el mismo de la fila {first}."),
                        )
                    } else if address.warning == Some(AddressWarning::UnknownTld) {
                        let tld = address
                            .domain()
                            .rsplit('.')
                            .next()
                            .unwrap_or_default()
                            .to_string();
                        let verdict = if self.rules.reject_suspicious {
                            Verdict::Invalid
                        } else {
                            Verdict::Warning
                        };
                        (
                            verdict,
                            "recipient_tld_suspicious",
                            format!("El dominio '.{tld}' no existe: ¿error de tipeo?"),
                        )
                    } else {
                        (Verdict::Valid, "", String::new())
                    }
                }
            }
        };
        Ok(ParsedRow {
            row_number,
            email,
            email_normalized,
            variables,
            verdict,
            code,
            message,
        })
    }
}
