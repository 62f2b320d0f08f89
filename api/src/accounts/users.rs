//! Changing user accounts: creation, changes, group membership and direct permissions,
//! each within what the acting admin may grant.

use chrono::Utc;
use relay_types::{AuditAction, CreateUser, UpdateUser, User};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use secrecy::SecretString;
use serde_json::json;

use super::privileges;
use crate::audit::{self, Target};
use crate::auth::login;
use crate::auth::password::{self, Hasher};
use crate::auth::permission::{distinct, parse_stored};
use crate::auth::Permission;
use crate::auth::{tokens, CurrentUser};
use crate::db::{is_unique_violation, Db};
use crate::entities::{group, user, user_group, user_permission};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::input;
use crate::services::Services;

pub use super::user_list::{count, find, get, list, matching, one_dto, to_dtos, UserFilter};

/// The characters a username may have: letters (ASCII and Latin accented), digits and
/// `@ . + - _`, as the OpenAPI pattern states.
fn username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@.+-_".contains(c) || ('\u{C0}'..='\u{24F}').contains(&c)
}

fn check_username(username: &str) -> AppResult<String> {
    let ok = !username.is_empty()
        && username.chars().count() <= crate::auth::login::MAX_USERNAME_CHARS
        && username.chars().all(username_char);
    if !ok {
        return Err(AppError::invalid(
            "username",
            ErrorCode::UsernameInvalid,
            "El nombre de usuario es obligatorio (hasta 150 letras, dígitos o @.+-_, sin espacios).",
            "The username is required (up to 150 letters, digits or @.+-_, no spaces).",
        ));
    }
    Ok(username.to_string())
}

fn check_email(email: &str) -> AppResult<String> {
    input::email_field(email, "email", ErrorCode::EmailInvalid)
}

async fn check_groups(db: &impl ConnectionTrait, group_ids: &[i64]) -> AppResult<()> {
    input::at_most(group_ids, relay_types::limits::USER_MAX_GROUPS, "group_ids")?;
    let found = group::Entity::find()
        .filter(group::Column::Id.is_in(group_ids.to_vec()))
        .count(db)
        .await?;
    let mut unique = group_ids.to_vec();
    unique.sort();
    unique.dedup();
    if found != unique.len() as u64 {
        return Err(AppError::missing(
            "group_ids",
            ErrorCode::GroupNotFound,
            "Alguno de los grupos indicados no existe.",
            "One of the given groups does not exist.",
        ));
    }
    Ok(())
}

fn username_taken(username: &str) -> AppError {
    AppError::conflict(
        ErrorCode::UsernameTaken,
        format!("Ya existe un usuario '{username}'."),
        format!("A user named '{username}' already exists."),
    )
    .field("username")
}

