//! Uploaded attachments: streamed to disk under a generated name with a hard size limit,
//! content type and checksum recorded, downloadable only through the API, deletable while
//! nothing uses them.

use std::path::PathBuf;

use base64::Engine;
use chrono::{Datelike, Utc};
use relay_types::{Attachment, AuditAction, Page};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::audit::{self, Target};
use crate::auth::{CurrentUser, Permission};
use crate::config::Config;
use crate::db::Db;
use crate::entities::{attachment, bulk_send_attachment, message_attachment, user};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::pagination::PageRequest;
use crate::storage::SpooledFile;

/// Tables whose rows point at attachments; an attachment any of them uses cannot be deleted.
const USED_BY: &[&str] = &["message_attachments", "bulk_send_attachments"];

/// The client's file name reduced to a display name: no directories, no control characters.
pub fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string();
    let cleaned: String = cleaned.chars().take(200).collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "adjunto".to_string()
    } else {
        cleaned
    }
}

/// The extension kept on the stored file (letters and digits only), for the operator's sake.
fn safe_extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((_, ext))
            if !ext.is_empty()
                && ext.len() <= 10
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

fn absolute(config: &Config, stored_path: &str) -> PathBuf {
    config.data_dir.join(stored_path)
}

async fn to_dtos(db: &Db, models: Vec<attachment::Model>) -> AppResult<Vec<Attachment>> {
    let ids: Vec<i64> = models.iter().filter_map(|m| m.created_by).collect();
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| Attachment {
            id: m.id,
            created_by: m.created_by.and_then(|id| names.get(&id).cloned()),
            name: m.original_name,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            created_at: m.created_at,
        })
        .collect())
}

