//! Running the HTTP server: migrate, bind (TCP or unix socket), serve until a shutdown
//! signal, then finish in-flight requests.

use std::net::SocketAddr;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::permission;
use crate::config::{BindAddr, Config};
use crate::db::Db;
use crate::http::{self, AppState};
use crate::services::Services;

pub struct ServeOptions {
    /// Apply pending migrations before serving (the default).
    pub migrate: bool,
}

pub struct RunningServer {
    /// The bound TCP address (port 0 resolved), `None` on a unix socket.
    pub local_addr: Option<SocketAddr>,
    pub state: AppState,
    shutdown: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
    jobs_shutdown: CancellationToken,
    jobs: tokio::task::JoinSet<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests and sends finish (a send job is handed
    /// back for another process to continue), and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.jobs_shutdown.cancel();
        while self.jobs.join_next().await.is_some() {}
        self.handle.await?
    }

    /// Stops at once, like a crash: background work is dropped mid-flight (tests use this
    /// to check recovery).
    pub fn abort(mut self) {
        self.jobs.abort_all();
        self.handle.abort();
    }

    /// Serves until the process receives SIGINT or SIGTERM.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutdown requested; finishing in-flight work");
        self.stop().await
    }
}

/// SQLite serialises writes and keeps a page cache per connection: a few connections do.
/// PostgreSQL groups the commits of concurrent sends better with more.
pub async fn connect(config: &Config) -> anyhow::Result<Db> {
    let pool = match config.database_url.kind() {
        crate::config::DatabaseKind::Sqlite => 8,
        crate::config::DatabaseKind::Postgres => 24,
    };
    Db::connect(&config.database_url, pool).await
}

/// Migrations plus the permission catalogue and the seeded groups.
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    db.migrate().await?;
    permission::seed(&db.conn, false).await?;
    Ok(())
}

pub async fn start(config: Config, options: ServeOptions) -> anyhow::Result<RunningServer> {
    let db = connect(&config).await?;
    if options.migrate {
        migrate(&db).await?;
    }
    let pending = db.pending_migrations().await?;
    if !pending.is_empty() {
        tracing::warn!(
            ?pending,
            "database has pending migrations; run `relay-console migrate`"
        );
    }
    let state = AppState::new(Services::new(config, db)?);
    if let (true, Some(analytics)) = (options.migrate, &state.services.analytics) {
        if let Err(err) = analytics.migrate_analytics().await {
            tracing::warn!(error = %format!("{err:#}"), "the analytics database could not be migrated; loads into it will fail until it is reachable");
        }
    }
    let router = http::router(state.clone());
    let shutdown = CancellationToken::new();
    let jobs_shutdown = CancellationToken::new();
    let jobs = if state.services.config.jobs.enabled {
        crate::workers::spawn(&state.services, jobs_shutdown.clone())
    } else {
        tokio::task::JoinSet::new()
    };

    let read_timeout = state.services.config.http_read_timeout;
    let (local_addr, handle) = match state.services.config.bind_addr.clone() {
        BindAddr::Tcp(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (BIND_ADDR): {e}"))?;
            let local = listener.local_addr()?;
            tracing::info!(address = %local, "listening");
            let token = shutdown.clone();
            let handle = tokio::spawn(async move {
                let accept = || async {
                    let (stream, peer) = listener.accept().await?;
                    Ok::<_, std::io::Error>((stream, Some(peer)))
                };
                serve(accept, router, read_timeout, token).await
            });
            (Some(local), handle)
        }
        BindAddr::Unix(path) => {
            let _ = std::fs::remove_file(&path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let listener = tokio::net::UnixListener::bind(&path).map_err(|e| {
                anyhow::anyhow!("cannot listen on {} (BIND_ADDR): {e}", path.display())
            })?;
            set_socket_permissions(&path)?;
            tracing::info!(socket = %path.display(), "listening");
            let token = shutdown.clone();
            let handle = tokio::spawn(async move {
                let accept = || async {
                    let (stream, _) = listener.accept().await?;
                    Ok::<_, std::io::Error>((stream, None))
                };
                serve(accept, router, read_timeout, token).await
            });
            (None, handle)
        }
    };
    Ok(RunningServer {
        local_addr,
        state,
        shutdown,
        handle,
        jobs_shutdown,
        jobs,
    })
}

/// Accepts connections until `shutdown`, then lets the requests in flight finish. A client
/// gets `read_timeout` to send its request's headers, and as long between two parts of its
/// body (`http::router` bounds the body's idle time), so slow clients cannot hold
/// connections open without nginx in front.
async fn serve<S, F, Fut>(
    mut accept: F,
    router: axum::Router,
    read_timeout: std::time::Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<(S, Option<SocketAddr>)>>,
{
    use axum::extract::ConnectInfo;
    use axum::Extension;
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;
    use tower::util::Either;
    use tower::Layer;

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: wait a moment rather than spin.
            Err(err) => {
                tracing::warn!(error = %err, "accepting a connection failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        // The peer's address for `http::auth::client_ip`; a unix socket has none.
        let service = match peer {
            Some(peer) => Either::Left(Extension(ConnectInfo(peer)).layer(router.clone())),
            None => Either::Right(router.clone()),
        };
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that went away or spoke no HTTP: nothing to answer.
            let _ = connection.await;
        });
    }
    graceful.shutdown().await;
    Ok(())
}

/// The web server (nginx, in the socket's group) must be able to connect.
fn set_socket_permissions(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(())
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
