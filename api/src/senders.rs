//! Sender identities (legacy `UserEmailConfig`): the From address and name of a user's
//! sends, with the deployment default from `DOPPLER_RELAY_FROM_EMAIL`/`_NAME`.

use std::collections::HashMap;

use chrono::Utc;
use relay_types::limits::SENDER_CANDIDATES_MAX;
use relay_types::{
    AuditAction, CreateSender, DefaultSender, MySender, Sender, SenderCandidate, SenderList,
    SetMySender, UpdateSender,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;

use crate::audit::{self, Target};
use crate::auth::{CurrentUser, Permission};
use crate::config::Config;
use crate::db::{icontains, is_unique_violation, Db};
use crate::entities::{sender, user};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::input;
use crate::pagination::PageRequest;
use sea_orm::sea_query::{Expr, Query};

pub fn default_sender(config: &Config) -> DefaultSender {
    DefaultSender {
        from_email: config.relay.from_email.clone(),
        from_name: config.relay.from_name.clone(),
        label: format!("Usar correo predeterminado: {}", config.relay.from_email),
    }
}

async fn to_dtos(db: &Db, models: Vec<sender::Model>) -> AppResult<Vec<Sender>> {
    let user_ids: Vec<i64> = models.iter().map(|s| s.user_id).collect();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(models
        .into_iter()
        .map(|s| {
            let username = names.get(&s.user_id).cloned().unwrap_or_default();
            Sender {
                id: s.id,
                user_id: s.user_id,
                label: format!("{username} - {}", s.from_email),
                username,
                from_email: s.from_email,
                from_name: s.from_name,
                is_active: s.is_active,
                created_at: s.created_at,
                updated_at: s.updated_at,
            }
        })
        .collect())
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SenderFilter {
    /// Text contained in the address or the name.
    #[serde(default, deserialize_with = "crate::pagination::search_text")]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only active identities (what a send may use). Those without `senders.manage` always get these.
    pub active: Option<bool>,
    /// Only this user's identities. Those without `senders.manage` always get their own.
    pub user_id: Option<i64>,
}

pub async fn list(
    db: &Db,
    config: &Config,
    filter: &SenderFilter,
    page: PageRequest,
) -> AppResult<SenderList> {
    let mut query = sender::Entity::find();
    if let Some(active) = filter.active {
        query = query.filter(sender::Column::IsActive.eq(active));
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(sender::Column::UserId.eq(user_id));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(icontains(Expr::col(sender::Column::FromEmail), q))
                .add(icontains(Expr::col(sender::Column::FromName), q)),
        );
    }
    let total = query.clone().count(&db.conn).await?;
    let models = query
        .order_by_asc(sender::Column::FromEmail)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&db.conn)
        .await?;
    Ok(SenderList {
        items: to_dtos(db, models).await?,
        total,
        page: page.page,
        page_size: page.page_size,
        default_sender: default_sender(config),
    })
}

/// Who may be given an identity: active users without one whose username, name or e-mail
/// contains `q`, by username, at most [`SENDER_CANDIDATES_MAX`]. What `senders.manage`
/// needs to pick an owner without the right to read users.
pub async fn candidates(db: &Db, q: Option<&str>) -> AppResult<Vec<SenderCandidate>> {
    let with_sender = Query::select()
        .column(sender::Column::UserId)
        .from(sender::Entity)
        .to_owned();
    let mut query = user::Entity::find()
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::Id.not_in_subquery(with_sender));
    if let Some(q) = q {
        query = query.filter(crate::accounts::users::matching(q));
    }
    let users = query
        .order_by_asc(user::Column::Username)
        .limit(SENDER_CANDIDATES_MAX)
        .all(&db.conn)
        .await?;
    Ok(users
        .into_iter()
        .map(|u| SenderCandidate {
            id: u.id,
            full_name: format!("{} {}", u.first_name, u.last_name)
                .trim()
                .to_string(),
            username: u.username,
        })
        .collect())
}

pub async fn find(db: &Db, id: i64) -> AppResult<sender::Model> {
    sender::Entity::find_by_id(id)
        .one(&db.conn)
        .await?
        .ok_or_else(|| AppError::not_found("Remitente no encontrado.", "Sender not found."))
}

pub async fn get(db: &Db, id: i64) -> AppResult<Sender> {
    let model = find(db, id).await?;
    Ok(to_dtos(db, vec![model]).await?.remove(0))
}

fn check_from(from_email: &str, from_name: &str) -> AppResult<(String, String)> {
    Ok((
        input::email_field(from_email, "from_email", ErrorCode::SenderEmailInvalid)?,
        input::name(from_name, 255, "from_name", ErrorCode::SenderNameInvalid)?,
    ))
}

fn already_has_sender() -> AppError {
    AppError::conflict(
        ErrorCode::SenderExistsForUser,
        "Ese usuario ya tiene un remitente configurado; edítalo en lugar de crear otro.",
        "That user already has a sender identity; edit it instead of creating another.",
    )
    .field("user_id")
}

