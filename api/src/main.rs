//! `relay-console`: the API server and the operator commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use relay_console::config::Config;
use relay_console::{cli, observability, server};

#[derive(Parser)]
#[command(
    name = "relay-console",
    version = version(),
    about = "Bulk e-mail campaigns through Doppler Relay, and their reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `0.1.0 (commit 1a2b3c4d5e6f)`: `just release` stamps the commit it builds from
/// (`RELAY_CONSOLE_COMMIT`); any other build says it is a development build.
fn version() -> &'static str {
    let text = match option_env!("RELAY_CONSOLE_COMMIT") {
        Some(commit) => format!("{} (commit {commit})", env!("CARGO_PKG_VERSION")),
        None => format!("{} (development build)", env!("CARGO_PKG_VERSION")),
    };
    // Once per process, for clap's `--version`.
    Box::leak(text.into_boxed_str())
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (and, unless disabled, the background jobs).
    Serve {
        /// Do not apply pending migrations at start-up.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations and seed permissions and groups.
    Migrate,
    /// Create a superuser (prompts for what the flags do not give).
    CreateSuperuser {
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Generate a random password and print it once.
        #[arg(long, conflicts_with = "password_stdin")]
        generate_password: bool,
        /// Do nothing when any user exists already.
        #[arg(long)]
        if_no_users: bool,
    },
    /// Create or reset the groups "Operadores UI" and "Report Managers".
    SetupGroups,
    /// Check, read-only, that this deployment can send: Doppler's credentials, account,
    /// templates and limits, the default sender, the databases, DATA_DIR, ALLOWED_HOSTS,
    /// TIME_ZONE. Exits non-zero when a check fails, naming the setting to fix.
    Doctor,
    /// Start the scheduled bulk sends that are due (for a systemd timer).
    ProcessBulkScheduled,
    /// Advance every pending Doppler report now and wait for them (for a systemd timer).
    ProcessReportsPending,
    /// Request, process and load the reports of finished bulk sends.
    ProcessPostSendReports {
        #[arg(long)]
        bulk_id: Option<i64>,
        /// Ignore the delays and request again even when a report is loaded.
        #[arg(long)]
        force: bool,
    },
    /// Load a READY report's rows into the default or the analytics database.
    LoadReport {
        id: i64,
        #[arg(long, default_value = "default", value_parser = parse_target)]
        target: relay_console::reports::LoadTarget,
    },
    /// Run background jobs without the HTTP server.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Print (or write) the OpenAPI document.
    Openapi {
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Work through the due jobs, then exit (or keep going with --loop).
    Run {
        #[arg(long = "loop")]
        forever: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi { output } = cli.command {
        return report(cli::openapi(output));
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    observability::init_logging(config.log_format);
    let result = match cli.command {
        Command::Serve { no_migrate } => {
            match server::start(
                config,
                server::ServeOptions {
                    migrate: !no_migrate,
                },
            )
            .await
            {
                Ok(running) => running.run_until_signal().await,
                Err(err) => Err(err),
            }
        }
        Command::Migrate => cli::migrate(config).await,
        Command::CreateSuperuser {
            username,
            email,
            password_stdin,
            generate_password,
            if_no_users,
        } => {
            cli::create_superuser(
                config,
                cli::SuperuserArgs {
                    username,
                    email,
                    password_stdin,
                    generate_password,
                    if_no_users,
                },
            )
            .await
        }
        Command::SetupGroups => cli::setup_groups(config).await,
        Command::Doctor => cli::doctor(config).await,
        Command::ProcessBulkScheduled => cli::process_bulk_scheduled(config).await,
        Command::ProcessReportsPending => cli::process_reports_pending(config).await,
        Command::ProcessPostSendReports { bulk_id, force } => {
            cli::process_post_send_reports(config, bulk_id, force).await
        }
        Command::LoadReport { id, target } => cli::load_report(config, id, target).await,
        Command::Jobs {
            command: JobsCommand::Run { forever },
        } => cli::jobs_run(config, forever).await,
        Command::Openapi { .. } => unreachable!("handled before configuration"),
    };
    report(result)
}

/// `default` or `analytics`.
fn parse_target(value: &str) -> Result<relay_console::reports::LoadTarget, String> {
    value
        .parse()
        .map_err(|e| format!("{e} (use default or analytics)"))
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
