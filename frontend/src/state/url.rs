//! The filters of a list live in the page's URL (shareable, kept on reload and back).

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

/// A typed filter from the page's URL: absent, or a spelling the type does not know, is no
/// filter (a hand-edited address never reaches the API as nonsense).
pub fn typed<T: std::str::FromStr>(value: Option<String>) -> Option<T> {
    value.and_then(|v| v.parse().ok())
}

/// Rewrites one query parameter of the current URL (the filters live there), replacing the
/// history entry; `reset_page` goes back to page 1.
pub fn set_query_param() -> impl Fn(&str, String, bool) + Clone {
    let navigate = use_navigate();
    let location = use_location();
    move |key: &str, value: String, reset_page: bool| {
        let mut pairs: Vec<(String, String)> = location
            .query
            .get_untracked()
            .into_iter()
            .filter(|(k, _)| k != key && !(reset_page && k == "pagina"))
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        if !value.is_empty() {
            pairs.push((key.to_string(), value));
        }
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", js_sys::encode_uri_component(v)))
            .collect::<Vec<_>>()
            .join("&");
        let path = location.pathname.get_untracked();
        let url = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        navigate(
            &url,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    }
}
