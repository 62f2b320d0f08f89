//! Accounts, access and sender identities.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::states::PermissionCode;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 150))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1024))]
    pub password: String,
    /// For a browser: the refresh token is set as an `HttpOnly` cookie scoped to
    /// `/api/v1/auth` instead of being returned, so no script can read it.
    #[serde(default)]
    pub session_cookie: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// Short-lived JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Single-use token that buys the next pair at `/api/v1/auth/refresh`; absent when it
    /// was set as a cookie (`session_cookie`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub refresh_token: Option<String>,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    /// The password was set by an administrator: until its owner chooses a new one
    /// (`POST /api/v1/auth/password`), every other call answers 403 `password_change_required`.
    #[serde(default)]
    pub password_change_required: bool,
}

/// A signed-in user choosing a new password (their current one confirms it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1024))]
    pub current_password: String,
    /// At least 12 characters, not one of the commonest passwords.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 1024))]
    pub new_password: String,
    /// As at sign-in: the new session's refresh token goes into the `HttpOnly` cookie.
    #[serde(default)]
    pub session_cookie: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token; without it, the session cookie set at sign-in is used.
    #[serde(default, deserialize_with = "crate::not_null")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, nullable = false)
    )]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    /// The refresh token of this session; its whole family is revoked.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub groups: Vec<GroupRef>,
    /// Permissions given to the user directly (not through groups).
    pub permissions: Vec<PermissionCode>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// An administrator set the password: the user must choose a new one at sign-in.
    #[serde(default)]
    pub password_change_required: bool,
}

/// Settings of this deployment the SPA needs to draw itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UiSettings {
    /// IANA time zone used for schedules and report days, e.g. `America/Guayaquil`.
    pub time_zone: String,
    /// Whether the technical reports section is shown to admins (`REPORTS_ADMIN_VISIBLE`).
    pub reports_admin_visible: bool,
    /// Whether a second "analytics" database is configured for report loading.
    pub analytics_available: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub user: User,
    pub groups: Vec<GroupRef>,
    /// Effective permissions: direct, through groups, or all of them for a superuser.
    pub permissions: Vec<PermissionCode>,
    pub ui: UiSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 150,
            pattern = "^[0-9A-Za-z@.+_\\u00C0-\\u024F-]+$"
        )
    )]
    pub username: String,
    /// Contact address.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email, nullable = false))]
    pub email: Option<String>,
    /// At least 12 characters, not one of the commonest passwords.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 1024))]
    pub password: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 150))]
    pub first_name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 150))]
    pub last_name: String,
    /// Only a superuser may create one.
    #[serde(default)]
    pub is_superuser: bool,
    #[serde(default = "yes")]
    pub is_active: bool,
    /// Groups to join; each group's permissions must all be the creator's own.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub group_ids: Vec<i64>,
    /// Direct permissions; only those the creator holds.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 13))]
    pub permissions: Vec<PermissionCode>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email, nullable = false))]
    pub email: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 150, nullable = false))]
    pub first_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 150, nullable = false))]
    pub last_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub is_active: Option<bool>,
    /// Only a superuser may change it.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub is_superuser: Option<bool>,
    /// A new password; every session and API token of the user ends.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 12, max_length = 1024, nullable = false)
    )]
    pub password: Option<String>,
    /// One's own current password, required to change one's own password.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 1024, nullable = false)
    )]
    pub current_password: Option<String>,
    /// Replaces the user's group memberships in the same change (all of it is saved or
    /// nothing is); each group added must give only permissions the changer holds.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_items = 50, nullable = false))]
    pub group_ids: Option<Vec<i64>>,
    /// Replaces the user's direct permissions in the same change; only those the changer
    /// holds may be added.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_items = 13, nullable = false))]
    pub permissions: Option<Vec<PermissionCode>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetGroups {
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub group_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetPermissions {
    #[cfg_attr(feature = "openapi", schema(max_items = 13))]
    pub permissions: Vec<PermissionCode>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionInfo {
    pub code: PermissionCode,
    pub description_es: String,
    pub description_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub permissions: Vec<PermissionCode>,
    pub member_count: u64,
    /// One of the groups `setup-groups` seeds ("Operadores UI", "Report Managers"), known by
    /// a fixed key whatever its name.
    #[serde(default)]
    pub seeded: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 150, pattern = "\\S")
    )]
    pub name: String,
    /// Only permissions the creator holds.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 13))]
    pub permissions: Vec<PermissionCode>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 150, pattern = "\\S", nullable = false)
    )]
    pub name: Option<String>,
    /// Replaces the group's permissions; added ones must be the caller's own.
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_items = 13, nullable = false))]
    pub permissions: Option<Vec<PermissionCode>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// First characters of the secret, to recognise the token.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, pattern = "\\S")
    )]
    pub name: String,
    /// The caller's password, asked again: a stolen session alone cannot mint tokens.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1024))]
    pub password: String,
    /// Days until the token expires (1–3650). Absent: the deployment's default
    /// (`API_TOKEN_DEFAULT_DAYS`, 90). `null`: never, for superusers only.
    #[serde(
        default,
        deserialize_with = "present_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<u32>, minimum = 1, maximum = 3650)
    )]
    pub expires_in_days: Option<Option<u32>>,
}

/// `Some(value)` when the member is present (`Some(None)` for `null`), `None` when absent
/// (with `#[serde(default)]`).
fn present_or_null<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    pub token: ApiToken,
    /// The secret, shown only in this answer. Send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// A sender identity (legacy `UserEmailConfig`): the From of a user's sends.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sender {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub from_email: String,
    pub from_name: String,
    pub is_active: bool,
    /// `"{username} - {from_email}"`, as the legacy select showed it.
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user who may be given a sender identity (active, none yet): what `senders.manage`
/// sees of users, no more.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SenderCandidate {
    pub id: i64,
    pub username: String,
    /// First and last name, empty when neither is set.
    pub full_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefaultSender {
    pub from_email: String,
    pub from_name: String,
    /// `"Usar correo predeterminado: {email}"`.
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SenderList {
    pub items: Vec<Sender>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    /// The deployment's default From (`DOPPLER_RELAY_FROM_EMAIL`/`_NAME`), offered first.
    pub default_sender: DefaultSender,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MySender {
    /// The user's own identity, when one is configured.
    pub sender: Option<Sender>,
    /// What the user's sends use: the active identity, else the deployment default.
    pub effective_from_email: String,
    pub effective_from_name: String,
    pub default_sender: DefaultSender,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSender {
    pub user_id: i64,
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email))]
    pub from_email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 255, pattern = "\\S")
    )]
    pub from_name: String,
    #[serde(default = "yes")]
    pub is_active: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSender {
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email, nullable = false))]
    pub from_email: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 255, pattern = "\\S", nullable = false)
    )]
    pub from_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub is_active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetMySender {
    #[cfg_attr(feature = "openapi", schema(max_length = 254, format = Email))]
    pub from_email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 255, pattern = "\\S")
    )]
    pub from_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_username: String,
    /// What happened, e.g. `auth.login`, `auth.login_failed`, `users.update`: one of the
    /// `AuditAction` values (kept as text, so an older client still reads a newer log).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::AuditAction))]
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}
