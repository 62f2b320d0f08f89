//! Groups bundle permissions; users get them by membership.

use std::collections::HashMap;

use chrono::Utc;
use relay_types::{AuditAction, CreateGroup, Group, UpdateGroup};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;

use super::privileges;
use crate::audit::{self, Target};
use crate::auth::permission::{distinct, parse_stored};
use crate::auth::CurrentUser;
use crate::auth::Permission;
use crate::db::{is_unique_violation, Db};
use crate::entities::{group, group_permission, user_group};
use crate::error::{AppError, AppResult, ErrorCode};

async fn to_dtos(db: &impl ConnectionTrait, models: Vec<group::Model>) -> AppResult<Vec<Group>> {
    let ids: Vec<i64> = models.iter().map(|g| g.id).collect();
    let mut perms: HashMap<i64, Vec<String>> = HashMap::new();
    for p in group_permission::Entity::find()
        .filter(group_permission::Column::GroupId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        perms.entry(p.group_id).or_default().push(p.permission_code);
    }
    let mut members: HashMap<i64, u64> = HashMap::new();
    for m in user_group::Entity::find()
        .filter(user_group::Column::GroupId.is_in(ids))
        .all(db)
        .await?
    {
        *members.entry(m.group_id).or_default() += 1;
    }
    Ok(models
        .into_iter()
        .map(|g| {
            let permissions = parse_stored(perms.remove(&g.id).unwrap_or_default());
            Group {
                id: g.id,
                member_count: members.get(&g.id).copied().unwrap_or(0),
                name: g.name,
                permissions,
                seeded: g.seed_key.is_some(),
            }
        })
        .collect())
}

pub async fn list(db: &Db) -> AppResult<Vec<Group>> {
    let models = group::Entity::find()
        .order_by_asc(group::Column::Name)
        .all(&db.conn)
        .await?;
    to_dtos(&db.conn, models).await
}

async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<group::Model> {
    group::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Grupo no encontrado.", "Group not found."))
}

pub async fn get(db: &Db, id: i64) -> AppResult<Group> {
    let model = find(&db.conn, id).await?;
    Ok(to_dtos(&db.conn, vec![model]).await?.remove(0))
}

fn check_name(name: &str) -> AppResult<String> {
    crate::input::name(name, 150, "name", ErrorCode::GroupNameInvalid)
}

fn name_taken(name: &str) -> AppError {
    AppError::conflict(
        ErrorCode::GroupNameTaken,
        format!("Ya existe un grupo '{name}'."),
        format!("A group named '{name}' already exists."),
    )
    .field("name")
}

async fn replace_permissions(
    db: &impl ConnectionTrait,
    group_id: i64,
    codes: &[Permission],
) -> AppResult<()> {
    group_permission::Entity::delete_many()
        .filter(group_permission::Column::GroupId.eq(group_id))
        .exec(db)
        .await?;
    if !codes.is_empty() {
        group_permission::Entity::insert_many(codes.iter().map(|code| {
            group_permission::ActiveModel {
                group_id: Set(group_id),
                permission_code: Set(code.as_str().to_string()),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

pub async fn create(db: &Db, by: &CurrentUser, input: CreateGroup) -> AppResult<Group> {
    let name = check_name(&input.name)?;
    let codes = distinct(&input.permissions, "permissions")?;
    privileges::check_grantable(by, codes.iter().copied(), "permissions")?;
    let now = Utc::now();
    let txn = db.conn.begin().await?;
    let inserted = group::Entity::insert(group::ActiveModel {
        name: Set(name.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            name_taken(&name)
        } else {
            e.into()
        }
    })?;
    replace_permissions(&txn, inserted.id, &codes).await?;
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::GroupsCreate,
        Some(Target::new("group", inserted.id)),
        json!({ "name": name, "permissions": codes }),
    )
    .await?;
    let dto = to_dtos(&txn, vec![inserted]).await?.remove(0);
    txn.commit().await?;
    Ok(dto)
}

/// 403 unless `by` holds every permission the group grants: renaming or deleting a group
/// one could not have made would let one pass its name (and, for a seeded group, what
/// `setup-groups` gives it) to a group of one's own.
async fn check_may_change(db: &Db, by: &CurrentUser, id: i64) -> AppResult<()> {
    let grants = privileges::permissions_of_groups(&db.conn, &[id]).await?;
    privileges::check_grantable(by, grants, "id").map_err(|err| {
        let permission = err
            .extra
            .get("permission")
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_string();
        AppError::new(
            crate::error::ErrorKind::Forbidden,
            ErrorCode::GroupPermissionNotHeld,
            format!("No puedes cambiar ni eliminar este grupo: da el permiso '{permission}', que tú no tienes."),
            format!("You cannot change or delete this group: it grants '{permission}', which you do not hold."),
        )
        .with("permission", permission)
    })
}

pub async fn update(db: &Db, by: &CurrentUser, id: i64, input: UpdateGroup) -> AppResult<Group> {
    let model = find(&db.conn, id).await?;
    check_may_change(db, by, id).await?;
    let new_codes = match &input.permissions {
        Some(codes) => {
            let codes = distinct(codes, "permissions")?;
            let current = privileges::permissions_of_groups(&db.conn, &[id]).await?;
            privileges::check_grantable(
                by,
                codes.iter().copied().filter(|c| !current.contains(c)),
                "permissions",
            )?;
            Some(codes)
        }
        None => None,
    };
    let txn = db.conn.begin().await?;
    let mut active = model.into_active_model();
    let mut changes = serde_json::Map::new();
    if let Some(name) = &input.name {
        let name = check_name(name)?;
        changes.insert("name".into(), json!(name));
        active.name = Set(name);
    }
    active.updated_at = Set(Utc::now());
    let name_for_error = input.name.clone().unwrap_or_default();
    let updated = active.update(&txn).await.map_err(|e| {
        if is_unique_violation(&e) {
            name_taken(name_for_error.trim())
        } else {
            e.into()
        }
    })?;
    if let Some(codes) = &new_codes {
        replace_permissions(&txn, id, codes).await?;
        changes.insert("permissions".into(), json!(codes));
    }
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::GroupsUpdate,
        Some(Target::new("group", id)),
        serde_json::Value::Object(changes),
    )
    .await?;
    let dto = to_dtos(&txn, vec![updated]).await?.remove(0);
    txn.commit().await?;
    Ok(dto)
}

pub async fn delete(db: &Db, by: &CurrentUser, id: i64) -> AppResult<()> {
    let model = find(&db.conn, id).await?;
    check_may_change(db, by, id).await?;
    let txn = db.conn.begin().await?;
    group::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::GroupsDelete,
        Some(Target::new("group", id)),
        json!({ "name": model.name, "seed_key": model.seed_key }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
