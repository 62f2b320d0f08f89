//! The test harness: the real server on a real port, a fresh database per test (a SQLite
//! file or a new PostgreSQL database), and helpers that act like API clients.

#![allow(dead_code)]

use std::collections::HashMap;

use relay_console::accounts::users;
use relay_console::config::Config;
use relay_console::server::{self, RunningServer, ServeOptions};
use relay_sim::{SimConfig, SimHandle};
use relay_types::{CreateUser, TokenResponse};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub const ADMIN_PASSWORD: &str = "admin-password-123";
pub const SIM_API_KEY: &str = "sim-key-4f1d2c9a-never-log-me";
pub const SIM_ACCOUNT: i64 = 9518;

/// A simulator on a free port, with the sample templates.
pub async fn start_sim() -> SimHandle {
    relay_sim::start(
        SimConfig {
            api_key: SIM_API_KEY.into(),
            account_id: SIM_ACCOUNT,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .expect("simulator starts")
}

/// Points a configuration at a simulator.
pub fn use_sim(vars: &mut HashMap<String, String>, sim: &SimHandle) {
    vars.insert("DOPPLER_RELAY_BASE_URL".into(), sim.base_url());
    vars.insert("DOPPLER_RELAY_API_KEY".into(), SIM_API_KEY.into());
    vars.insert("DOPPLER_RELAY_ACCOUNT_ID".into(), SIM_ACCOUNT.to_string());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Expands `async fn name(backend: Backend)` into one test per database.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            }
        )*
    };
}

/// PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is dropped after it.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend, dir: &std::path::Path) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("test.sqlite3").display()),
                pg_name: None,
            },
            Backend::Postgres => {
                let name = format!("rc_test_{}", uuid::Uuid::new_v4().simple());
                create_postgres_database(&name).await;
                let admin = postgres_admin_url();
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                }
            }
        }
    }
}

pub async fn create_postgres_database(name: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect(
            "PostgreSQL must run on 127.0.0.1:5432 (see README); set TEST_POSTGRES_URL otherwise",
        );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
}

pub fn drop_postgres_database(name: &str) {
    let name = name.to_string();
    // Drop runs outside any runtime we may block; use a private one on its own thread.
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            }
        });
    })
    .join();
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            drop_postgres_database(name);
        }
    }
}

