//! Is this deployment ready to send? What `relay-console doctor` prints and
//! `GET /api/v1/system/checks` answers ("Probar conexión"): Doppler's view of the credentials,
//! the account and its templates and limits, the default sender, the databases, the data
//! directory, `ALLOWED_HOSTS`, `TIME_ZONE` and the report file-host policy. Every check only
//! reads (the data directory's is a file written and removed); none shows a secret.

use chrono::Utc;
use relay_types::{SystemCheck, SystemCheckName as Name, SystemChecks};

use crate::relay::diagnostics::Credentials;
use crate::services::Services;

/// Below this much free space in `DATA_DIR` the check fails: uploads and reports go there.
const LEAST_FREE_BYTES: u64 = 1024 * 1024 * 1024;

/// A check's outcome in both languages.
pub struct Check {
    pub name: Name,
    pub ok: bool,
    pub detail: (String, String),
    pub fix: Option<(String, String)>,
}

impl Check {
    fn ok(name: Name, es: impl Into<String>, en: impl Into<String>) -> Check {
        Check {
            name,
            ok: true,
            detail: (es.into(), en.into()),
            fix: None,
        }
    }

    fn fails(
        name: Name,
        detail: (impl Into<String>, impl Into<String>),
        fix: (impl Into<String>, impl Into<String>),
    ) -> Check {
        Check {
            name,
            ok: false,
            detail: (detail.0.into(), detail.1.into()),
            fix: Some((fix.0.into(), fix.1.into())),
        }
    }

    /// The check in one language (`english` or Spanish).
    pub fn in_language(&self, english: bool) -> SystemCheck {
        let pick = |(es, en): &(String, String)| if english { en.clone() } else { es.clone() };
        SystemCheck {
            name: self.name,
            ok: self.ok,
            detail: pick(&self.detail),
            fix: self.fix.as_ref().map(pick),
        }
    }
}

/// Every check, in a fixed order.
pub async fn run(services: &Services) -> Vec<Check> {
    let mut checks = doppler(services).await;
    checks.push(default_sender(services));
    checks.extend(databases(services).await);
    checks.push(data_dir(services));
    checks.push(allowed_hosts(services));
    checks.push(time_zone(services));
    checks.push(report_file_hosts(services));
    checks
}

/// The checks as the API answers them.
pub fn answer(checks: &[Check], english: bool) -> SystemChecks {
    SystemChecks {
        ok: checks.iter().all(|c| c.ok),
        checks: checks.iter().map(|c| c.in_language(english)).collect(),
    }
}

