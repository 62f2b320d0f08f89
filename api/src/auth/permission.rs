//! The permission catalogue and the seeded groups.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::{group, group_permission, permission};
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    BulkSendsView,
    BulkSendsOperate,
    JobsView,
    TemplatesView,
    TemplatesManage,
    MessagesSend,
    SendersManage,
    ReportsView,
    ReportsRequest,
    ReportsProcess,
    ReportsLoad,
    UsersManage,
    AuditView,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Permission::BulkSendsView,
        Permission::BulkSendsOperate,
        Permission::JobsView,
        Permission::TemplatesView,
        Permission::TemplatesManage,
        Permission::MessagesSend,
        Permission::SendersManage,
        Permission::ReportsView,
        Permission::ReportsRequest,
        Permission::ReportsProcess,
        Permission::ReportsLoad,
        Permission::UsersManage,
        Permission::AuditView,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Permission::BulkSendsView => "bulk_sends.view",
            Permission::BulkSendsOperate => "bulk_sends.operate",
            Permission::JobsView => "jobs.view",
            Permission::TemplatesView => "templates.view",
            Permission::TemplatesManage => "templates.manage",
            Permission::MessagesSend => "messages.send",
            Permission::SendersManage => "senders.manage",
            Permission::ReportsView => "reports.view",
            Permission::ReportsRequest => "reports.request",
            Permission::ReportsProcess => "reports.can_process_reports",
            Permission::ReportsLoad => "reports.can_load_to_db",
            Permission::UsersManage => "users.manage",
            Permission::AuditView => "audit.view",
        }
    }

    pub fn from_code(code: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn descriptions(self) -> (&'static str, &'static str) {
        match self {
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
}

pub const OPERATORS_GROUP: &str = "Operadores UI";
pub const REPORT_MANAGERS_GROUP: &str = "Report Managers";

/// The seeded groups and their permissions (the legacy sets, in our vocabulary).
pub fn default_groups() -> [(&'static str, Vec<Permission>); 2] {
    [
        (
            OPERATORS_GROUP,
            vec![
                Permission::BulkSendsView,
                Permission::BulkSendsOperate,
                Permission::JobsView,
                Permission::TemplatesView,
            ],
        ),
        (
            REPORT_MANAGERS_GROUP,
            vec![
                Permission::ReportsView,
                Permission::ReportsRequest,
                Permission::ReportsProcess,
                Permission::ReportsLoad,
            ],
        ),
    ]
}

/// Permission codes given by a client, checked and de-duplicated; 422 names the first unknown one.
pub fn validate_codes(codes: &[String], field: &str) -> Result<Vec<String>, AppError> {
    let set: Result<BTreeSet<Permission>, &String> = codes
        .iter()
        .map(|c| Permission::from_code(c.trim()).ok_or(c))
        .collect();
    set.map(|set| set.into_iter().map(|p| p.code().to_string()).collect())
        .map_err(|unknown| {
            AppError::invalid(
                field,
                "permission_unknown",
                format!("El permiso '{unknown}' no existe."),
                format!("Permission '{unknown}' does not exist."),
            )
        })
}

/// Writes the permission catalogue and creates the seeded groups that do not exist yet.
/// With `reset_groups`, the seeded groups get exactly their default permissions back.
pub async fn seed(db: &impl ConnectionTrait, reset_groups: bool) -> Result<(), sea_orm::DbErr> {
    let rows = Permission::ALL.into_iter().map(|p| {
        let (es, en) = p.descriptions();
        permission::ActiveModel {
            code: Set(p.code().to_string()),
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

    for (name, permissions) in default_groups() {
        let existing = group::Entity::find()
            .filter(group::Column::Name.eq(name))
            .one(db)
            .await?;
        let group_id = match existing {
            Some(_) if !reset_groups => continue,
            Some(g) => g.id,
            None => {
                let now = Utc::now();
                group::Entity::insert(group::ActiveModel {
                    name: Set(name.to_string()),
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
        group_permission::Entity::insert_many(permissions.into_iter().map(|p| {
            group_permission::ActiveModel {
                group_id: Set(group_id),
                permission_code: Set(p.code().to_string()),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}
