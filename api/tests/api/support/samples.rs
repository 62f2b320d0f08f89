//! Recipient files the tests send: the production samples, and generated ones.

/// A sample file from `tests/fixtures` (copies of the production-format samples).
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// `n` recipient rows for the "Descuento en su deuda" template, `;`-separated.
pub fn deuda_csv(n: usize) -> Vec<u8> {
    let mut csv = String::from("email;identificacion;nombres;deuda;descuento;total_a_pagar\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "cliente{i}@example.com;09{i:08};Cliente {i};{};{};{}\n",
            100 + i,
            10 + i,
            90
        ));
    }
    csv.into_bytes()
}

/// The records of an exported CSV (quoted cells unquoted, a leading byte-order mark
/// dropped), as a spreadsheet reads them.
pub fn csv_records(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut records = Vec::new();
    let (mut record, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => record.push(std::mem::take(&mut cell)),
            '\r' if !quoted => {}
            '\n' if !quoted => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            c => cell.push(c),
        }
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        records.push(record);
    }
    records
}
