//! Column and index shorthands shared by the migrations, so that every table uses
//! the same types for ids, timestamps and JSON on both backends.

use sea_orm_migration::prelude::*;

pub fn id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

pub fn fk_id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

pub fn fk_id_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

pub fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().take()
}

pub fn text_default(name: &'static str, default: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .text()
        .not_null()
        .default(default)
        .take()
}

pub fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

pub fn int(name: &'static str, default: i64) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(default)
        .take()
}

pub fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

pub fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().not_null().take()
}

pub fn flag(name: &'static str, default: bool) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(default)
        .take()
}

pub fn at(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

pub fn at_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .take()
}

pub fn json(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).json_binary().not_null().take()
}

pub fn foreign_key(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .take()
}

pub async fn index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        stmt.col(*column);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}
