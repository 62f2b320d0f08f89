//! Reading the CSV files people and Doppler give us (recipient lists, delivery reports):
//! the encoding and delimiter worked out, records read as UTF-8, blank lines skipped, and
//! rows parsed ahead of the database writes. What a row means is up to the reader of each
//! kind of file (`recipients::rows`, `reports::parse`).

pub mod encoding;
pub mod header;
pub mod read_ahead;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{AppError, ErrorCode};
use encoding::Encoding;
pub use relay_types::limits::{CSV_HEADER_MAX_BYTES, CSV_HEADER_MAX_COLUMNS};

/// Why a file as a whole cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportError {
    FileEmpty,
    HeaderMissing,
    /// The header has more columns or bytes than [`CSV_HEADER_MAX_COLUMNS`] /
    /// [`CSV_HEADER_MAX_BYTES`] allow.
    HeaderTooWide,
    /// The column mapping has more entries than a header may have columns.
    MappingTooLarge,
    EmailColumnMissing(Vec<String>),
    /// The operator chose an e-mail column (`email_column`) the file does not have.
    EmailColumnNotFound(String),
    /// The file is a spreadsheet, a PDF or other binary: `excel`, `pdf`, `zip`, `image` or
    /// `binary`.
    NotCsv(&'static str),
    DuplicateHeader(String, String),
    MappingColumnMissing(String),
    RowLimitExceeded(u64),
    /// The template uses variables no column provides (with a column differing only in case).
    VariablesMissing(Vec<(String, Option<String>)>),
    /// Not UTF-8 after all: read again as Windows-1252.
    NotUtf8,
    Malformed(String),
    Io(String),
    Database(String),
    /// A unique constraint refused the rows: they are stored already.
    AlreadyStored,
}

impl From<std::io::Error> for ImportError {
    fn from(err: std::io::Error) -> Self {
        ImportError::Io(err.to_string())
    }
}

impl From<tokio::task::JoinError> for ImportError {
    fn from(err: tokio::task::JoinError) -> Self {
        ImportError::Io(err.to_string())
    }
}

impl From<ImportError> for AppError {
    fn from(err: ImportError) -> AppError {
        err.into_problem("recipients_file")
    }
}

impl ImportError {
    /// Whether the file (or its mapping) is at fault, rather than the server.
    pub fn is_about_the_file(&self) -> bool {
        !matches!(
            self,
            ImportError::Io(_) | ImportError::Database(_) | ImportError::AlreadyStored
        )
    }