/// The variables every test server starts with; tests override what they exercise.
pub fn base_vars(db_url: &str, data_dir: &std::path::Path) -> HashMap<String, String> {
    [
        ("SECRET_KEY", "tK8vQ2mZ7xRp4LwN9cJf3HbY6sDg1EaU5oTi0VnWqXy"),
        ("DATABASE_URL", db_url),
        ("DATA_DIR", data_dir.to_str().unwrap()),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("ALLOWED_HOSTS", "127.0.0.1,localhost"),
        ("DOPPLER_RELAY_FROM_EMAIL", "cobranzas@example.com"),
        ("DOPPLER_RELAY_FROM_NAME", "Equipo Cobranza"),
        ("BULK_SCHEDULER_ENABLED", "false"),
        ("REPORTS_TIMER_ENABLED", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub struct TestApp {
    pub backend: Backend,
    pub sim: SimHandle,
    /// The server's variables, to start commands against the same database.
    pub vars: HashMap<String, String>,
    pub base: String,
    pub client: reqwest::Client,
    pub server: Option<RunningServer>,
    pub admin_token: String,
    pub data_dir: tempfile::TempDir,
    pub db: TestDb,
    /// A second PostgreSQL database configured as the analytics one, when asked for.
    pub analytics_db: Option<TestDb>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// Starts a server whose variables `adjust` may change.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut HashMap<String, String>),
    ) -> TestApp {
        Self::spawn_full(backend, false, adjust).await
    }

    /// Starts a server with an analytics database too (always PostgreSQL).
    pub async fn spawn_with_analytics(
        backend: Backend,
        adjust: impl FnOnce(&mut HashMap<String, String>),
    ) -> TestApp {
        Self::spawn_full(backend, true, adjust).await
    }

    async fn spawn_full(
        backend: Backend,
        with_analytics: bool,
        adjust: impl FnOnce(&mut HashMap<String, String>),
    ) -> TestApp {
        let data_dir = tempfile::tempdir().unwrap();
        let db = TestDb::new(backend, data_dir.path()).await;
        let analytics_db = match with_analytics {
            true => Some(TestDb::new(Backend::Postgres, data_dir.path()).await),
            false => None,
        };
        let sim = start_sim().await;
        let mut vars = base_vars(&db.url, data_dir.path());
        use_sim(&mut vars, &sim);
        if let Some(analytics) = &analytics_db {
            vars.insert("ANALYTICS_DATABASE_URL".into(), analytics.url.clone());
        }
        adjust(&mut vars);
        let config = Config::from_vars(&vars).expect("test configuration");
        let kept_vars = vars.clone();
        if std::env::var_os("TEST_LOG").is_some() {
            relay_console::observability::init_logging(config.log_format);
        }
        let running = server::start(config, ServeOptions { migrate: true })
            .await
            .expect("server starts");
        let base = format!("http://{}", running.local_addr.unwrap());
        users::create(
            &running.state.services.db,
            &running.state.services.hasher,
            None,
            CreateUser {
                username: "admin".into(),
                email: Some("admin@example.com".into()),
                password: ADMIN_PASSWORD.into(),
                first_name: "Ada".into(),
                last_name: "Admin".into(),
                is_superuser: true,
                is_active: true,
                group_ids: vec![],
                permissions: vec![],
            },
        )
        .await
        .expect("admin created");
        let mut app = TestApp {
            backend,
            sim,
            vars: kept_vars,
            base,
            client: reqwest::Client::new(),
            server: Some(running),
            admin_token: String::new(),
            data_dir,
            db,
            analytics_db,
        };
        app.admin_token = app.login("admin", ADMIN_PASSWORD).await.access_token;
        app
    }

    pub fn state(&self) -> &relay_console::services::Services {
        &self.server.as_ref().unwrap().state.services
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.request(Method::GET, path, Some(token))
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> RequestBuilder {
        self.request(Method::POST, path, Some(token)).json(body)
    }

    pub async fn login(&self, username: &str, password: &str) -> TokenResponse {
        let response = self
            .request(Method::POST, "/api/v1/auth/login", None)
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        expect_json(response, StatusCode::OK).await
    }

    /// A new active user with the given groups and direct permissions; returns id and token.
    pub async fn user_with(
        &self,
        username: &str,
        groups: &[&str],
        permissions: &[&str],
    ) -> (i64, String) {
        let all_groups: Value = expect_json(
            self.get("/api/v1/groups", &self.admin_token)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        let group_ids: Vec<i64> = groups
            .iter()
            .map(|name| {
                all_groups
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|g| g["name"] == *name)
                    .unwrap_or_else(|| panic!("group {name} exists"))["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        let password = format!("{username}-password");
        let created: Value = expect_json(
            self.post(
                "/api/v1/users",
                &self.admin_token,
                &serde_json::json!({
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "password": password,
                    "group_ids": group_ids,
                    "permissions": permissions,
                }),
            )
            .send()
            .await
            .unwrap(),
            StatusCode::CREATED,
        )
        .await;
        let token = self.login(username, &password).await.access_token;
        (created["id"].as_i64().unwrap(), token)
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.unwrap();
        }
    }

    pub fn config(&self) -> &relay_console::config::Config {
        &self.state().config
    }
}

/// Asserts the status (showing the body when it differs) and decodes the JSON body.
pub async fn expect_json<T: DeserializeOwned>(response: Response, status: StatusCode) -> T {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("body is not the expected JSON ({e}): {text}"))
}

/// Asserts a problem+json answer with this status and code; returns the problem.
pub async fn expect_problem(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let problem: Value = expect_json(response, status).await;
    assert_eq!(content_type, "application/problem+json", "{problem}");
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status.as_u16(), "{problem}");
    assert!(
        problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{problem}"
    );
    problem
}

/// A sample file from `tests/fixtures` (copies of the production-format samples).
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Waits until `check` holds, polling; panics with `what` after `seconds`.
pub async fn eventually<F, Fut>(seconds: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out after {seconds} s waiting for: {what}");
}

impl TestApp {
    /// `POST /api/v1/bulk-sends` with a CSV and form fields.
    pub async fn create_bulk(
        &self,
        token: &str,
        csv: Vec<u8>,
        file_name: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().part(
            "recipients_file",
            reqwest::multipart::Part::bytes(csv)
                .file_name(file_name.to_string())
                .mime_str("text/csv")
                .unwrap(),
        );
        let mut has_template = false;
        for (name, value) in fields {
            has_template |= *name == "template_id";
            form = form.text(name.to_string(), value.to_string());
        }
        if !has_template {
            form = form.text(
                "template_id",
                self.sim.template_id("Descuento en su deuda").unwrap(),
            );
        }
        self.request(Method::POST, "/api/v1/bulk-sends", Some(token))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn bulk(&self, id: i64) -> Value {
        expect_json(
            self.get(&format!("/api/v1/bulk-sends/{id}"), &self.admin_token)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await
    }

    /// Every recipient of a bulk send (up to 500).
    pub async fn recipients(&self, id: i64, query: &str) -> Vec<Value> {
        let page: Value = expect_json(
            self.get(
                &format!("/api/v1/bulk-sends/{id}/recipients?page_size=500{query}"),
                &self.admin_token,
            )
            .send()
            .await
            .unwrap(),
            StatusCode::OK,
        )
        .await;
        page["items"].as_array().unwrap().clone()
    }

    /// Waits until nothing of a bulk send is in flight (no running job, no row `sending`);
    /// answers it. From then on nothing more can go out until someone acts.
    pub async fn wait_idle(&self, id: i64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let bulk = self.bulk(id).await;
            let running: Value = expect_json(
                self.get(
                    &format!("/api/v1/jobs?bulk_send_id={id}&state=running"),
                    &self.admin_token,
                )
                .send()
                .await
                .unwrap(),
                StatusCode::OK,
            )
            .await;
            if running["total"] == 0 && bulk["counts"]["sending"] == 0 {
                return bulk;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "bulk send {id} still in flight: {bulk} {running}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits for a bulk send to reach one of `statuses`; answers it.
    pub async fn wait_status(&self, id: i64, statuses: &[&str], seconds: u64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let bulk = self.bulk(id).await;
            if statuses.iter().any(|s| bulk["status"] == *s) {
                return bulk;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "bulk send {id} never reached {statuses:?}: {bulk}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// `n` recipient rows for the "Descuento en su deuda" template, `;`-separated.
pub fn deuda_csv(n: usize) -> Vec<u8> {
    let mut csv = String::from("email;identificacion;nombres;deuda;descuento;total_a_pagar\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "cliente{i}@example.com;09{i:08};Cliente {i};{};{};{}\n",
            100 + i,
            10 + i,
            90
        ));
    }
    csv.into_bytes()
}

/// A `relay-console` process with these variables (and nothing else from this process).
pub fn relay_console(vars: &HashMap<String, String>) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relay-console"));
    command
        .env_clear()
        .envs(vars)
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

/// `relay-console serve` as a child process on a port of its choosing (`BIND_ADDR` port 0);
/// its address is read from its "listening" log line, and all it prints is kept.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub base: String,
    logs: Vec<std::thread::JoinHandle<String>>,
}

/// The address in a "listening" log line, text or JSON.
fn listening_address(line: &str) -> Option<String> {
    if !line.contains("listening") {
        return None;
    }
    ["address=", "\"address\":\""].iter().find_map(|marker| {
        let rest = &line[line.find(marker)? + marker.len()..];
        let end = rest
            .find(|c: char| c == '"' || c.is_whitespace())
            .unwrap_or(rest.len());
        Some(rest[..end].to_string())
    })
}

impl Drop for ServeProcess {
    /// A test that fails midway leaves no server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeProcess {
    pub async fn start(vars: &HashMap<String, String>) -> ServeProcess {
        Self::start_in(vars, None).await
    }

    /// Starts the server in `dir` (for its `.env` and relative paths). Fails the test at once
    /// if the process exits, or does not listen within 30 s.
    pub async fn start_in(
        vars: &HashMap<String, String>,
        dir: Option<&std::path::Path>,
    ) -> ServeProcess {
        use std::io::BufRead;
        let mut vars = vars.clone();
        vars.insert("BIND_ADDR".into(), "127.0.0.1:0".into());
        let mut command = relay_console(&vars);
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command
            .arg("serve")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (lines, listening) = std::sync::mpsc::channel::<String>();
        let logs = vec![
            std::thread::spawn(move || {
                let mut text = String::new();
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    let _ = lines.send(line.clone());
                    text.push_str(&line);
                    text.push('\n');
                }
                text
            }),
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut { stdout }, &mut text);
                text
            }),
        ];
        let address = tokio::task::spawn_blocking(move || loop {
            match listening.recv_timeout(std::time::Duration::from_secs(30)) {
                Ok(line) => {
                    if let Some(address) = listening_address(&line) {
                        return Ok(address);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("it exited before listening")
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    return Err("it did not listen within 30 s")
                }
            }
        })
        .await
        .unwrap();
        let mut process = ServeProcess {
            child,
            base: String::new(),
            logs,
        };
        match address {
            Ok(address) => process.base = format!("http://{address}"),
            Err(why) => {
                let _ = process.child.kill();
                panic!("relay-console serve failed: {why}:\n{}", process.finish());
            }
        }
        let ready = reqwest::get(format!("{}/readyz", process.base)).await;
        assert!(
            ready.is_ok_and(|r| r.status().is_success()),
            "the server listens but is not ready"
        );
        process
    }

    pub fn signal(&self, signal: &str) {
        let ok = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the process to end; answers what it printed (logs, then standard output).
    pub fn finish(self) -> String {
        self.finish_with_status().1
    }

    /// Waits for the process to end; answers how it ended and what it printed.
    pub fn finish_with_status(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap();
        let printed = self
            .logs
            .drain(..)
            .map(|h| h.join().unwrap_or_default())
            .collect();
        (status, printed)
    }
}
