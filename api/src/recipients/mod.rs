//! Recipient CSVs: the layout of an operator's file (the e-mail column, which column feeds
//! which variable), a verdict per row, previews, and the recipient ledger.

pub mod import;
pub mod layout;
pub mod ledger;
pub mod queries;
pub mod rows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use relay_types::{CsvPreview, PreviewRow};

use crate::csv_input::header::delimiter_name;
use crate::csv_input::{retry_as_windows_1252, CsvFile, ImportError};
use rows::{RowReader, RowRules, Verdict};

/// The recipient rows of `file`, each with its verdict.
pub async fn open_rows(
    file: &CsvFile,
    mapping: &BTreeMap<String, String>,
    rules: RowRules,
) -> Result<RowReader, ImportError> {
    let expected = file.estimated_rows.min(rules.max_rows);
    RowReader::open(file.csv_reader().await?, mapping, rules, expected).await
}

pub const PREVIEW_ROWS: usize = 10;
/// Rows with a verdict listed by a preview (the form's downloadable list of problems).
pub const PREVIEW_PROBLEM_ROWS: usize = 1000;

/// Everything the importer would conclude about a file, without storing anything. The
/// reading runs in the CPU pool (`cpu_pool`), off the async workers.
pub async fn preview(
    path: PathBuf,
    mapping: BTreeMap<String, String>,
    rules: RowRules,
    template_variables: Vec<String>,
) -> Result<CsvPreview, ImportError> {
    crate::cpu_pool::run(
        async move { preview_path(&path, &mapping, rules, template_variables).await },
    )
    .await
}

async fn preview_path(
    path: &Path,
    mapping: &BTreeMap<String, String>,
    rules: RowRules,
    template_variables: Vec<String>,
) -> Result<CsvPreview, ImportError> {
    let mut file = CsvFile::inspect(path).await?;
    let mut result = preview_file(&file, mapping, rules.clone(), &template_variables).await;
    if retry_as_windows_1252(&file, &result) {
        file = file.as_windows_1252().await?;
        result = preview_file(&file, mapping, rules, &template_variables).await;
    }
    Ok(CsvPreview {
        encoding: file.encoding.name().into(),
        delimiter: delimiter_name(file.delimiter),
        ..result?
    })
}

async fn preview_file(
    file: &CsvFile,
    mapping: &BTreeMap<String, String>,
    rules: RowRules,
    template_variables: &[String],
) -> Result<CsvPreview, ImportError> {
    let mut reader = open_rows(file, mapping, rules).await?;
    let mut preview = CsvPreview {
        problem: None,
        encoding: String::new(),
        delimiter: String::new(),
        headers: reader.layout.headers.clone(),
        email_column: reader.layout.email_column().to_string(),
        email_candidates: reader.layout.email_candidates.clone(),
        total_rows: 0,
        valid_rows: 0,
        invalid_rows: 0,
        warning_rows: 0,
        error_counts: BTreeMap::new(),
        missing_variables: reader
            .layout
            .missing
            .iter()
            .map(|(v, _)| v.clone())
            .collect(),
        suggested_mapping: reader
            .layout
            .missing
            .iter()
            .filter_map(|(v, near)| near.clone().map(|c| (v.clone(), c)))
            .collect(),
        template_variables: template_variables.to_vec(),
        rows: Vec::new(),
        problem_rows: Vec::new(),
    };
    while let Some(row) = reader.next_row().await? {
        preview.total_rows += 1;
        match row.verdict {
            Verdict::Valid => preview.valid_rows += 1,
            Verdict::Warning => {
                preview.valid_rows += 1;
                preview.warning_rows += 1;
            }
            Verdict::Invalid => preview.invalid_rows += 1,
        }
        if !row.code.is_empty() {
            *preview
                .error_counts
                .entry(row.code.to_string())
                .or_default() += 1;
        }
        if !row.code.is_empty() && preview.problem_rows.len() < PREVIEW_PROBLEM_ROWS {
            preview.problem_rows.push(PreviewRow {
                row_number: row.row_number,
                email: row.email.clone(),
                variables: serde_json::Map::new(),
                status: row.verdict,
                code: row.code.to_string(),
                message: row.message.clone(),
            });
        }
        if preview.rows.len() < PREVIEW_ROWS {
            preview.rows.push(PreviewRow {
                row_number: row.row_number,
                email: row.email,
                variables: row.variables,
                status: row.verdict,
                code: row.code.into(),
                message: row.message,
            });
        }
    }
    Ok(preview)
}