    /// The problem for a client whose form sent the file as `field`.
    pub fn into_problem(self, field: &str) -> AppError {
        let err = self;
        let invalid =
            |code: ErrorCode, es: String, en: String| AppError::invalid(field, code, es, en);
        match err {
            ImportError::FileEmpty => invalid(ErrorCode::FileEmpty, "El archivo CSV está vacío.".into(), "The CSV file is empty.".into()),
            ImportError::HeaderMissing => invalid(
                ErrorCode::HeaderMissing,
                "El archivo CSV no tiene cabecera (la primera fila debe nombrar las columnas).".into(),
                "The CSV file has no header (the first row must name the columns).".into(),
            ),
            ImportError::EmailColumnMissing(headers) => invalid(
                ErrorCode::EmailColumnMissing,
                format!("No se encontró la columna del correo: elija cuál es (email_column) o nómbrela 'email' o 'correo'. Columnas: {}.", headers.join(", ")),
                format!("The e-mail column was not found: choose which one it is (email_column) or name it 'email' or 'correo'. Columns: {}.", headers.join(", ")),
            )
            .with("headers", headers),
            ImportError::EmailColumnNotFound(column) => AppError::invalid(
                "email_column",
                ErrorCode::EmailColumnNotFound,
                format!("La columna '{column}' elegida para el correo no existe en el archivo."),
                format!("The column '{column}' chosen for the e-mail is not in the file."),
            ),
            ImportError::NotCsv(kind) => {
                let (es, en) = match kind {
                    "excel" => ("parece un libro de Excel: ábralo en Excel y use Guardar como → «CSV UTF-8 (delimitado por comas)»", "it looks like an Excel workbook: open it in Excel and use Save as → \"CSV UTF-8 (Comma delimited)\""),
                    "pdf" => ("parece un PDF: exporte la lista desde su sistema como CSV", "it looks like a PDF: export the list from your system as CSV"),
                    "zip" => ("parece un archivo comprimido (ZIP): extraiga el CSV y súbalo", "it looks like a compressed (ZIP) file: extract the CSV and upload it"),
                    "image" => ("parece una imagen", "it looks like an image"),
                    _ => ("tiene contenido binario, no texto", "it holds binary content, not text"),
                };
                invalid(
                    ErrorCode::FileNotCsv,
                    format!("Esto no es un CSV ({es})."),
                    format!("This is not a CSV ({en})."),
                )
                .with("detected", kind)
            }
            ImportError::HeaderTooWide => invalid(
                ErrorCode::HeaderTooWide,
                format!("La cabecera del archivo supera el límite de {CSV_HEADER_MAX_COLUMNS} columnas o {} KB.", CSV_HEADER_MAX_BYTES / 1024),
                format!("The file's header exceeds the limit of {CSV_HEADER_MAX_COLUMNS} columns or {} KB.", CSV_HEADER_MAX_BYTES / 1024),
            )
            .with("limit_columns", CSV_HEADER_MAX_COLUMNS)
            .with("limit_bytes", CSV_HEADER_MAX_BYTES),
            ImportError::MappingTooLarge => AppError::invalid(
                "mapping",
                ErrorCode::MappingTooLarge,
                format!("El mapeo admite hasta {CSV_HEADER_MAX_COLUMNS} columnas."),
                format!("The mapping takes at most {CSV_HEADER_MAX_COLUMNS} columns."),
            )
            .with("limit_columns", CSV_HEADER_MAX_COLUMNS),
            ImportError::DuplicateHeader(a, b) => invalid(
                ErrorCode::DuplicateHeader,
                format!("Las columnas '{a}' y '{b}' tienen el mismo nombre."),
                format!("Columns '{a}' and '{b}' have the same name."),
            ),
            ImportError::MappingColumnMissing(column) => AppError::invalid(
                "mapping",
                ErrorCode::MappingColumnMissing,
                format!("La columna '{column}' del mapeo no existe en el archivo."),
                format!("The mapped column '{column}' is not in the file."),
            ),
            ImportError::RowLimitExceeded(limit) => invalid(
                ErrorCode::RowLimitExceeded,
                format!("El archivo supera el límite de {limit} filas (IMPORT_MAX_ROWS)."),
                format!("The file exceeds the limit of {limit} rows (IMPORT_MAX_ROWS)."),
            )
            .with("limit_rows", limit),
            ImportError::VariablesMissing(missing) => {
                let names: Vec<&str> = missing.iter().map(|(v, _)| v.as_str()).collect();
                let suggested: BTreeMap<&str, &str> = missing
                    .iter()
                    .filter_map(|(v, near)| near.as_deref().map(|c| (v.as_str(), c)))
                    .collect();
                invalid(
                    ErrorCode::TemplateVariablesMissing,
                    format!("La plantilla usa variables que el archivo no tiene: {}. Agrega las columnas o mapéalas.", names.join(", ")),
                    format!("The template uses variables the file lacks: {}. Add the columns or map them.", names.join(", ")),
                )
                .with("missing_variables", names)
                .with("suggested_mapping", serde_json::to_value(suggested).unwrap_or_default())
            }
            ImportError::NotUtf8 | ImportError::Malformed(_) => invalid(
                ErrorCode::CsvMalformed,
                format!("El archivo no se pudo leer como CSV ({err:?})."),
                format!("The file could not be read as CSV ({err:?})."),
            ),
            ImportError::Io(e) => AppError::internal(anyhow::anyhow!("reading the recipients file: {e}")),
            ImportError::Database(e) => AppError::internal(anyhow::anyhow!("storing the rows: {e}")),
            ImportError::AlreadyStored => AppError::conflict(ErrorCode::AlreadyStored, "Estas filas ya estaban guardadas.", "These rows were stored already."),
        }
    }
}

pub type CsvReader = csv_async::AsyncReader<tokio::io::BufReader<tokio::fs::File>>;

/// The text of one cell, or the reason to read the file again as Windows-1252.
pub fn cell_text(bytes: &[u8]) -> Result<&str, ImportError> {
    std::str::from_utf8(bytes).map_err(|_| ImportError::NotUtf8)
}

