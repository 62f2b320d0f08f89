//! The signed-in session: tokens kept in `localStorage`, the user in a shared signal.

use leptos::prelude::*;
use relay_types::{Me, TokenResponse};

const ACCESS: &str = "relay-console.access";
const REFRESH: &str = "relay-console.refresh";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn access_token() -> Option<String> {
    storage()?.get_item(ACCESS).ok().flatten()
}

pub fn refresh_token() -> Option<String> {
    storage()?.get_item(REFRESH).ok().flatten()
}

pub fn store_tokens(tokens: &TokenResponse) {
    if let Some(s) = storage() {
        let _ = s.set_item(ACCESS, &tokens.access_token);
        let _ = s.set_item(REFRESH, &tokens.refresh_token);
    }
}

pub fn clear_tokens() {
    if let Some(s) = storage() {
        let _ = s.remove_item(ACCESS);
        let _ = s.remove_item(REFRESH);
    }
}

/// Who is signed in, shared by every page through context.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
    /// True until the stored tokens have been checked at start-up.
    pub checking: RwSignal<bool>,
}

impl Session {
    pub fn new() -> Session {
        Session {
            me: RwSignal::new(None),
            checking: RwSignal::new(access_token().is_some()),
        }
    }

    pub fn display_name(&self) -> String {
        self.me.with(|me| match me {
            Some(me) => {
                let full = format!("{} {}", me.user.first_name, me.user.last_name);
                match full.trim() {
                    "" => me.user.username.clone(),
                    name => name.to_string(),
                }
            }
            None => String::new(),
        })
    }
}
