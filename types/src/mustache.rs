//! Doppler's Mustache, read one way by the API (a template's variables, the e-mail a row
//! gets) and by the SPA's template editor (its variable list and live preview):
//! `{{name}}` escaped, `{{{name}}}` and `{{& name}}` raw, unknown names empty,
//! `{{! comments}}` removed, `{{#name}}…{{/name}}` and `{{^name}}…{{/name}}` sections
//! shown when the value is (or is not) a non-empty value. Names keep their case.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Where a template's names find their values: a JSON object (a recipient's variables)
/// or plain text samples (the editor's).
pub trait Values {
    /// The value as text; `None` for an unknown name.
    fn text(&self, name: &str) -> Option<String>;
    /// Whether a section `{{#name}}` shows its content.
    fn truthy(&self, name: &str) -> bool;
}

impl Values for Map<String, Value> {
    fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(as_text)
    }

    fn truthy(&self, name: &str) -> bool {
        match self.get(name) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        }
    }
}

impl Values for BTreeMap<String, String> {
    fn text(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }

    fn truthy(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty())
    }
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Text(&'a str),
    Escaped(&'a str),
    Raw(&'a str),
    Open { name: &'a str, inverted: bool },
    Close,
}

fn tokenize(template: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start..];
        let (inner, consumed, triple) = if let Some(body) = after.strip_prefix("{{{") {
            match body.find("}}}") {
                Some(end) => (&body[..end], end + 6, true),
                None => break,
            }
        } else {
            match after[2..].find("}}") {
                Some(end) => (&after[2..2 + end], end + 4, false),
                None => break,
            }
        };
        if start > 0 {
            tokens.push(Token::Text(&rest[..start]));
        }
        rest = &after[consumed..];
        let inner = inner.trim();
        if triple {
            tokens.push(Token::Raw(inner));
            continue;
        }
        match inner.chars().next() {
            Some('!') | Some('>') | Some('=') => {}
            Some('&') => tokens.push(Token::Raw(inner[1..].trim())),
            Some('#') => tokens.push(Token::Open {
                name: inner[1..].trim(),
                inverted: false,
            }),
            Some('^') => tokens.push(Token::Open {
                name: inner[1..].trim(),
                inverted: true,
            }),
            Some('/') => tokens.push(Token::Close),
            Some(_) => tokens.push(Token::Escaped(inner)),
            None => {}
        }
    }
    if !rest.is_empty() {
        tokens.push(Token::Text(rest));
    }
    tokens
}

/// The variables a body uses for values, unique, in order of first appearance (section
/// names and comments are not variables).
pub fn variables(template: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for token in tokenize(template) {
        if let Token::Escaped(name) | Token::Raw(name) = token {
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

fn as_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The body with `values` filled in.
pub fn render(template: &str, values: &impl Values) -> String {
    let tokens = tokenize(template);
    let mut out = String::with_capacity(template.len());
    // Each open section pushes whether its content is shown (and the parent was shown).
    let mut shown: Vec<bool> = Vec::new();
    for token in tokens {
        let visible = shown.last().copied().unwrap_or(true);
        match token {
            Token::Open { name, inverted } => {
                let on = values.truthy(name) != inverted;
                shown.push(visible && on);
            }
            Token::Close => {
                shown.pop();
            }
            _ if !visible => {}
            Token::Text(text) => out.push_str(text),
            Token::Escaped(name) => escape_html(&values.text(name).unwrap_or_default(), &mut out),
            Token::Raw(name) => out.push_str(&values.text(name).unwrap_or_default()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn variables_keep_case_and_order() {
        let body = "Hola {{ Nombre }}, debe {{deuda}} ({{{enlace}}}) {{& total_a_pagar}} {{deuda}} {{! nota}} {{#premium}}x{{/premium}}";
        assert_eq!(
            variables(body),
            ["Nombre", "deuda", "enlace", "total_a_pagar"]
        );
    }

    #[test]
    fn rendering_escapes_double_and_not_triple_braces() {
        let values = map(
            json!({ "nombres": "Ana <b>&</b>", "link": "<a href='x'>pagar</a>", "deuda": 1200.5 }),
        );
        assert_eq!(
            render(
                "{{nombres}} | {{{link}}} | {{deuda}} | [{{desconocida}}]",
                &values
            ),
            "Ana &lt;b&gt;&amp;&lt;/b&gt; | <a href='x'>pagar</a> | 1200.5 | []"
        );
    }

    #[test]
    fn sections_and_comments() {
        let values = map(json!({ "descuento": "10", "vacio": "" }));
        assert_eq!(
            render("{{#descuento}}Con {{descuento}}% {{/descuento}}{{^vacio}}sin nada{{/vacio}}{{#vacio}}oculto{{/vacio}}{{! fin }}.", &values),
            "Con 10% sin nada."
        );
    }

    #[test]
    fn unterminated_tags_are_left_as_text() {
        assert_eq!(render("a {{b", &Map::new()), "a {{b");
    }

    #[test]
    fn raw_forms_comments_and_sections_are_not_variables() {
        let body = "{{#premium}}{{^vip}}{{! nada }}{{&monto}} {{{enlace}}}{{/vip}}{{/premium}}";
        assert_eq!(variables(body), ["monto", "enlace"]);
    }

    #[test]
    fn text_samples_render_like_json_values() {
        let samples = BTreeMap::from([
            ("nombre".to_string(), "Ana & Luis".to_string()),
            ("vacio".to_string(), String::new()),
            ("enlace".to_string(), "<b>x</b>".to_string()),
        ]);
        let body = "{{nombre}}|{{&enlace}}|{{{enlace}}}|{{#vacio}}oculto{{/vacio}}{{^vacio}}sin{{/vacio}}{{! c }}|{{#nombre}}si{{/nombre}}";
        let expected = "Ana &amp; Luis|<b>x</b>|<b>x</b>|sin|si";
        assert_eq!(render(body, &samples), expected);
        let json = map(json!({ "nombre": "Ana & Luis", "vacio": "", "enlace": "<b>x</b>" }));
        assert_eq!(render(body, &json), expected);
    }
}