/// Reads the next record that is not blank (every field empty or whitespace) into
/// `record`; false at the end of the file.
pub async fn next_data_record(
    reader: &mut CsvReader,
    record: &mut csv_async::ByteRecord,
) -> Result<bool, ImportError> {
    while reader.read_byte_record(record).await.map_err(csv_error)? {
        if !record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Maps a CSV error to a file problem.
pub fn csv_error(err: csv_async::Error) -> ImportError {
    match err.kind() {
        csv_async::ErrorKind::Io(e) => ImportError::Io(e.to_string()),
        _ => ImportError::Malformed(err.to_string()),
    }
}

/// An uploaded CSV, its encoding and delimiter worked out, readable as UTF-8.
pub struct CsvFile {
    pub original: PathBuf,
    pub encoding: Encoding,
    pub delimiter: u8,
    /// Data rows expected, from the file size and the lines of its first 64 KB.
    pub estimated_rows: u64,
    readable: PathBuf,
}

impl CsvFile {
    pub async fn inspect(path: &Path) -> Result<CsvFile, ImportError> {
        let sample = {
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || encoding::sample(&path))
                .await
                .map_err(|e| ImportError::Io(e.to_string()))??
        };
        if sample.iter().all(u8::is_ascii_whitespace) {
            return Err(ImportError::FileEmpty);
        }
        if let Some(kind) = encoding::binary_kind(&sample) {
            return Err(ImportError::NotCsv(kind));
        }
        Self::as_encoding(path, encoding::detect(&sample)).await
    }

    async fn as_encoding(path: &Path, encoding: Encoding) -> Result<CsvFile, ImportError> {
        let readable = if encoding.is_utf8() {
            path.to_path_buf()
        } else {
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || encoding::transcode_to_utf8(&path, encoding))
                .await
                .map_err(|e| ImportError::Io(e.to_string()))??
        };
        let sample = encoding::sample(&readable)?;
        let first_line = header_line(&sample)?;
        let lines_in_sample = sample.iter().filter(|b| **b == b'\n').count().max(1) as u64;
        let size = std::fs::metadata(&readable)?.len();
        Ok(CsvFile {
            original: path.to_path_buf(),
            encoding,
            delimiter: header::detect_delimiter(&first_line),
            estimated_rows: size * lines_in_sample / (sample.len().max(1) as u64),
            readable,
        })
    }

    /// The same file read as Windows-1252: a UTF-8 guess met an invalid byte.
    pub async fn as_windows_1252(&self) -> Result<CsvFile, ImportError> {
        Self::as_encoding(&self.original, Encoding::Windows1252).await
    }

    /// A CSV reader over the file's UTF-8 text (byte-order mark skipped), records unparsed.
    pub async fn csv_reader(&self) -> Result<CsvReader, ImportError> {
        let mut file = tokio::io::BufReader::with_capacity(
            256 * 1024,
            tokio::fs::File::open(&self.readable).await?,
        );
        if self.encoding == Encoding::Utf8Bom {
            use tokio::io::AsyncReadExt;
            let mut bom = [0u8; 3];
            file.read_exact(&mut bom).await?;
        }
        Ok(csv_async::AsyncReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .create_reader(file))
    }
}

impl Drop for CsvFile {
    fn drop(&mut self) {
        if self.readable != self.original {
            let _ = std::fs::remove_file(&self.readable);
        }
    }
}

/// The first line that is not blank, refused when it is longer than
/// [`CSV_HEADER_MAX_BYTES`]: checked on the sample, before any CSV parser holds it whole.
fn header_line(sample: &[u8]) -> Result<String, ImportError> {
    let mut rest = sample;
    loop {
        let (line, after) = match rest.iter().position(|b| *b == b'\n') {
            Some(end) => (&rest[..end], Some(&rest[end + 1..])),
            None => (rest, None),
        };
        let blank = line.iter().all(u8::is_ascii_whitespace);
        if !blank || after.is_none() {
            if line.len() > CSV_HEADER_MAX_BYTES {
                return Err(ImportError::HeaderTooWide);
            }
            return Ok(String::from_utf8_lossy(line)
                .trim_end_matches('\r')
                .to_string());
        }
        rest = after.unwrap_or_default();
    }
}

/// True when a read failed because a file taken for UTF-8 was not: read it again as
/// Windows-1252 (see [`CsvFile::as_windows_1252`]).
pub fn retry_as_windows_1252<T>(file: &CsvFile, result: &Result<T, ImportError>) -> bool {
    matches!(result, Err(ImportError::NotUtf8)) && file.encoding == Encoding::Utf8
}
