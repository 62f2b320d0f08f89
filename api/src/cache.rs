//! A small key-value cache in the database, so every `relay-console` process sees the
//! same entries (the legacy template cache was per process).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::db::Db;
use crate::entities::cache_entry;
use crate::error::AppResult;

pub struct Cached<T> {
    pub value: T,
    pub stored_at: DateTime<Utc>,
}

/// The entry under `key` if it has not expired (and still has the expected shape).
pub async fn get<T: DeserializeOwned>(db: &Db, key: &str) -> AppResult<Option<Cached<T>>> {
    let entry = cache_entry::Entity::find_by_id(key.to_string())
        .filter(cache_entry::Column::ExpiresAt.gt(Utc::now()))
        .one(&db.conn)
        .await?;
    Ok(entry.and_then(|e| {
        serde_json::from_value(e.value).ok().map(|value| Cached {
            value,
            stored_at: e.stored_at,
        })
    }))
}

pub async fn put<T: Serialize>(
    db: &Db,
    key: &str,
    value: &T,
    ttl: Duration,
) -> AppResult<DateTime<Utc>> {
    let now = Utc::now();
    let expires =
        now + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::minutes(5));
    cache_entry::Entity::insert(cache_entry::ActiveModel {
        key: Set(key.to_string()),
        value: Set(serde_json::to_value(value).map_err(anyhow::Error::from)?),
        stored_at: Set(now),
        expires_at: Set(expires),
    })
    .on_conflict(
        OnConflict::column(cache_entry::Column::Key)
            .update_columns([
                cache_entry::Column::Value,
                cache_entry::Column::StoredAt,
                cache_entry::Column::ExpiresAt,
            ])
            .to_owned(),
    )
    .exec(&db.conn)
    .await?;
    Ok(now)
}

pub async fn forget(db: &Db, key: &str) -> AppResult<()> {
    cache_entry::Entity::delete_many()
        .filter(cache_entry::Column::Key.eq(key))
        .exec(&db.conn)
        .await?;
    Ok(())
}
