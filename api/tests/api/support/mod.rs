//! The test harness: the real server on a real port, a fresh database per test (a SQLite
//! file or a new PostgreSQL database), and helpers that act like API clients.

#![allow(dead_code)]

use std::collections::HashMap;

use relay_console::accounts::users;
use relay_console::config::Config;
use relay_console::server::{self, RunningServer, ServeOptions};
use relay_sim::{SimConfig, SimHandle};
use relay_types::{
    BulkEvent, BulkSend, BulkSendStatus, CreateUser, Job, Page, Recipient, TokenResponse,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

mod db;
mod process;
mod samples;

pub use db::*;
pub use process::*;
pub use samples::*;

pub const ADMIN_PASSWORD: &str = "admin-clave-Chimborazo-123";
/// The password of `root`, made with `create-superuser --password-stdin`.
pub const ROOT_PASSWORD: &str = "root-clave-Cotopaxi-1";

/// The password `TestApp::user_with` gives a user.
pub fn password_of(username: &str) -> String {
    format!("{username}-clave-Cotopaxi-42")
}
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
        let password = password_of(username);
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

    pub async fn bulk(&self, id: i64) -> BulkSend {
        expect_json(
            self.get(&format!("/api/v1/bulk-sends/{id}"), &self.admin_token)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await
    }

    /// Makes the database refuse the audit rows of `action` (a trigger): what a crash between
    /// a change and its audit entry would lose. [`TestApp::allow_audit`] lifts it.
    pub async fn refuse_audit(&self, action: relay_types::AuditAction) {
        use sea_orm::ConnectionTrait;
        let action = action.as_str();
        let statements = match self.backend {
            Backend::Sqlite => vec![format!(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
                 WHEN NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            )],
            Backend::Postgres => vec![
                format!(
                    "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN \
                     IF NEW.action = '{action}' THEN RAISE EXCEPTION 'audit refused'; END IF; \
                     RETURN NEW; END $$ LANGUAGE plpgsql"
                ),
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION refuse_audit()"
                    .to_string(),
            ],
        };
        for sql in statements {
            self.state().db.conn.execute_unprepared(&sql).await.unwrap();
        }
    }

    pub async fn allow_audit(&self) {
        use sea_orm::ConnectionTrait;
        let sql = match self.backend {
            Backend::Sqlite => "DROP TRIGGER refuse_audit",
            Backend::Postgres => "DROP TRIGGER refuse_audit ON audit_log",
        };
        self.state().db.conn.execute_unprepared(sql).await.unwrap();
    }

    /// A send's timeline, oldest first, as the admin reads it.
    pub async fn history(&self, id: i64) -> Vec<BulkEvent> {
        expect_json(
            self.get(
                &format!("/api/v1/bulk-sends/{id}/history"),
                &self.admin_token,
            )
            .send()
            .await
            .unwrap(),
            StatusCode::OK,
        )
        .await
    }

    /// Every recipient of a bulk send (up to 500).
    pub async fn recipients(&self, id: i64, query: &str) -> Vec<Recipient> {
        let page: Page<Recipient> = expect_json(
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
        page.items
    }

    /// Waits until nothing of a bulk send is in flight (no running job, no row `sending`);
    /// answers it. From then on nothing more can go out until someone acts.
    pub async fn wait_idle(&self, id: i64) -> BulkSend {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let bulk = self.bulk(id).await;
            let running: Page<Job> = expect_json(
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
            if running.total == 0 && bulk.counts.sending == 0 {
                return bulk;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "bulk send {id} still in flight: {bulk:?} {running:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits for a bulk send to reach one of `statuses`; answers it.
    pub async fn wait_status(
        &self,
        id: i64,
        statuses: &[BulkSendStatus],
        seconds: u64,
    ) -> BulkSend {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let bulk = self.bulk(id).await;
            if statuses.contains(&bulk.status) {
                return bulk;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "bulk send {id} never reached {statuses:?}: {bulk:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
