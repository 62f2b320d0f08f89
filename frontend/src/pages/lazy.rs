//! The pages loaded on demand: each group is a chunk of its own (`#[lazy_route]`, split out
//! of the WASM by `frontend/build.sh`), fetched the first time it is visited or when a link
//! to it is hovered. The first download holds the shell, signing in and "Envíos".
//!
//! A route's guard (permission) is part of its chunk: whoever may not open a page still
//! downloads only the small piece that says so.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};
use relay_types::PermissionCode;

use crate::components::guard::{
    attachments_visible, audit_visible, reports_visible, system_visible, templates_visible,
    RequireAny, RequirePermission,
};

/// A lazily loaded page: `$name` routes to the view `$view`.
macro_rules! lazy_page {
    ($(#[$meta:meta])* $name:ident => $view:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    };
}

lazy_page!(
    /// A send's page.
    SendPage => view! {
        <RequirePermission permission=PermissionCode::BulkSendsView>
            <super::bulk_sends::BulkSendDetail/>
        </RequirePermission>
    }
);
lazy_page!(
    /// "Nuevo envío".
    NewSendPage => view! {
        <RequirePermission permission=PermissionCode::BulkSendsOperate>
            <super::bulk_sends::NewBulkSend/>
        </RequirePermission>
    }
);
lazy_page!(ReportsPage => view! {
    <RequireAny allowed=reports_visible><super::reports::ReportList/></RequireAny>
});
lazy_page!(AuditPage => view! {
    <RequireAny allowed=audit_visible><super::audit::Audit/></RequireAny>
});
lazy_page!(TemplatesPage => view! {
    <RequireAny allowed=templates_visible><super::templates::TemplateListPage/></RequireAny>
});
lazy_page!(NewTemplatePage => view! {
    <RequirePermission permission=PermissionCode::TemplatesManage>
        <super::templates::TemplateEditor/>
    </RequirePermission>
});
lazy_page!(TemplatePage => view! {
    <RequireAny allowed=templates_visible><super::templates::TemplateEditor/></RequireAny>
});
lazy_page!(UsersPage => view! {
    <RequirePermission permission=PermissionCode::UsersManage>
        <super::users::UsersAndGroups/>
    </RequirePermission>
});
lazy_page!(MessagesPage => view! {
    <RequirePermission permission=PermissionCode::MessagesSend>
        <super::messages::MessageList/>
    </RequirePermission>
});
lazy_page!(NewMessagePage => view! {
    <RequirePermission permission=PermissionCode::MessagesSend>
        <super::messages::NewMessage/>
    </RequirePermission>
});
lazy_page!(MessagePage => view! {
    <RequirePermission permission=PermissionCode::MessagesSend>
        <super::messages::MessageDetail/>
    </RequirePermission>
});
lazy_page!(AttachmentsPage => view! {
    <RequireAny allowed=attachments_visible><super::attachments::Attachments/></RequireAny>
});
lazy_page!(SendersPage => view! {
    <RequirePermission permission=PermissionCode::SendersManage>
        <super::senders::Senders/>
    </RequirePermission>
});
lazy_page!(SystemPage => view! {
    <RequireAny allowed=system_visible><super::system::SystemPage/></RequireAny>
});
lazy_page!(TokensPage => view! { <super::account::Tokens/> });
lazy_page!(MySenderPage => view! { <super::account::MySenderPage/> });