async fn replace_groups(
    db: &impl ConnectionTrait,
    user_id: i64,
    group_ids: &[i64],
) -> AppResult<()> {
    user_group::Entity::delete_many()
        .filter(user_group::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let mut ids = group_ids.to_vec();
    ids.sort();
    ids.dedup();
    if !ids.is_empty() {
        user_group::Entity::insert_many(ids.into_iter().map(|group_id| user_group::ActiveModel {
            user_id: Set(user_id),
            group_id: Set(group_id),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

async fn replace_permissions(
    db: &impl ConnectionTrait,
    user_id: i64,
    codes: &[Permission],
) -> AppResult<()> {
    user_permission::Entity::delete_many()
        .filter(user_permission::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if !codes.is_empty() {
        user_permission::Entity::insert_many(codes.iter().map(|code| {
            user_permission::ActiveModel {
                user_id: Set(user_id),
                permission_code: Set(code.as_str().to_string()),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Creates an account. Used by the API (with an acting admin, who can give only what they
/// hold) and the CLI (without one).
pub async fn create(
    db: &Db,
    hasher: &Hasher,
    by: Option<&CurrentUser>,
    input: CreateUser,
) -> AppResult<User> {
    let username = check_username(&input.username)?;
    let email = match &input.email {
        Some(email) => check_email(email)?,
        None => String::new(),
    };
    password::check_policy(
        &input.password,
        "password",
        &[
            &username,
            &input.first_name,
            &input.last_name,
            email.split('@').next().unwrap_or_default(),
        ],
    )?;
    let first_name = input::text(&input.first_name, 150, "first_name")?;
    let last_name = input::text(&input.last_name, 150, "last_name")?;
    let permissions = distinct(&input.permissions, "permissions")?;
    check_groups(&db.conn, &input.group_ids).await?;
    if let Some(by) = by {
        if input.is_superuser {
            privileges::check_may_set_superuser(by)?;
        }
        privileges::check_grantable(by, permissions.iter().copied(), "permissions")?;
        let through_groups = privileges::permissions_of_groups(&db.conn, &input.group_ids).await?;
        privileges::check_grantable(by, through_groups, "group_ids")?;
    }
    let password_hash = hasher.hash(SecretString::from(input.password)).await?;

    let now = Utc::now();
    let txn = db.conn.begin().await?;
    let inserted = user::Entity::insert(user::ActiveModel {
        username_key: Set(username.to_lowercase()),
        username: Set(username.clone()),
        email: Set(email),
        first_name: Set(first_name),
        last_name: Set(last_name),
        password_hash: Set(password_hash),
        is_active: Set(input.is_active),
        is_superuser: Set(input.is_superuser),
        created_at: Set(now),
        updated_at: Set(now),
        session_version: Set(0),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            username_taken(&username)
        } else {
            e.into()
        }
    })?;
    replace_groups(&txn, inserted.id, &input.group_ids).await?;
    replace_permissions(&txn, inserted.id, &permissions).await?;
    let actor = by
        .map(CurrentUser::actor)
        .unwrap_or_else(|| audit::Actor::system("cli"));
    audit::record(
        &txn,
        &actor,
        AuditAction::UsersCreate,
        Some(Target::new("user", inserted.id)),
        json!({
            "username": inserted.username,
            "is_superuser": inserted.is_superuser,
            "group_ids": input.group_ids,
            "permissions": permissions,
        }),
    )
    .await?;
    let dto = one_dto(&txn, inserted).await?;
    txn.commit().await?;
    Ok(dto)
}

/// Changes an account. Changing someone else's password or e-mail needs every permission
/// they hold (`privileges::check_may_change_credentials`); a password set for someone else
/// must be replaced by its owner at the next sign-in, and the owner is told by e-mail. One's
/// own password changes only with the current one, checked under the login throttle.
pub async fn update(
    services: &Services,
    by: &CurrentUser,
    id: i64,
    input: UpdateUser,
) -> AppResult<User> {
    let db = &services.db;
    let current = find(db, id).await?;
    privileges::check_may_manage(by, &current)?;
    let promotes_or_demotes = input
        .is_superuser
        .is_some_and(|flag| flag != current.is_superuser);
    if promotes_or_demotes {
        privileges::check_may_set_superuser(by)?;
    }
    if id == by.id && (input.is_active == Some(false) || input.is_superuser == Some(false)) {
        return Err(AppError::conflict(
            ErrorCode::CannotDemoteSelf,
            "No puedes desactivarte ni quitarte el rol de superusuario a ti mismo.",
            "You cannot deactivate yourself or remove your own superuser role.",
        ));
    }
    let own = id == by.id;
    let email_changes = input.email.as_ref().is_some_and(|e| *e != current.email);
    if !own && (input.password.is_some() || email_changes) {
        privileges::check_may_change_credentials(db, by, &current).await?;
    }
    let deactivates = input.is_active == Some(false) && current.is_active;
    let demotes = input.is_superuser == Some(false) && current.is_superuser;
    let removes_a_superuser = (deactivates || demotes) && current.is_superuser && current.is_active;
    let mut changes = serde_json::Map::new();
    // Groups and direct permissions change with the rest, in one transaction: a refusal of
    // any part leaves the user as they were.
    let groups = match &input.group_ids {
        Some(group_ids) => {
            let previous = check_group_change(db, by, id, group_ids).await?;
            changes.insert("group_ids".into(), json!(group_ids));
            changes.insert("previous_group_ids".into(), json!(previous));
            Some(group_ids.clone())
        }
        None => None,
    };
    let permissions = match &input.permissions {
        Some(codes) => {
            let (codes, previous) = check_permission_change(db, by, id, codes).await?;
            changes.insert("permissions".into(), json!(codes));
            changes.insert("previous_permissions".into(), json!(previous));
            Some(codes)
        }
        None => None,
    };
    let mut active = current.clone().into_active_model();
    if let Some(email) = &input.email {
        let email = check_email(email)?;
        changes.insert("email".into(), json!(email));
        changes.insert("previous_email".into(), json!(current.email));
        active.email = Set(email);
    }
    if let Some(first) = &input.first_name {
        let first = input::text(first, 150, "first_name")?;
        changes.insert("first_name".into(), json!(first));
        active.first_name = Set(first);
    }
    if let Some(last) = &input.last_name {
        let last = input::text(last, 150, "last_name")?;
        changes.insert("last_name".into(), json!(last));
        active.last_name = Set(last);
    }
    if let Some(flag) = input.is_active {
        changes.insert("is_active".into(), json!(flag));
        active.is_active = Set(flag);
    }
    if let Some(flag) = input.is_superuser {
        changes.insert("is_superuser".into(), json!(flag));
        active.is_superuser = Set(flag);
    }
    if let Some(current) = &input.current_password {
        if current.is_empty() {
            return Err(AppError::invalid(
                "current_password",
                ErrorCode::CurrentPasswordEmpty,
                "current_password no puede ir vacío.",
                "current_password cannot be empty.",
            ));
        }
        password::check_length(current, "current_password")?;
    }
    let password_changed = match input.password {
        Some(new_password) => {
            super::passwords::check_new(&new_password, "password", &current)?;
            if own {
                // One's own password changes only with the current one, as a stolen session
                // must not be able to lock its owner out; the check counts as a sign-in.
                let Some(current_password) = input.current_password else {
                    return Err(AppError::new(
                        crate::error::ErrorKind::Forbidden,
                        ErrorCode::CurrentPasswordRequired,
                        "Para cambiar tu propia contraseña indica la actual (current_password).",
                        "To change your own password, give the current one (current_password).",
                    )
                    .field("current_password"));
                };
                login::confirm_password(
                    db,
                    &services.hasher,
                    &current,
                    SecretString::from(current_password),
                    by.ip.clone(),
                )
                .await
                .map_err(|err| match err.code {
                    ErrorCode::AuthPasswordConfirmationFailed => err.field("current_password"),
                    _ => err,
                })?;
            }
            active.password_hash = Set(services
                .hasher
                .hash(SecretString::from(new_password))
                .await?);
            active.password_change_required = Set(!own);
            changes.insert("password".into(), json!("changed"));
            true
        }
        None => false,
    };
    active.updated_at = Set(Utc::now());
    let txn = db.conn.begin().await?;
    if removes_a_superuser {
        privileges::lock_superusers(&txn, db.kind).await?;
    }
    let updated = active.update(&txn).await?;
    if let Some(group_ids) = &groups {
        replace_groups(&txn, id, group_ids).await?;
    }
    if let Some(codes) = &permissions {
        replace_permissions(&txn, id, codes).await?;
    }
    if removes_a_superuser {
        // Checked after the change, under the lock: two superusers removing each other at
        // once cannot both succeed.
        privileges::check_not_last_superuser(&txn, &current).await?;
    }
    if password_changed || deactivates || demotes {
        // Whatever spoke for the account before no longer does.
        tokens::end_everything(&txn, id).await?;
        changes.insert("sessions_ended".into(), json!(true));
    }
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::UsersUpdate,
        Some(Target::new("user", id)),
        serde_json::Value::Object(changes),
    )
    .await?;
    let reset_by_admin = password_changed && !own;
    if reset_by_admin {
        audit::record(
            &txn,
            &by.actor(),
            AuditAction::UsersPasswordReset,
            Some(Target::new("user", id)),
            json!({
                "change_required_at_sign_in": true,
                "notified": super::passwords::can_notify(services, &updated),
            }),
        )
        .await?;
    }
    let dto = one_dto(&txn, updated.clone()).await?;
    txn.commit().await?;
    if reset_by_admin {
        super::passwords::notify_reset(services, &updated, by);
    }
    Ok(dto)
}

/// Checks a change of `id`'s groups to `group_ids` against what `by` may grant (each group
/// added gives only permissions `by` holds); the groups as they are now.
async fn check_group_change(
    db: &Db,
    by: &CurrentUser,
    id: i64,
    group_ids: &[i64],
) -> AppResult<Vec<i64>> {
    check_groups(&db.conn, group_ids).await?;
    let current: Vec<i64> = user_group::Entity::find()
        .filter(user_group::Column::UserId.eq(id))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|m| m.group_id)
        .collect();
    let added: Vec<i64> = group_ids
        .iter()
        .copied()
        .filter(|g| !current.contains(g))
        .collect();
    let granted = privileges::permissions_of_groups(&db.conn, &added).await?;
    privileges::check_grantable(by, granted, "group_ids")?;
    Ok(current)
}

/// Checks a change of `id`'s direct permissions to `codes` against what `by` may grant;
/// the permissions to store (each once) and those held now.
async fn check_permission_change(
    db: &Db,
    by: &CurrentUser,
    id: i64,
    codes: &[Permission],
) -> AppResult<(Vec<Permission>, Vec<Permission>)> {
    let codes = distinct(codes, "permissions")?;
    let current = parse_stored(
        user_permission::Entity::find()
            .filter(user_permission::Column::UserId.eq(id))
            .all(&db.conn)
            .await?
            .into_iter()
            .map(|p| p.permission_code),
    );
    privileges::check_grantable(
        by,
        codes.iter().copied().filter(|c| !current.contains(c)),
        "permissions",
    )?;
    Ok((codes, current))
}

pub async fn set_groups(
    db: &Db,
    by: &CurrentUser,
    id: i64,
    group_ids: Vec<i64>,
) -> AppResult<User> {
    let model = find(db, id).await?;
    privileges::check_may_manage(by, &model)?;
    let current = check_group_change(db, by, id, &group_ids).await?;
    let txn = db.conn.begin().await?;
    replace_groups(&txn, id, &group_ids).await?;
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::UsersSetGroups,
        Some(Target::new("user", id)),
        json!({ "group_ids": group_ids, "previous_group_ids": current }),
    )
    .await?;
    let dto = one_dto(&txn, model).await?;
    txn.commit().await?;
    Ok(dto)
}

pub async fn set_permissions(
    db: &Db,
    by: &CurrentUser,
    id: i64,
    codes: Vec<Permission>,
) -> AppResult<User> {
    let model = find(db, id).await?;
    privileges::check_may_manage(by, &model)?;
    let (codes, current) = check_permission_change(db, by, id, &codes).await?;
    let txn = db.conn.begin().await?;
    replace_permissions(&txn, id, &codes).await?;
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::UsersSetPermissions,
        Some(Target::new("user", id)),
        json!({ "permissions": codes, "previous_permissions": current }),
    )
    .await?;
    let dto = one_dto(&txn, model).await?;
    txn.commit().await?;
    Ok(dto)
}
