//! The audit log: who did what, when, from where.

use chrono::{DateTime, Utc};
use relay_types::{AuditAction, AuditEntry, Page};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::db::icontains;
use crate::entities::audit_log;
use crate::pagination::PageRequest;
use sea_orm::sea_query::Expr;

/// Who an entry is attributed to.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: Option<String>,
}

impl Actor {
    /// Work done by the system itself (scheduler, timers, CLI without a user).
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            username: name.to_string(),
            ip: None,
        }
    }
}

pub struct Target<'a> {
    pub kind: &'a str,
    pub id: String,
}

impl<'a> Target<'a> {
    pub fn new(kind: &'a str, id: impl ToString) -> Self {
        Target {
            kind,
            id: id.to_string(),
        }
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: AuditAction,
    target: Option<Target<'_>>,
    details: Value,
) -> Result<(), sea_orm::DbErr> {
    let (target_type, target_id) = match target {
        Some(t) => (Some(t.kind.to_string()), Some(t.id)),
        None => (None, None),
    };
    audit_log::Entity::insert(audit_log::ActiveModel {
        created_at: Set(Utc::now()),
        actor_user_id: Set(actor.user_id),
        actor_username: Set(actor.username.clone()),
        action: Set(action.as_str().to_string()),
        target_type: Set(target_type),
        target_id: Set(target_id),
        ip: Set(actor.ip.clone()),
        details: Set(details),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Exact action, e.g. `auth.login_failed`; a trailing `*` matches a prefix (`users.*`).
    #[serde(default, deserialize_with = "crate::pagination::action_text")]
    #[param(max_length = 100)]
    pub action: Option<String>,
    pub actor_user_id: Option<i64>,
    /// Text contained in the actor's username, the target id or the address.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

pub async fn list(
    db: &crate::db::Db,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEntry>, sea_orm::DbErr> {
    let db = &db.conn;
    let mut query = audit_log::Entity::find();
    if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
        query = match action.strip_suffix('*') {
            Some(prefix) => query.filter(audit_log::Column::Action.starts_with(prefix)),
            None => query.filter(audit_log::Column::Action.eq(action)),
        };
    }
    if let Some(actor) = filter.actor_user_id {
        query = query.filter(audit_log::Column::ActorUserId.eq(actor));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(icontains(Expr::col(audit_log::Column::ActorUsername), q))
                .add(icontains(Expr::col(audit_log::Column::TargetId), q))
                .add(icontains(Expr::col(audit_log::Column::Ip), q)),
        );
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::Column::CreatedAt.lt(until));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(audit_log::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect();
    Ok(page.wrap(items, total))
}