async fn doppler(services: &Services) -> Vec<Check> {
    let relay = &services.config.relay;
    let scheme = relay.auth_scheme.as_str();
    let account = relay.account_id;
    let base = relay.base_url.as_str();
    if !services.relay.is_configured() {
        return vec![Check::fails(
            Name::DopplerCredentials,
            (
                "Falta la clave de Doppler Relay.",
                "The Doppler Relay key is missing.",
            ),
            (
                "Ponga la clave de la cuenta en DOPPLER_RELAY_API_KEY.",
                "Set the account's key in DOPPLER_RELAY_API_KEY.",
            ),
        )];
    }
    let credentials = services.relay.check_credentials().await;
    let mut checks = Vec::new();
    match credentials {
        Credentials::Accepted { templates } => {
            checks.push(Check::ok(
                Name::DopplerCredentials,
                format!("Doppler Relay ({base}) acepta la clave con el esquema {scheme}."),
                format!("Doppler Relay ({base}) takes the key with the {scheme} scheme."),
            ));
            checks.push(Check::ok(
                Name::DopplerAccount,
                format!("La cuenta {account} responde."),
                format!("Account {account} answers."),
            ));
            checks.push(if templates > 0 {
                Check::ok(
                    Name::Templates,
                    format!("{templates} plantilla(s) en la cuenta."),
                    format!("{templates} template(s) in the account."),
                )
            } else {
                Check::fails(
                    Name::Templates,
                    ("La cuenta no tiene plantillas.", "The account has no templates."),
                    (
                        "Cree una plantilla en Doppler Relay o en «Plantillas» antes del primer envío.",
                        "Create a template in Doppler Relay or under Templates before the first send.",
                    ),
                )
            });
            checks.push(limits(services).await);
        }
        Credentials::WrongScheme { works_with } => checks.push(Check::fails(
            Name::DopplerCredentials,
            (
                format!("Doppler rechaza la clave con el esquema {scheme} y la acepta con {works_with}."),
                format!("Doppler refuses the key with the {scheme} scheme and takes it with {works_with}."),
            ),
            (
                format!("Ponga DOPPLER_RELAY_AUTH_SCHEME={works_with}."),
                format!("Set DOPPLER_RELAY_AUTH_SCHEME={works_with}."),
            ),
        )),
        Credentials::Refused { status: 403 } => {
            checks.push(Check::ok(
                Name::DopplerCredentials,
                "Doppler reconoce la clave.",
                "Doppler recognises the key.",
            ));
            checks.push(Check::fails(
                Name::DopplerAccount,
                (
                    format!("Doppler no deja usar la cuenta {account} con esta clave (HTTP 403)."),
                    format!("Doppler does not allow account {account} with this key (HTTP 403)."),
                ),
                (
                    "Revise DOPPLER_RELAY_ACCOUNT_ID: el número de la cuenta de esta clave.",
                    "Check DOPPLER_RELAY_ACCOUNT_ID: the number of this key's account.",
                ),
            ));
        }
        Credentials::Refused { status } => checks.push(Check::fails(
            Name::DopplerCredentials,
            (
                format!("Doppler rechaza la clave (HTTP {status}) con ambos esquemas."),
                format!("Doppler refuses the key (HTTP {status}) with either scheme."),
            ),
            (
                "Revise DOPPLER_RELAY_API_KEY (la clave de la cuenta en Doppler Relay) y DOPPLER_RELAY_ACCOUNT_ID.",
                "Check DOPPLER_RELAY_API_KEY (the account's key in Doppler Relay) and DOPPLER_RELAY_ACCOUNT_ID.",
            ),
        )),
        Credentials::Failed(err) => {
            let tz = services.config.time_zone;
            checks.push(Check::fails(
                Name::DopplerCredentials,
                (err.message_es(tz), err.message_en(tz)),
                (
                    format!("Revise DOPPLER_RELAY_BASE_URL ({base}) y que este servidor llegue a Doppler."),
                    format!("Check DOPPLER_RELAY_BASE_URL ({base}) and that this server reaches Doppler."),
                ),
            ))
        }
    }
    checks
}