/// Keeps an uploaded file (already spooled within `ATTACHMENT_MAX_BYTES`) as an attachment.
pub async fn save(
    db: &Db,
    config: &Config,
    by: &CurrentUser,
    file: SpooledFile,
) -> AppResult<Attachment> {
    if file.size == 0 {
        return Err(AppError::invalid(
            "file",
            ErrorCode::AttachmentEmpty,
            "El archivo adjunto está vacío.",
            "The attachment is empty.",
        ));
    }
    let now = Utc::now();
    let relative = format!(
        "attachments/{:04}/{:02}/{}{}",
        now.year(),
        now.month(),
        uuid::Uuid::new_v4(),
        safe_extension(&file.name)
    );
    let path = absolute(config, &relative);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    tokio::fs::rename(&file.spool.0, &path).await?;
    let content_type = file
        .content_type
        .as_deref()
        .filter(|t| !t.is_empty() && *t != "application/octet-stream")
        .map(str::to_string)
        .unwrap_or_else(|| {
            mime_guess::from_path(&file.name)
                .first_or_octet_stream()
                .to_string()
        });
    let inserted = attachment::Entity::insert(attachment::ActiveModel {
        original_name: Set(file.name.clone()),
        stored_path: Set(relative),
        content_type: Set(content_type),
        size_bytes: Set(file.size as i64),
        sha256: Set(file.sha256.clone()),
        created_by: Set(Some(by.id)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&db.conn)
    .await;
    let inserted = match inserted {
        Ok(model) => model,
        Err(err) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(err.into());
        }
    };
    audit::record(
        &db.conn,
        &by.actor(),
        AuditAction::AttachmentsUpload,
        Some(Target::new("attachment", inserted.id)),
        json!({ "name": file.name, "size_bytes": file.size }),
    )
    .await?;
    Ok(to_dtos(db, vec![inserted]).await?.remove(0))
}

pub use relay_types::limits::ATTACHMENTS_PER_MESSAGE_MAX as MAX_PER_MESSAGE;

/// The attachments `by` may see: their own; those a bulk send uses, for `bulk_sends.view`;
/// those a message carries, for `messages.send`; all of them, for a superuser.
fn visible_to(by: &CurrentUser) -> Condition {
    if by.is_superuser {
        return Condition::all();
    }
    let mut visible = Condition::any().add(attachment::Column::CreatedBy.eq(by.id));
    if by.has(Permission::BulkSendsView) {
        visible = visible.add(
            attachment::Column::Id.in_subquery(
                Query::select()
                    .column(bulk_send_attachment::Column::AttachmentId)
                    .from(bulk_send_attachment::Entity)
                    .to_owned(),
            ),
        );
    }
    if by.has(Permission::MessagesSend) {
        visible = visible.add(
            attachment::Column::Id.in_subquery(
                Query::select()
                    .column(message_attachment::Column::AttachmentId)
                    .from(message_attachment::Entity)
                    .to_owned(),
            ),
        );
    }
    visible
}

pub async fn list(db: &Db, by: &CurrentUser, page: PageRequest) -> AppResult<Page<Attachment>> {
    let query = attachment::Entity::find().filter(visible_to(by));
    let total = query.clone().count(&db.conn).await?;
    let models = query
        .order_by_desc(attachment::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&db.conn)
        .await?;
    Ok(page.wrap(to_dtos(db, models).await?, total))
}

fn not_found() -> AppError {
    AppError::not_found("Adjunto no encontrado.", "Attachment not found.")
}

/// An attachment `by` may see; 404 for one they may not (its existence is not revealed).
pub async fn find(db: &Db, by: &CurrentUser, id: i64) -> AppResult<attachment::Model> {
    attachment::Entity::find_by_id(id)
        .filter(visible_to(by))
        .one(&db.conn)
        .await?
        .ok_or_else(not_found)
}

pub async fn get(db: &Db, by: &CurrentUser, id: i64) -> AppResult<Attachment> {
    let model = find(db, by, id).await?;
    Ok(to_dtos(db, vec![model]).await?.remove(0))
}

/// The stored file of an attachment, for a download.
pub async fn open(
    db: &Db,
    config: &Config,
    by: &CurrentUser,
    id: i64,
) -> AppResult<(attachment::Model, tokio::fs::File)> {
    let model = find(db, by, id).await?;
    let file = tokio::fs::File::open(absolute(config, &model.stored_path))
        .await
        .map_err(|_| {
            AppError::not_found(
                "El archivo del adjunto ya no existe.",
                "The attachment's file no longer exists.",
            )
        })?;
    Ok((model, file))
}

/// The attachments a new send by `by` names: de-duplicated, at most [`MAX_PER_MESSAGE`],
/// each one `by` may see, together within `MESSAGE_ATTACHMENTS_MAX_BYTES`. Answers them in
/// the order given.
pub async fn choose_for_send(
    db: &Db,
    config: &Config,
    by: &CurrentUser,
    ids: &[i64],
    field: &str,
) -> AppResult<Vec<attachment::Model>> {
    crate::input::at_most(ids, MAX_PER_MESSAGE, field)?;
    let mut unique = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let found = attachment::Entity::find()
        .filter(attachment::Column::Id.is_in(unique.clone()))
        .filter(visible_to(by))
        .all(&db.conn)
        .await?;
    let mut chosen = Vec::with_capacity(unique.len());
    for id in unique {
        let model = found.iter().find(|m| m.id == id).cloned().ok_or_else(|| {
            AppError::missing(
                field,
                ErrorCode::AttachmentNotFound,
                format!("El adjunto {id} no existe."),
                format!("Attachment {id} does not exist."),
            )
        })?;
        chosen.push(model);
    }
    let total: i64 = chosen.iter().map(|m| m.size_bytes).sum();
    let limit = config.limits.message_attachments_max_bytes;
    if total as u64 > limit {
        return Err(AppError::too_large(limit)
            .field(field)
            .with("size_bytes", total));
    }
    Ok(chosen)
}

/// The content of attachments already chosen, in base64, for the message payload.
pub async fn read_for_send(
    config: &Config,
    chosen: Vec<attachment::Model>,
) -> AppResult<Vec<(attachment::Model, String)>> {
    let mut out = Vec::with_capacity(chosen.len());
    for model in chosen {
        let bytes = tokio::fs::read(absolute(config, &model.stored_path)).await?;
        out.push((
            model,
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ));
    }
    Ok(out)
}

async fn in_use(db: &impl ConnectionTrait, id: i64) -> AppResult<bool> {
    for table in USED_BY {
        let found = db
            .query_one_raw(crate::db::statement(
                db.get_database_backend(),
                &format!("SELECT 1 FROM {table} WHERE attachment_id = $1 LIMIT 1"),
                [id.into()],
            ))
            .await?;
        if found.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Deletes an unused attachment: its creator's, or any for a superuser.
pub async fn delete(db: &Db, config: &Config, by: &CurrentUser, id: i64) -> AppResult<()> {
    let model = find(db, by, id).await?;
    if model.created_by != Some(by.id) && !by.is_superuser {
        return Err(AppError::new(
            crate::error::ErrorKind::Forbidden,
            ErrorCode::AttachmentNotYours,
            "Solo quien subió el adjunto puede eliminarlo.",
            "Only whoever uploaded the attachment can delete it.",
        ));
    }
    if in_use(&db.conn, id).await? {
        return Err(AppError::conflict(
            ErrorCode::AttachmentInUse,
            "El adjunto está en uso por un envío y no se puede eliminar.",
            "The attachment is used by a send and cannot be deleted.",
        ));
    }
    attachment::Entity::delete_by_id(id).exec(&db.conn).await?;
    let _ = tokio::fs::remove_file(absolute(config, &model.stored_path)).await;
    audit::record(
        &db.conn,
        &by.actor(),
        AuditAction::AttachmentsDelete,
        Some(Target::new("attachment", id)),
        json!({ "name": model.original_name }),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_cannot_reach_outside_the_storage() {
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(
            display_name("C:\\Users\\ana\\detalle deuda.pdf"),
            "detalle deuda.pdf"
        );
        assert_eq!(display_name(".."), "adjunto");
        assert_eq!(display_name("a\u{0}b.pdf"), "ab.pdf");
        assert_eq!(safe_extension("x.PDF"), ".pdf");
        assert_eq!(safe_extension("x.p/df"), "");
        assert_eq!(safe_extension("noext"), "");
    }
}
