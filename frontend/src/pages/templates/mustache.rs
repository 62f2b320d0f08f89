//! The template language as Doppler reads it, for the editor's live preview: `{{name}}` is
//! escaped, `{{{name}}}` is raw, unknown names render empty.

use std::collections::BTreeMap;

/// One piece of a template: text, or a variable (raw when in triple braces).
enum Piece<'a> {
    Text(&'a str),
    Var { name: &'a str, raw: bool },
}

fn pieces(html: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("{{") {
        let raw = rest[start..].starts_with("{{{");
        let (open, close) = if raw { (3, "}}}") } else { (2, "}}") };
        let Some(end) = rest[start + open..].find(close) else {
            break;
        };
        out.push(Piece::Text(&rest[..start]));
        out.push(Piece::Var {
            name: rest[start + open..start + open + end].trim(),
            raw,
        });
        rest = &rest[start + open + end + close.len()..];
    }
    out.push(Piece::Text(rest));
    out
}

/// The variables the body uses, in order of first appearance.
pub fn variables(html: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for piece in pieces(html) {
        if let Piece::Var { name, .. } = piece {
            if !name.is_empty() && !seen.iter().any(|s: &String| s == name) {
                seen.push(name.to_string());
            }
        }
    }
    seen
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The body with `values` filled in.
pub fn render(html: &str, values: &BTreeMap<String, String>) -> String {
    pieces(html)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.to_string(),
            Piece::Var { name, raw } => {
                let value = values.get(name).cloned().unwrap_or_default();
                if raw {
                    value
                } else {
                    escape(&value)
                }
            }
        })
        .collect()
}