async fn limits(services: &Services) -> Check {
    match services.relay.limits().await {
        Ok(Some(limits)) if !limits.is_empty() => {
            let spent = limits.iter().find(|l| l.remaining <= 0);
            let list = |es: bool| {
                limits
                    .iter()
                    .map(|l| {
                        let period = match (es, l.period) {
                            (true, "monthly") => "mensual",
                            (true, "daily") => "diario",
                            (true, _) => "por hora",
                            (false, p) => p,
                        };
                        let reset = l.reset.as_deref().unwrap_or("?");
                        if es {
                            format!(
                                "{period}: quedan {} de {} (se reinicia {reset})",
                                l.remaining, l.limit
                            )
                        } else {
                            format!(
                                "{period}: {} of {} left (resets {reset})",
                                l.remaining, l.limit
                            )
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            match spent {
                None => Check::ok(Name::SendingLimits, list(true), list(false)),
                Some(_) => Check::fails(
                    Name::SendingLimits,
                    (list(true), list(false)),
                    (
                        "La cuenta no tiene envíos disponibles: espere el reinicio o amplíe el plan en Doppler.",
                        "The account has no sends left: wait for the reset or extend the plan in Doppler.",
                    ),
                ),
            }
        }
        Ok(_) => Check::ok(
            Name::SendingLimits,
            "Doppler no informa los límites de la cuenta aquí.",
            "Doppler does not report the account's limits here.",
        ),
        Err(err) => {
            let tz = services.config.time_zone;
            Check::ok(
                Name::SendingLimits,
                format!("No se pudieron leer los límites: {}", err.message_es(tz)),
                format!("The limits could not be read: {}", err.message_en(tz)),
            )
        }
    }
}

fn default_sender(services: &Services) -> Check {
    let relay = &services.config.relay;
    if relay.from_email.is_empty() {
        return Check::fails(
            Name::DefaultSender,
            ("No hay remitente por defecto.", "There is no default sender."),
            (
                "Ponga DOPPLER_RELAY_FROM_EMAIL y DOPPLER_RELAY_FROM_NAME: el From de quien no tiene remitente propio.",
                "Set DOPPLER_RELAY_FROM_EMAIL and DOPPLER_RELAY_FROM_NAME: the From of whoever has no sender of their own.",
            ),
        );
    }
    let from = format!("{} <{}>", relay.from_name, relay.from_email);
    Check::ok(
        Name::DefaultSender,
        format!("Remitente por defecto: {from}"),
        format!("Default sender: {from}"),
    )
}

async fn databases(services: &Services) -> Vec<Check> {
    let mut checks = Vec::new();
    let url = services.config.database_url.redacted();
    checks.push(match services.db.pending_migrations().await {
        Ok(pending) if pending.is_empty() => Check::ok(
            Name::Database,
            format!("{url}: responde y está al día."),
            format!("{url}: answers and is up to date."),
        ),
        Ok(pending) => Check::fails(
            Name::Database,
            (
                format!("{url}: le faltan {} migración(es).", pending.len()),
                format!("{url}: {} migration(s) missing.", pending.len()),
            ),
            ("Ejecute `relay-console migrate`.", "Run `relay-console migrate`."),
        ),
        Err(err) => Check::fails(
            Name::Database,
            (
                format!("{url}: no responde ({err})."),
                format!("{url}: does not answer ({err})."),
            ),
            (
                "Revise DATABASE_URL (o DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD) y que la base esté en marcha.",
                "Check DATABASE_URL (or DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD) and that the database runs.",
            ),
        ),
    });
    if let (Some(analytics), Some(url)) =
        (&services.analytics, &services.config.analytics_database_url)
    {
        let url = url.redacted();
        checks.push(match analytics.pending_analytics_migrations().await {
            Ok(pending) if pending.is_empty() => Check::ok(
                Name::AnalyticsDatabase,
                format!("{url}: responde y está al día."),
                format!("{url}: answers and is up to date."),
            ),
            Ok(pending) => Check::fails(
                Name::AnalyticsDatabase,
                (
                    format!("{url}: le faltan {} migración(es).", pending.len()),
                    format!("{url}: {} migration(s) missing.", pending.len()),
                ),
                (
                    "Reinicie el servicio (`serve` la migra al arrancar).",
                    "Restart the service (`serve` migrates it at start).",
                ),
            ),
            Err(err) => Check::fails(
                Name::AnalyticsDatabase,
                (
                    format!("{url}: no responde ({err})."),
                    format!("{url}: does not answer ({err})."),
                ),
                (
                    "Revise ANALYTICS_DATABASE_URL (o ANALYTICS_DB_*).",
                    "Check ANALYTICS_DATABASE_URL (or ANALYTICS_DB_*).",
                ),
            ),
        });
    }
    checks
}

fn data_dir(services: &Services) -> Check {
    let dir = &services.config.data_dir;
    let shown = dir.display().to_string();
    let probe = dir.join(format!(".relay-console-check-{}", std::process::id()));
    let writable = std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe));
    let free = fs4::available_space(dir);
    match (writable, free) {
        (Ok(()), Ok(free)) if free >= LEAST_FREE_BYTES => Check::ok(
            Name::DataDir,
            format!("{shown}: se puede escribir; {} libres.", approx_bytes(free)),
            format!("{shown}: writable; {} free.", approx_bytes(free)),
        ),
        (Ok(()), Ok(free)) => Check::fails(
            Name::DataDir,
            (
                format!("{shown}: solo {} libres.", approx_bytes(free)),
                format!("{shown}: only {} free.", approx_bytes(free)),
            ),
            (
                "Libere espacio o mueva DATA_DIR a un disco con al menos 1 GB libre.",
                "Free some space or move DATA_DIR to a disk with at least 1 GB free.",
            ),
        ),
        (Err(err), _) | (_, Err(err)) => Check::fails(
            Name::DataDir,
            (
                format!("{shown}: no se puede escribir ({err})."),
                format!("{shown}: not writable ({err})."),
            ),
            (
                "Cree DATA_DIR y déle al usuario del servicio permiso de escritura.",
                "Create DATA_DIR and let the service's user write to it.",
            ),
        ),
    }
}

/// Free space as people read it: `70.7 GB`, `512 MB`.
fn approx_bytes(bytes: u64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let gib = bytes as f64 / GIB;
    if gib >= 1.0 {
        format!("{gib:.1} GB")
    } else {
        format!("{} MB", bytes / (1024 * 1024))
    }
}

fn allowed_hosts(services: &Services) -> Check {
    let config = &services.config;
    let hosts = config.allowed_hosts.join(", ");
    if config.allowed_hosts.is_empty() {
        return Check::fails(
            Name::AllowedHosts,
            (
                "ALLOWED_HOSTS está vacío: se rechaza todo.",
                "ALLOWED_HOSTS is empty: everything is refused.",
            ),
            (
                "Ponga en ALLOWED_HOSTS el dominio del sitio.",
                "Put the site's domain in ALLOWED_HOSTS.",
            ),
        );
    }
    if !config.debug && config.allowed_hosts.iter().any(|h| h == "*") {
        return Check::fails(
            Name::AllowedHosts,
            (
                "ALLOWED_HOSTS acepta cualquier host (*).",
                "ALLOWED_HOSTS takes any host (*).",
            ),
            (
                "Ponga en ALLOWED_HOSTS solo el dominio del sitio.",
                "Put only the site's domain in ALLOWED_HOSTS.",
            ),
        );
    }
    Check::ok(
        Name::AllowedHosts,
        format!("Hosts aceptados: {hosts}"),
        format!("Hosts taken: {hosts}"),
    )
}

fn time_zone(services: &Services) -> Check {
    let tz = services.config.time_zone;
    let now = Utc::now().with_timezone(&tz).format("%Y-%m-%d %H:%M");
    Check::ok(
        Name::TimeZone,
        format!(
            "{} (ahora {now}): los días de los reportes y las programaciones van en esta zona.",
            tz.name()
        ),
        format!(
            "{} (now {now}): report days and schedules are in this zone.",
            tz.name()
        ),
    )
}

fn report_file_hosts(services: &Services) -> Check {
    let config = &services.config;
    let hosts = &config.reports.file_hosts;
    let (es, en) = if hosts.is_empty() {
        (
            "Archivos de reportes: de cualquier host HTTPS cuyas direcciones sean públicas."
                .to_string(),
            "Report files: from any HTTPS host whose addresses are public.".to_string(),
        )
    } else {
        (
            format!(
                "Archivos de reportes: solo por HTTPS de {}.",
                hosts.join(", ")
            ),
            format!("Report files: only over HTTPS from {}.", hosts.join(", ")),
        )
    };
    if config.debug {
        Check::ok(
            Name::ReportFileHosts,
            format!("{es} (DEBUG: también el simulador local)"),
            format!("{en} (DEBUG: the local simulator too)"),
        )
    } else {
        Check::ok(Name::ReportFileHosts, es, en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_reads_as_people_say_it() {
        assert_eq!(approx_bytes(75_881_156_608), "70.7 GB");
        assert_eq!(approx_bytes(512 * 1024 * 1024), "512 MB");
    }
}
