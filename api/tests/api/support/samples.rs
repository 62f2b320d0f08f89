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
