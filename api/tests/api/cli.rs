//! The `relay-console` binary as an operator runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    create_superuser_and_serve_as_a_real_process,
    a_database_a_newer_version_migrated_still_serves
);

fn relay_console(vars: &std::collections::HashMap<String, String>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_relay-console"));
    command
        .env_clear()
        .envs(vars)
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

/// `relay-console migrate` with `vars`, from `dir` (where a `.env` would be read).
fn migrate(vars: &std::collections::HashMap<String, String>, dir: &std::path::Path) -> Output {
    relay_console(vars)
        .current_dir(dir)
        .arg("migrate")
        .output()
        .unwrap()
}

/// Needs no configuration: an operator checks what is installed before writing `.env`.
#[test]
fn the_version_says_which_build_it_is() {
    let output = Command::new(env!("CARGO_BIN_EXE_relay-console"))
        .env_clear()
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let expected = match option_env!("RELAY_CONSOLE_COMMIT") {
        Some(commit) => format!(
            "relay-console {} (commit {commit})",
            env!("CARGO_PKG_VERSION")
        ),
        None => format!(
            "relay-console {} (development build)",
            env!("CARGO_PKG_VERSION")
        ),
    };
    assert_eq!(stdout.trim(), expected);
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = base_vars("sqlite::memory:", dir.path());
    vars.insert("SEND_RATE_PER_SECOND".into(), "fast".into());
    let output = migrate(&vars, dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SEND_RATE_PER_SECOND"), "{stderr}");

    let mut vars = base_vars("sqlite::memory:", dir.path());
    vars.remove("SECRET_KEY");
    let output = migrate(&vars, dir.path());
    assert!(String::from_utf8_lossy(&output.stderr).contains("SECRET_KEY"));
}

/// systemd reads `NAME=two words` from the .env; the commands run by hand need quotes, and
/// say so instead of a bare parse error.
#[test]
fn an_env_file_value_with_spaces_needs_quotes_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut vars = base_vars("sqlite::memory:", dir.path());
    vars.remove("DOPPLER_RELAY_FROM_NAME");
    let env_file = dir.path().join(".env");
    std::fs::write(&env_file, "DOPPLER_RELAY_FROM_NAME=Equipo Cobranza\n").unwrap();
    let unquoted = migrate(&vars, dir.path());
    assert_eq!(unquoted.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unquoted.stderr);
    assert!(
        stderr.contains(".env") && stderr.contains("double quotes"),
        "{stderr}"
    );

    std::fs::write(&env_file, "DOPPLER_RELAY_FROM_NAME=\"Equipo Cobranza\"\n").unwrap();
    let quoted = migrate(&vars, dir.path());
    assert!(
        quoted.status.success(),
        "{}",
        String::from_utf8_lossy(&quoted.stderr)
    );
}

#[test]
fn the_example_placeholder_or_a_weak_key_cannot_sign_tokens_in_production() {
    let dir = tempfile::tempdir().unwrap();
    for weak in [
        "change-me-to-a-long-random-string",
        "0123456789abcdef0123456789abcdef",
    ] {
        let mut vars = base_vars("sqlite::memory:", dir.path());
        vars.insert("SECRET_KEY".into(), weak.into());
        let output = relay_console(&vars)
            .current_dir(dir.path())
            .arg("serve")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{weak}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("SECRET_KEY") && stderr.contains("openssl rand"),
            "{stderr}"
        );
    }
}

async fn create_superuser_and_serve_as_a_real_process(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).await;
    let mut vars = base_vars(&db.url, dir.path());
    vars.insert("LOG_FORMAT".into(), "json".into());

    let mut child = relay_console(&vars)
        .current_dir(dir.path())
        .args([
            "create-superuser",
            "--username",
            "root",
            "--email",
            "root@example.com",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped-clave-Cuenca-1\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let generated = relay_console(&vars)
        .current_dir(dir.path())
        .args([
            "create-superuser",
            "--username",
            "admin",
            "--generate-password",
            "--if-no-users",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&generated.stdout).contains("Ya existen usuarios"));

    let groups = relay_console(&vars)
        .current_dir(dir.path())
        .arg("setup-groups")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&groups.stdout).contains("Listo: Operadores UI"));

    let server = ServeProcess::start_in(&vars, Some(dir.path())).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "root", "password": "piped-clave-Cuenca-1" }))
        .send()
        .await
        .unwrap();
    let tokens: Value = expect_json(login, StatusCode::OK).await;
    assert!(tokens["access_token"].is_string());

    // SIGTERM: a graceful stop with exit code 0.
    server.signal("TERM");
    let (status, logs) = server.finish_with_status();
    assert!(status.success(), "{status:?}");
    let request_line = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["span"]["path"] == "/api/v1/auth/login")
        .unwrap_or_else(|| panic!("a JSON log line for the login request in:\n{logs}"));
    assert_eq!(request_line["status"], 200);
    assert!(
        request_line["span"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{request_line}"
    );
    assert!(
        !logs.contains("piped-clave-Cuenca-1"),
        "passwords never reach the logs"
    );
    assert!(
        !logs.contains(tokens["access_token"].as_str().unwrap()),
        "tokens never reach the logs"
    );
}

/// An upgrade migrates while the old version still serves, and a rollback starts the old
/// version on the newer schema: neither may stop it or make it report itself not ready.
async fn a_database_a_newer_version_migrated_still_serves(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(backend, dir.path()).await;
    let vars = base_vars(&db.url, dir.path());
    assert!(migrate(&vars, dir.path()).status.success());
    let config = relay_console::config::Config::from_vars(&vars).unwrap();
    let conn = relay_console::server::connect(&config).await.unwrap();
    conn.conn
        .execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_a_newer_version', 0)",
        )
        .await
        .unwrap();

    let again = migrate(&vars, dir.path());
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let server = ServeProcess::start_in(&vars, Some(dir.path())).await;
    let ready = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap();
    let ready: relay_types::Readiness = expect_json(ready, StatusCode::OK).await;
    assert_eq!(ready.status, relay_types::ReadinessStatus::Ready);
    assert!(ready.pending_migrations.is_empty(), "{ready:?}");
    server.signal("TERM");
    assert!(server.finish_with_status().0.success());
}
