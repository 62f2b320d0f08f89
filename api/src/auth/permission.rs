//! The permission catalogue and the seeded groups.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::{group, group_permission, permission};

/// The permissions are the shared [`PermissionCode`]s: one list, used by the API, its
/// OpenAPI document and the SPA.
pub use relay_types::PermissionCode as Permission;

/// What each permission allows, in the operators' words (Spanish, English).
pub fn descriptions(permission: Permission) -> (&'static str, &'static str) {
    match permission {
        Permission::BulkSendsView => (
            "Ver envíos masivos y sus destinatarios",
            "View bulk sends and their recipients",
        ),
        Permission::BulkSendsOperate => (
            "Crear, encolar, programar, pausar, cancelar y reintentar envíos masivos",
            "Create, queue, schedule, pause, cancel and retry bulk sends",
        ),
        Permission::JobsView => ("Ver la auditoría de trabajos", "View the job audit"),
        Permission::TemplatesView => ("Ver plantillas de Doppler", "View Doppler templates"),
        Permission::TemplatesManage => (
            "Puede administrar plantillas de Doppler (Templates)",
            "Manage Doppler templates",
        ),
        Permission::MessagesSend => (
            "Enviar y ver mensajes individuales",
            "Send and view single messages",
        ),
        Permission::SendersManage => ("Administrar remitentes", "Manage sender identities"),
        Permission::ReportsView => ("Ver y descargar reportes", "View and download reports"),
        Permission::ReportsRequest => (
            "Solicitar reportes a Doppler",
            "Request reports from Doppler",
        ),
        Permission::ReportsProcess => (
            "Puede procesar reportes pendientes",
            "Process pending reports",
        ),
        Permission::ReportsLoad => (
            "Puede cargar reportes a la BD analítica",
            "Load reports into a database",
        ),
        Permission::UsersManage => (
            "Administrar usuarios, grupos y permisos",
            "Manage users, groups and permissions",
        ),
        Permission::AuditView => ("Ver el registro de auditoría", "View the audit log"),
    }
}

pub const OPERATORS_GROUP: &str = "Operadores UI";
pub const REPORT_MANAGERS_GROUP: &str = "Report Managers";

/// A group `setup-groups` seeds: found by its fixed key, whatever it is called now, so that
/// a look-alike group someone named like it gets nothing.
pub struct SeededGroup {
    pub key: &'static str,
    pub name: &'static str,
    pub permissions: Vec<Permission>,
}

/// The seeded groups and their permissions (the legacy sets, in our vocabulary).
pub fn default_groups() -> [SeededGroup; 2] {
    [
        SeededGroup {
            key: "operators",
            name: OPERATORS_GROUP,
            permissions: vec![
                Permission::BulkSendsView,
                Permission::BulkSendsOperate,
                Permission::JobsView,
                Permission::TemplatesView,
            ],
        },
        SeededGroup {
            key: "report_managers",
            name: REPORT_MANAGERS_GROUP,
            permissions: vec![
                Permission::ReportsView,
                Permission::ReportsRequest,
                Permission::ReportsProcess,
                Permission::ReportsLoad,
            ],
        },
    ]
}

/// Permissions given by a client (at most one of each, as the OpenAPI document says),
/// de-duplicated and in catalogue order.
pub fn distinct(
    permissions: &[Permission],
    field: &str,
) -> crate::error::AppResult<Vec<Permission>> {
    crate::input::at_most(permissions, Permission::ALL.len(), field)?;
    Ok(permissions
        .iter()
        .copied()
        .collect::<BTreeSet<Permission>>()
        .into_iter()
        .collect())
}

/// Permission codes read from the database (the catalogue's foreign key keeps them known).
pub fn parse_stored(codes: impl IntoIterator<Item = String>) -> Vec<Permission> {
    let mut parsed: Vec<Permission> = codes.into_iter().filter_map(|c| c.parse().ok()).collect();
    parsed.sort();
    parsed
}

/// Writes the permission catalogue and creates the seeded groups that do not exist yet.
/// With `reset_groups`, the seeded groups get exactly their default permissions back.
pub async fn seed(db: &impl ConnectionTrait, reset_groups: bool) -> Result<(), sea_orm::DbErr> {
    let rows = Permission::ALL.iter().map(|&p| {
        let (es, en) = descriptions(p);
        permission::ActiveModel {
            code: Set(p.as_str().to_string()),
            description_es: Set(es.to_string()),
            description_en: Set(en.to_string()),
        }
    });
    permission::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(permission::Column::Code)
                .update_columns([
                    permission::Column::DescriptionEs,
                    permission::Column::DescriptionEn,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;

    for seeded in default_groups() {
        let existing = group::Entity::find()
            .filter(group::Column::SeedKey.eq(seeded.key))
            .one(db)
            .await?;
        let group_id = match existing {
            Some(_) if !reset_groups => continue,
            Some(g) => g.id,
            None => {
                // A group of someone else's may carry the name already: the seeded one
                // then gets a name of its own, and the other keeps nothing of it.
                let taken = group::Entity::find()
                    .filter(group::Column::Name.eq(seeded.name))
                    .one(db)
                    .await?
                    .is_some();
                let name = match taken {
                    false => seeded.name.to_string(),
                    true => format!("{} (sistema)", seeded.name),
                };
                let now = Utc::now();
                group::Entity::insert(group::ActiveModel {
                    name: Set(name),
                    seed_key: Set(Some(seeded.key.to_string())),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .exec(db)
                .await?
                .last_insert_id
            }
        };
        group_permission::Entity::delete_many()
            .filter(group_permission::Column::GroupId.eq(group_id))
            .exec(db)
            .await?;
        group_permission::Entity::insert_many(seeded.permissions.into_iter().map(|p| {
            group_permission::ActiveModel {
                group_id: Set(group_id),
                permission_code: Set(p.as_str().to_string()),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}
