//! What the operator CLI subcommands do (the argument parsing is in `main.rs`).

use std::io::{BufRead, IsTerminal, Write};

use rand::distributions::Alphanumeric;
use rand::Rng;
use relay_types::CreateUser;

use crate::accounts::users;
use crate::auth::password::Hasher;
use crate::auth::permission;
use crate::config::Config;
use crate::server;
use crate::workers::Scope;

pub struct SuperuserArgs {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password_stdin: bool,
    pub generate_password: bool,
    pub if_no_users: bool,
}

fn prompt(label: &str) -> anyhow::Result<String> {
    print!("{label}");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

pub async fn create_superuser(config: Config, args: SuperuserArgs) -> anyhow::Result<()> {
    let db = server::connect(&config).await?;
    server::migrate(&db).await?;
    if args.if_no_users && users::count(&db).await? > 0 {
        println!("Ya existen usuarios; no se creó ningún superusuario.");
        return Ok(());
    }
    let interactive = std::io::stdin().is_terminal();
    let username = match args.username {
        Some(u) => u,
        None => prompt("Usuario: ")?,
    };
    let email = match args.email {
        Some(e) => e,
        None if interactive && !args.generate_password => prompt("Email (opcional): ")?,
        None => String::new(),
    };
    let (password, show) = if args.generate_password {
        let generated: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(20)
            .map(char::from)
            .collect();
        (generated, true)
    } else if args.password_stdin || !interactive {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        let first = rpassword::prompt_password("Contraseña: ")?;
        let second = rpassword::prompt_password("Contraseña (otra vez): ")?;
        if first != second {
            anyhow::bail!("las contraseñas no coinciden / the passwords do not match");
        }
        (first, false)
    };
    let created = users::create(
        &db,
        &Hasher::new(1),
        None,
        CreateUser {
            username,
            email: Some(email).filter(|e| !e.trim().is_empty()),
            password: password.clone(),
            first_name: String::new(),
            last_name: String::new(),
            is_superuser: true,
            is_active: true,
            group_ids: vec![],
            permissions: vec![],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{} ({})", e.es, e.code))?;
    println!("Superusuario creado: {}", created.username);
    if show {
        println!("  usuario:    {}", created.username);
        println!("  contraseña: {password}");
        println!("  (se muestra una sola vez; cámbiala después de entrar)");
    }
    Ok(())
}

/// `relay-console doctor`: every check of `system_checks`, one line each (Spanish, with the
/// fix under a failed one); an error (exit status 1) when any failed. Reads only: no
/// migration runs, nothing is sent.
pub async fn doctor(config: Config) -> anyhow::Result<()> {
    let db = match server::connect(&config).await {
        Ok(db) => db,
        Err(err) => {
            println!("falla  database             {err:#}");
            println!(
                "       → Revise DATABASE_URL (o DB_*, USE_SQLITE) y que la base esté en marcha."
            );
            anyhow::bail!("1 comprobación falló / 1 check failed");
        }
    };
    let services = crate::services::Services::new(config, db)?;
    let checks = crate::system_checks::run(&services).await;
    for check in &checks {
        let word = if check.ok { "ok" } else { "falla" };
        println!("{word:<6} {:<20} {}", check.name.as_str(), check.detail.0);
        if let Some((fix, _)) = &check.fix {
            println!("       → {fix}");
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed > 0 {
        anyhow::bail!("{failed} comprobación(es) fallaron / {failed} check(s) failed");
    }
    println!("Todo listo para enviar. / Ready to send.");
    Ok(())
}

pub async fn setup_groups(config: Config) -> anyhow::Result<()> {
    let db = server::connect(&config).await?;
    server::migrate(&db).await?;
    permission::seed(&db.conn, true).await?;
    for seeded in permission::default_groups() {
        let codes: Vec<&str> = seeded.permissions.iter().map(|p| p.as_str()).collect();
        println!("Listo: {} ({})", seeded.name, codes.join(", "));
    }
    Ok(())
}

pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = server::connect(&config).await?;
    let pending = db.pending_migrations().await?;
    server::migrate(&db).await?;
    if pending.is_empty() {
        println!(
            "La base de datos ya estaba al día ({}).",
            config.database_url.redacted()
        );
    } else {
        println!("Migraciones aplicadas: {}", pending.join(", "));
    }
    Ok(())
}

pub fn openapi(output: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let json = openapi_json()?;
    match output {
        Some(path) => std::fs::write(&path, json)?,
        None => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().lock().write_all(json.as_bytes());
        }
    }
    Ok(())
}

/// The committed form of the OpenAPI document (pretty JSON, trailing newline).
pub fn openapi_json() -> anyhow::Result<String> {
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&crate::http::openapi::openapi())?
    ))
}

