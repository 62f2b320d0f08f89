//! Reading user accounts: one, a filtered page, and their groups and direct permissions.

use std::collections::HashMap;

use relay_types::{GroupRef, Page, User};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::auth::permission::parse_stored;
use crate::db::{icontains, Db};
use crate::entities::{group, user, user_group, user_permission};
use crate::error::{AppError, AppResult};
use crate::pagination::PageRequest;
use sea_orm::sea_query::Expr;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Text contained in the username, e-mail or name.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub is_active: Option<bool>,
    pub group_id: Option<i64>,
}

/// Users whose username, e-mail or name contains `q` (any case); everyone for a blank `q`.
pub fn matching(q: &str) -> Condition {
    let q = q.trim();
    if q.is_empty() {
        return Condition::all();
    }
    Condition::any()
        .add(icontains(Expr::col(user::Column::UsernameKey), q))
        .add(icontains(Expr::col(user::Column::Email), q))
        .add(icontains(Expr::col(user::Column::FirstName), q))
        .add(icontains(Expr::col(user::Column::LastName), q))
}

pub async fn list(db: &Db, filter: &UserFilter, page: PageRequest) -> AppResult<Page<User>> {
    let mut query = user::Entity::find();
    if let Some(q) = filter.q.as_deref() {
        query = query.filter(matching(q));
    }
    if let Some(active) = filter.is_active {
        query = query.filter(user::Column::IsActive.eq(active));
    }
    if let Some(group_id) = filter.group_id {
        let members: Vec<i64> = user_group::Entity::find()
            .filter(user_group::Column::GroupId.eq(group_id))
            .all(&db.conn)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        query = query.filter(user::Column::Id.is_in(members));
    }
    let total = query.clone().count(&db.conn).await?;
    let models = query
        .order_by_asc(user::Column::UsernameKey)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&db.conn)
        .await?;
    Ok(page.wrap(to_dtos(&db.conn, models).await?, total))
}

pub async fn find(db: &Db, id: i64) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| AppError::not_found("Usuario no encontrado.", "User not found."))
}

pub async fn get(db: &Db, id: i64) -> AppResult<User> {
    let model = find(db, id).await?;
    one_dto(&db.conn, model).await
}

pub async fn one_dto(db: &impl ConnectionTrait, model: user::Model) -> AppResult<User> {
    Ok(to_dtos(db, vec![model]).await?.remove(0))
}

/// Users with their groups and direct permissions, in two queries whatever the count.
pub async fn to_dtos(db: &impl ConnectionTrait, models: Vec<user::Model>) -> AppResult<Vec<User>> {
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let memberships = user_group::Entity::find()
        .filter(user_group::Column::UserId.is_in(ids.clone()))
        .all(db)
        .await?;
    let group_ids: Vec<i64> = memberships.iter().map(|m| m.group_id).collect();
    let group_names: HashMap<i64, String> = group::Entity::find()
        .filter(group::Column::Id.is_in(group_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let mut groups_of: HashMap<i64, Vec<GroupRef>> = HashMap::new();
    for m in memberships {
        if let Some(name) = group_names.get(&m.group_id) {
            groups_of.entry(m.user_id).or_default().push(GroupRef {
                id: m.group_id,
                name: name.clone(),
            });
        }
    }
    let mut perms_of: HashMap<i64, Vec<String>> = HashMap::new();
    for p in user_permission::Entity::find()
        .filter(user_permission::Column::UserId.is_in(ids))
        .all(db)
        .await?
    {
        perms_of
            .entry(p.user_id)
            .or_default()
            .push(p.permission_code);
    }
    Ok(models
        .into_iter()
        .map(|m| {
            let mut groups = groups_of.remove(&m.id).unwrap_or_default();
            groups.sort_by(|a, b| a.name.cmp(&b.name));
            let permissions = parse_stored(perms_of.remove(&m.id).unwrap_or_default());
            User {
                id: m.id,
                username: m.username,
                email: m.email,
                first_name: m.first_name,
                last_name: m.last_name,
                is_active: m.is_active,
                is_superuser: m.is_superuser,
                groups,
                permissions,
                created_at: m.created_at,
                last_login_at: m.last_login_at,
                password_change_required: m.password_change_required,
            }
        })
        .collect())
}

pub async fn count(db: &Db) -> AppResult<u64> {
    Ok(user::Entity::find().count(&db.conn).await?)
}
