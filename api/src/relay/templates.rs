//! Reading Doppler's template answers, which come in several shapes (legacy 3.2).

use serde_json::Value;

/// A template as Doppler describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteTemplate {
    pub id: String,
    pub name: String,
    pub subject: String,
    pub from_email: String,
    pub from_name: String,
    /// The body when the answer carries it inline.
    pub body: Option<String>,
    /// Where to fetch the body from (the `get-template-body` link).
    pub body_href: Option<String>,
}

fn text(item: &Value, keys: &[&str]) -> String {
    keys.iter()
        .find_map(|k| match item.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .unwrap_or_default()
}

/// A body held in the answer itself, searched as the legacy client did.
pub fn inline_body(value: &Value) -> Option<String> {
    const KEYS: [&str; 5] = ["html", "htmlContent", "body", "content", "textContent"];
    for key in KEYS {
        if let Some(Value::String(s)) = value.get(key) {
            if !s.trim().is_empty() {
                return Some(s.clone());
            }
        }
    }
    for container in ["template", "data", "attributes", "message", "resource"] {
        if let Some(inner) = value.get(container).filter(|v| v.is_object()) {
            if let Some(found) = inline_body(inner) {
                return Some(found);
            }
        }
    }
    None
}

pub fn body_link(value: &Value) -> Option<String> {
    let links = value
        .get("_links")
        .or_else(|| value.get("links"))?
        .as_array()?;
    links.iter().find_map(|link| {
        let rel = link.get("rel").and_then(Value::as_str).unwrap_or("");
        let href = link.get("href").and_then(Value::as_str)?;
        (rel == "/docs/rels/get-template-body"
            || rel.ends_with("get-template-body")
            || href.ends_with("/body"))
        .then(|| href.to_string())
    })
}

pub fn parse_one(item: &Value) -> Option<RemoteTemplate> {
    let id = text(item, &["id", "templateId", "template_id"]);
    if id.is_empty() {
        return None;
    }
    Some(RemoteTemplate {
        id,
        name: text(item, &["name"]),
        subject: text(item, &["subject"]),
        from_email: text(item, &["from_email", "fromEmail"]),
        from_name: text(item, &["from_name", "fromName"]),
        body: inline_body(item),
        body_href: body_link(item),
    })
}

/// Where the next page of a collection is: its `next` link (a rel token among others, as
/// Doppler's `linkUtilities.js` reads them), else the page after `current` while
/// `pagesCount` says there is one.
#[derive(Debug, Clone, PartialEq)]
pub enum NextPage {
    Link(String),
    Number(usize),
}

pub fn next_page(value: &Value, current: usize) -> Option<NextPage> {
    let links = value
        .get("_links")
        .or_else(|| value.get("links"))
        .and_then(Value::as_array);
    let link = links.into_iter().flatten().find_map(|link| {
        let rel = link.get("rel").and_then(Value::as_str).unwrap_or("");
        rel.split_whitespace()
            .any(|token| token == "next")
            .then(|| link.get("href").and_then(Value::as_str))
            .flatten()
            .map(str::to_string)
    });
    if let Some(href) = link {
        return Some(NextPage::Link(href));
    }
    let pages = value.get("pagesCount").and_then(Value::as_u64)? as usize;
    let page = value
        .get("currentPage")
        .and_then(Value::as_u64)
        .map_or(current, |p| p as usize);
    (page < pages).then_some(NextPage::Number(page + 1))
}

/// The template list: a list, or `{items|templates|data: list | {items: list}}`, or one object.
pub fn parse_list(value: &Value) -> Vec<RemoteTemplate> {
    let items: Vec<Value> = match value {
        Value::Array(list) => list.clone(),
        Value::Object(_) => ["items", "templates", "data"]
            .iter()
            .find_map(|k| match value.get(*k) {
                Some(Value::Array(list)) => Some(list.clone()),
                Some(inner @ Value::Object(_)) => {
                    inner.get("items").and_then(Value::as_array).cloned()
                }
                _ => None,
            })
            .unwrap_or_else(|| vec![value.clone()]),
        _ => vec![],
    };
    items.iter().filter_map(parse_one).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_list_shape_is_understood() {
        let item = json!({ "templateId": "T1", "name": "Uno", "subject": "S" });
        for shape in [
            json!([item]),
            json!({ "items": [item] }),
            json!({ "templates": [item] }),
            json!({ "data": { "items": [item] } }),
            item.clone(),
        ] {
            let list = parse_list(&shape);
            assert_eq!(list.len(), 1, "{shape}");
            assert_eq!(list[0].id, "T1");
        }
    }

    #[test]
    fn the_next_page_is_found_by_link_or_by_count() {
        let linked = json!({ "items": [], "_links": [
            { "rel": "self", "href": "/a?page=1" },
            { "rel": "/docs/rels/other next", "href": "/a?page=2" } ] });
        assert_eq!(
            next_page(&linked, 1),
            Some(NextPage::Link("/a?page=2".into()))
        );
        let counted = json!({ "items": [], "currentPage": 2, "pagesCount": 3 });
        assert_eq!(next_page(&counted, 2), Some(NextPage::Number(3)));
        let last = json!({ "items": [], "currentPage": 3, "pagesCount": 3, "_links": [] });
        assert_eq!(next_page(&last, 3), None);
        assert_eq!(next_page(&json!([]), 1), None);
    }

    #[test]
    fn bodies_come_inline_or_through_the_link() {
        let t = parse_one(&json!({ "id": 5, "_links": [{ "rel": "/docs/rels/get-template-body", "href": "/accounts/1/templates/5/body" }] })).unwrap();
        assert_eq!(t.id, "5");
        assert_eq!(t.body, None);
        assert_eq!(t.body_href.as_deref(), Some("/accounts/1/templates/5/body"));
        let t =
            parse_one(&json!({ "id": "x", "data": { "htmlContent": "<p>{{a}}</p>" } })).unwrap();
        assert_eq!(t.body.as_deref(), Some("<p>{{a}}</p>"));
    }
}