/// A services for commands that do background work without the HTTP server.
async fn worker_state(config: Config) -> anyhow::Result<crate::services::Services> {
    let db = server::connect(&config).await?;
    server::migrate(&db).await?;
    crate::services::Services::new(config, db)
}

pub async fn process_bulk_scheduled(config: Config) -> anyhow::Result<()> {
    let services = worker_state(config).await?;
    let started = crate::bulk_sends::schedule::start_due(&services, chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Scheduler procesó {started} envíos");
    Ok(())
}

pub async fn jobs_run(config: Config, forever: bool) -> anyhow::Result<()> {
    let services = worker_state(config).await?;
    let scope = if forever {
        Scope::EVERYTHING
    } else {
        // Whatever is due now; jobs scheduled for later are left for later.
        Scope {
            types: None,
            until_idle: Some(std::time::Duration::ZERO),
        }
    };
    run_until_signal(services, scope).await;
    println!("Trabajos procesados.");
    Ok(())
}

/// Works the jobs of `scope` in this process until it is idle or a signal stops it.
async fn run_until_signal(services: crate::services::Services, scope: Scope) {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        server::shutdown_signal().await;
        signal.cancel();
    });
    crate::workers::run_cli(services, scope, shutdown).await;
}

/// The report steps of these commands: a poll comes back within the poll delay, so they
/// count as due; a post-send report scheduled for later (or a retry in minutes) does not.
fn report_steps(
    services: &crate::services::Services,
    types: &'static [crate::jobs::JobType],
) -> Scope {
    Scope {
        types: Some(types),
        until_idle: Some(
            services
                .config
                .reports
                .poll_max_delay
                .max(std::time::Duration::from_secs(5))
                + std::time::Duration::from_secs(1),
        ),
    }
}

pub async fn process_reports_pending(config: Config) -> anyhow::Result<()> {
    let services = worker_state(config).await?;
    let queued = crate::reports::process_pending(&services, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let scope = report_steps(&services, &[crate::jobs::JobType::ProcessReport]);
    run_until_signal(services, scope).await;
    println!("Reportes pendientes procesados: {queued}");
    Ok(())
}

pub async fn process_post_send_reports(
    config: Config,
    bulk_id: Option<i64>,
    force: bool,
) -> anyhow::Result<()> {
    let services = worker_state(config).await?;
    let scheduled = crate::reports::post_send::schedule_missing(&services)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let queued = crate::reports::post_send::queue_for_cli(&services, bulk_id, force)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let scope = report_steps(
        &services,
        &[
            crate::jobs::JobType::PostSendReport,
            crate::jobs::JobType::ProcessReport,
        ],
    );
    run_until_signal(services, scope).await;
    println!(
        "Post-send reports: programados={scheduled}, envíos procesados={}",
        queued.len()
    );
    Ok(())
}

pub async fn load_report(
    config: Config,
    report_id: i64,
    target: crate::reports::LoadTarget,
) -> anyhow::Result<()> {
    let services = worker_state(config).await?;
    if let Some(analytics) = &services.analytics {
        analytics.migrate_analytics().await?;
    }
    let rows = crate::reports::load::load(&services, report_id, target, None)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({})", e.es, e.code))?;
    println!("Carga a BD completada en '{target}' ({rows} filas)");
    Ok(())
}
