//! Who may change whom: nobody grants a permission they do not hold (directly or through a
//! group), only a superuser touches a superuser or makes one, and the last active
//! superuser cannot be locked out.

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::auth::{CurrentUser, Permission};
use crate::config::DatabaseKind;
use crate::db::Db;
use crate::entities::{group_permission, user};
use crate::error::{AppError, AppResult, ErrorCode, ErrorKind};

/// 403 unless `by` holds every one of `codes` (a superuser holds all).
pub fn check_grantable(
    by: &CurrentUser,
    permissions: impl IntoIterator<Item = Permission>,
    field: &str,
) -> AppResult<()> {
    for permission in permissions {
        if !by.has(permission) {
            let code = permission.as_str();
            return Err(AppError::new(
                ErrorKind::Forbidden,
                ErrorCode::PermissionNotHeld,
                format!("No puedes otorgar '{code}' porque no tienes ese permiso."),
                format!("You cannot grant '{code}' because you do not hold it."),
            )
            .field(field)
            .with("permission", code));
        }
    }
    Ok(())
}

/// The permissions the given groups bundle.
pub async fn permissions_of_groups(
    db: &impl ConnectionTrait,
    group_ids: &[i64],
) -> AppResult<BTreeSet<Permission>> {
    Ok(group_permission::Entity::find()
        .filter(group_permission::Column::GroupId.is_in(group_ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|gp| gp.permission_code.parse().ok())
        .collect())
}

fn superuser_required(es: &str, en: &str) -> AppError {
    AppError::new(ErrorKind::Forbidden, ErrorCode::SuperuserRequired, es, en)
        .with("permission", "superuser")
}

/// Only a superuser changes anything of a superuser's account (password, state, groups,
/// permissions, tokens).
pub fn check_may_manage(by: &CurrentUser, target: &user::Model) -> AppResult<()> {
    if target.is_superuser && !by.is_superuser {
        return Err(superuser_required(
            "Solo un superusuario puede cambiar la cuenta de un superusuario.",
            "Only a superuser can change a superuser's account.",
        ));
    }
    Ok(())
}

/// Nobody changes the password, e-mail or tokens of an account that holds a permission they
/// lack: with them they could sign in as that account and act beyond their own permissions.
/// Superusers may; everyone may change their own.
pub async fn check_may_change_credentials(
    db: &Db,
    by: &CurrentUser,
    target: &user::Model,
) -> AppResult<()> {
    check_may_manage(by, target)?;
    if by.is_superuser || by.id == target.id {
        return Ok(());
    }
    let theirs = crate::auth::effective_permissions(db, target.id).await?;
    if let Some(permission) = theirs.into_iter().find(|p| !by.has(*p)) {
        let code = permission.as_str();
        return Err(AppError::new(
            ErrorKind::Forbidden,
            ErrorCode::CredentialsOfStrongerUser,
            format!("No puedes cambiar la contraseña, el correo ni los tokens de este usuario: tiene el permiso '{code}', que tú no tienes."),
            format!("You cannot change this user's password, e-mail or tokens: they hold '{code}', which you do not."),
        )
        .with("permission", code));
    }
    Ok(())
}

/// Only a superuser makes or unmakes superusers.
pub fn check_may_set_superuser(by: &CurrentUser) -> AppResult<()> {
    if !by.is_superuser {
        return Err(superuser_required(
            "Solo un superusuario puede otorgar o quitar el rol de superusuario.",
            "Only a superuser can grant or remove the superuser role.",
        ));
    }
    Ok(())
}

/// Serialises changes that may remove a superuser: on PostgreSQL the active superusers'
/// rows are locked until the transaction ends; on SQLite the transaction's first write
/// takes the database's single write lock, which does the same.
pub async fn lock_superusers(db: &impl ConnectionTrait, kind: DatabaseKind) -> AppResult<()> {
    if kind == DatabaseKind::Postgres {
        db.execute_unprepared(
            "SELECT id FROM users WHERE is_superuser AND is_active ORDER BY id FOR UPDATE",
        )
        .await?;
    }
    Ok(())
}

/// 409 when no active superuser other than `target` is left.
pub async fn check_not_last_superuser(
    db: &impl ConnectionTrait,
    target: &user::Model,
) -> AppResult<()> {
    let others = user::Entity::find()
        .filter(user::Column::IsSuperuser.eq(true))
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::Id.ne(target.id))
        .count(db)
        .await?;
    if others == 0 {
        return Err(AppError::conflict(
            ErrorCode::LastSuperuser,
            "Es el último superusuario activo: crea o activa otro antes de desactivarlo o degradarlo.",
            "This is the last active superuser: create or activate another one before deactivating or demoting it.",
        ));
    }
    Ok(())
}
