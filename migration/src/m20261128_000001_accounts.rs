//! Accounts and access: users, groups, permissions, tokens, sender identities, audit log.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(id("id"))
                    .col(text("username"))
                    // Lower-cased username: logins are case-insensitive, display keeps the case.
                    .col(text("username_key"))
                    .col(text_default("email", ""))
                    .col(text_default("first_name", ""))
                    .col(text_default("last_name", ""))
                    .col(text("password_hash"))
                    .col(flag("is_active", true))
                    .col(flag("is_superuser", false))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .col(at_null("last_login_at"))
                    .take(),
            )
            .await?;
        index(manager, "users", &["username_key"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("permissions")
                    .col(ColumnDef::new("code").text().not_null().primary_key())
                    .col(text("description_es"))
                    .col(text("description_en"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("groups")
                    .col(id("id"))
                    .col(text("name"))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .take(),
            )
            .await?;
        index(manager, "groups", &["name"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("group_permissions")
                    .col(fk_id("group_id"))
                    .col(text("permission_code"))
                    .primary_key(Index::create().col("group_id").col("permission_code"))
                    .foreign_key(&mut foreign_key(
                        "group_permissions",
                        "group_id",
                        "groups",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_group_permissions_code")
                            .from("group_permissions", "permission_code")
                            .to("permissions", "code")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_groups")
                    .col(fk_id("user_id"))
                    .col(fk_id("group_id"))
                    .primary_key(Index::create().col("user_id").col("group_id"))
                    .foreign_key(&mut foreign_key(
                        "user_groups",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "user_groups",
                        "group_id",
                        "groups",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_permissions")
                    .col(fk_id("user_id"))
                    .col(text("permission_code"))
                    .primary_key(Index::create().col("user_id").col("permission_code"))
                    .foreign_key(&mut foreign_key(
                        "user_permissions",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_permissions_code")
                            .from("user_permissions", "permission_code")
                            .to("permissions", "code")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(id("id"))
                    .col(fk_id("user_id"))
                    // All tokens issued from one login share a family; reuse of a spent token revokes it.
                    .col(text("family_id"))
                    .col(text("token_hash"))
                    .col(at("created_at"))
                    .col(at("expires_at"))
                    .col(at_null("used_at"))
                    .col(at_null("revoked_at"))
                    .foreign_key(&mut foreign_key(
                        "refresh_tokens",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "refresh_tokens", &["token_hash"], true).await?;
        index(manager, "refresh_tokens", &["family_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("api_tokens")
                    .col(id("id"))
                    .col(fk_id("user_id"))
                    .col(text("name"))
                    .col(text("token_prefix"))
                    .col(text("token_hash"))
                    .col(at("created_at"))
                    .col(at_null("last_used_at"))
                    .col(at_null("expires_at"))
                    .col(at_null("revoked_at"))
                    .foreign_key(&mut foreign_key(
                        "api_tokens",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "api_tokens", &["token_hash"], true).await?;
        index(manager, "api_tokens", &["user_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("senders")
                    .col(id("id"))
                    .col(fk_id("user_id"))
                    .col(text("from_email"))
                    .col(text("from_name"))
                    .col(flag("is_active", true))
                    .col(at("created_at"))
                    .col(at("updated_at"))
                    .foreign_key(&mut foreign_key(
                        "senders",
                        "user_id",
                        "users",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        // One sender identity per user, as the legacy UserEmailConfig.
        index(manager, "senders", &["user_id"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(id("id"))
                    .col(at("created_at"))
                    .col(fk_id_null("actor_user_id"))
                    .col(text_default("actor_username", ""))
                    .col(text("action"))
                    .col(text_null("target_type"))
                    .col(text_null("target_id"))
                    .col(text_null("ip"))
                    .col(json("details"))
                    .foreign_key(&mut foreign_key(
                        "audit_log",
                        "actor_user_id",
                        "users",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        index(manager, "audit_log", &["created_at"], false).await?;
        index(manager, "audit_log", &["action", "created_at"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_log",
            "senders",
            "api_tokens",
            "refresh_tokens",
            "user_permissions",
            "user_groups",
            "group_permissions",
            "groups",
            "permissions",
            "users",
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