pub async fn create(db: &Db, by: &CurrentUser, input: CreateSender) -> AppResult<Sender> {
    let (from_email, from_name) = check_from(&input.from_email, &input.from_name)?;
    if user::Entity::find_by_id(input.user_id)
        .one(&db.conn)
        .await?
        .is_none()
    {
        return Err(AppError::missing(
            "user_id",
            ErrorCode::UserNotFound,
            "El usuario indicado no existe.",
            "The given user does not exist.",
        ));
    }
    let now = Utc::now();
    let txn = db.conn.begin().await?;
    let inserted = sender::Entity::insert(sender::ActiveModel {
        user_id: Set(input.user_id),
        from_email: Set(from_email),
        from_name: Set(from_name),
        is_active: Set(input.is_active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            already_has_sender()
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::SendersCreate,
        Some(Target::new("sender", inserted.id)),
        json!({ "user_id": inserted.user_id, "from_email": inserted.from_email }),
    )
    .await?;
    txn.commit().await?;
    Ok(to_dtos(db, vec![inserted]).await?.remove(0))
}

pub async fn update(db: &Db, by: &CurrentUser, id: i64, input: UpdateSender) -> AppResult<Sender> {
    let current = find(db, id).await?;
    let (from_email, from_name) = check_from(
        input.from_email.as_deref().unwrap_or(&current.from_email),
        input.from_name.as_deref().unwrap_or(&current.from_name),
    )?;
    let mut active = current.into_active_model();
    active.from_email = Set(from_email);
    active.from_name = Set(from_name);
    if let Some(flag) = input.is_active {
        active.is_active = Set(flag);
    }
    active.updated_at = Set(Utc::now());
    let txn = db.conn.begin().await?;
    let updated = active.update(&txn).await?;
    audit::record(&txn, &by.actor(), AuditAction::SendersUpdate, Some(Target::new("sender", id)), json!({ "from_email": updated.from_email, "from_name": updated.from_name, "is_active": updated.is_active })).await?;
    txn.commit().await?;
    Ok(to_dtos(db, vec![updated]).await?.remove(0))
}

pub async fn delete(db: &Db, by: &CurrentUser, id: i64) -> AppResult<()> {
    let current = find(db, id).await?;
    let txn = db.conn.begin().await?;
    sender::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::SendersDelete,
        Some(Target::new("sender", id)),
        json!({ "from_email": current.from_email }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn own(db: &Db, user_id: i64) -> AppResult<Option<sender::Model>> {
    Ok(sender::Entity::find()
        .filter(sender::Column::UserId.eq(user_id))
        .one(&db.conn)
        .await?)
}

pub async fn mine(db: &Db, config: &Config, user_id: i64) -> AppResult<MySender> {
    let own = own(db, user_id).await?;
    let default_sender = default_sender(config);
    let (effective_from_email, effective_from_name) = match own.as_ref().filter(|s| s.is_active) {
        Some(s) => (s.from_email.clone(), s.from_name.clone()),
        None => (
            default_sender.from_email.clone(),
            default_sender.from_name.clone(),
        ),
    };
    let sender = match own {
        Some(model) => Some(to_dtos(db, vec![model]).await?.remove(0)),
        None => None,
    };
    Ok(MySender {
        sender,
        effective_from_email,
        effective_from_name,
        default_sender,
    })
}

/// Creates or changes the caller's own identity (`senders.manage`). An identity an
/// administrator deactivated stays inactive.
pub async fn set_mine(
    db: &Db,
    config: &Config,
    by: &CurrentUser,
    input: SetMySender,
) -> AppResult<MySender> {
    let (from_email, from_name) = check_from(&input.from_email, &input.from_name)?;
    let now = Utc::now();
    let txn = db.conn.begin().await?;
    match own(db, by.id).await? {
        Some(existing) => {
            let mut active = existing.into_active_model();
            active.from_email = Set(from_email.clone());
            active.from_name = Set(from_name.clone());
            active.updated_at = Set(now);
            active.update(&txn).await?;
        }
        None => {
            sender::Entity::insert(sender::ActiveModel {
                user_id: Set(by.id),
                from_email: Set(from_email.clone()),
                from_name: Set(from_name.clone()),
                is_active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        &by.actor(),
        AuditAction::SendersSetOwn,
        Some(Target::new("user", by.id)),
        json!({ "from_email": from_email, "from_name": from_name }),
    )
    .await?;
    txn.commit().await?;
    mine(db, config, by.id).await
}

/// The From of a send by `by`: the chosen identity (active, and theirs unless they hold
/// `senders.manage`), else the deployment default.
pub async fn resolve(
    db: &Db,
    config: &Config,
    by: &CurrentUser,
    sender_id: Option<i64>,
) -> AppResult<(String, String)> {
    if let Some(id) = sender_id {
        let sender = sender::Entity::find_by_id(id)
            .one(&db.conn)
            .await?
            .filter(|s| s.is_active)
            .ok_or_else(|| {
                AppError::missing(
                    "sender_id",
                    ErrorCode::SenderNotFound,
                    "El remitente seleccionado no existe o está inactivo.",
                    "The selected sender does not exist or is inactive.",
                )
            })?;
        if sender.user_id != by.id && !by.has(Permission::SendersManage) {
            return Err(AppError::new(
                crate::error::ErrorKind::Forbidden,
                ErrorCode::SenderNotAllowed,
                "Ese remitente no está asignado a tu usuario: usa el tuyo o el predeterminado.",
                "That sender is not assigned to you: use your own or the default one.",
            )
            .field("sender_id")
            .with("permission", Permission::SendersManage.as_str()));
        }
        return Ok((sender.from_email, sender.from_name));
    }
    if config.relay.from_email.is_empty() {
        return Err(AppError::invalid(
            "sender_id",
            ErrorCode::SenderNotConfigured,
            "No hay remitente: elige uno o configura DOPPLER_RELAY_FROM_EMAIL.",
            "No sender: choose one or configure DOPPLER_RELAY_FROM_EMAIL.",
        ));
    }
    Ok((
        config.relay.from_email.clone(),
        config.relay.from_name.clone(),
    ))
}
