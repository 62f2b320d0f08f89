//! Who is signed in. The access token lives in memory in `api`; this holds what the pages
//! read: the user, their effective permissions and the deployment's UI settings.

use leptos::prelude::*;
use relay_types::{Me, PermissionCode};

#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
    /// The start-up check (a session left by an earlier visit) is over.
    pub checked: RwSignal<bool>,
    /// The session ended on its own (refresh refused): the login page says so.
    pub expired: RwSignal<bool>,
}

impl Session {
    pub fn new() -> Session {
        Session {
            me: RwSignal::new(None),
            checked: RwSignal::new(false),
            expired: RwSignal::new(false),
        }
    }

    pub fn sign_in(&self, me: Me) {
        super::format::set_time_zone(&me.ui.time_zone);
        self.expired.set(false);
        self.me.set(Some(me));
    }

    /// Whether the user holds `permission` (tracked: views using it update on sign-in/out).
    pub fn can(&self, permission: PermissionCode) -> bool {
        self.me.with(|me| {
            me.as_ref()
                .is_some_and(|me| me.permissions.contains(&permission))
        })
    }

    pub fn username(&self) -> String {
        self.me.with(|me| {
            me.as_ref()
                .map(|me| me.user.username.clone())
                .unwrap_or_default()
        })
    }

    pub fn time_zone(&self) -> String {
        self.me.with(|me| {
            me.as_ref()
                .map(|me| me.ui.time_zone.clone())
                .unwrap_or_default()
        })
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
