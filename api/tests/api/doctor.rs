//! "Probar conexión" before the first real send: `relay-console doctor` and
//! `GET /api/v1/system/checks` pass against a Doppler that takes our settings, and fail,
//! naming the setting, when the key, its scheme or the account is wrong. No secret shows.

use relay_sim::Faults;
use relay_types::{SystemCheckName, SystemChecks};
use reqwest::{Method, StatusCode};

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(
    doctor_passes_and_names_the_wrong_setting,
    admins_run_the_same_checks_from_the_api,
);

fn doctor(
    app: &TestApp,
    adjust: impl FnOnce(&mut std::collections::HashMap<String, String>),
) -> (bool, String) {
    let mut vars = app.vars.clone();
    adjust(&mut vars);
    let output = relay_console(&vars).arg("doctor").output().unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !printed.contains(SIM_API_KEY),
        "the key never shows: {printed}"
    );
    (output.status.success(), printed)
}

async fn doctor_passes_and_names_the_wrong_setting(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ok, printed) = doctor(&app, |_| {});
    assert!(ok, "{printed}");
    for line in [
        "ok     doppler_credentials",
        "ok     templates",
        "ok     sending_limits",
        "ok     database",
        "ok     data_dir",
    ] {
        assert!(printed.contains(line), "{line}: {printed}");
    }
    assert!(printed.contains("3 plantilla(s)"), "{printed}");
    assert!(printed.contains("quedan 10000 de 10000"), "{printed}");

    let (ok, printed) = doctor(&app, |v| {
        v.insert(
            "DOPPLER_RELAY_API_KEY".into(),
            "una-clave-equivocada".into(),
        );
    });
    assert!(!ok);
    assert!(printed.contains("falla  doppler_credentials"), "{printed}");
    assert!(printed.contains("DOPPLER_RELAY_API_KEY"), "{printed}");

    let (ok, printed) = doctor(&app, |v| {
        v.insert("DOPPLER_RELAY_ACCOUNT_ID".into(), "1234".into());
    });
    assert!(!ok);
    assert!(printed.contains("falla  doppler_account"), "{printed}");
    assert!(printed.contains("DOPPLER_RELAY_ACCOUNT_ID"), "{printed}");

    // This Doppler takes the key only as `token`.
    app.sim.set_faults(Faults {
        auth_scheme_only: Some("token".into()),
        ..Faults::default()
    });
    let (ok, printed) = doctor(&app, |v| {
        v.insert("DOPPLER_RELAY_AUTH_SCHEME".into(), "Bearer".into());
    });
    assert!(!ok);
    assert!(
        printed.contains("DOPPLER_RELAY_AUTH_SCHEME=token"),
        "{printed}"
    );
    let (ok, printed) = doctor(&app, |v| {
        v.insert("DOPPLER_RELAY_AUTH_SCHEME".into(), "token".into());
    });
    assert!(ok, "{printed}");

    // Settings of the deployment itself.
    let (ok, printed) = doctor(&app, |v| {
        v.insert("DOPPLER_RELAY_FROM_EMAIL".into(), String::new());
    });
    assert!(!ok);
    assert!(
        printed.contains("falla  default_sender") && printed.contains("DOPPLER_RELAY_FROM_EMAIL"),
        "{printed}"
    );
    app.stop().await;
}

async fn admins_run_the_same_checks_from_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let checks: SystemChecks = expect_json(
        app.get("/api/v1/system/checks", &app.admin_token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(checks.ok, "{checks:?}");
    let names: Vec<SystemCheckName> = checks.checks.iter().map(|c| c.name).collect();
    for name in [
        SystemCheckName::DopplerCredentials,
        SystemCheckName::DopplerAccount,
        SystemCheckName::Templates,
        SystemCheckName::SendingLimits,
        SystemCheckName::DefaultSender,
        SystemCheckName::Database,
        SystemCheckName::DataDir,
        SystemCheckName::AllowedHosts,
        SystemCheckName::TimeZone,
        SystemCheckName::ReportFileHosts,
    ] {
        assert!(names.contains(&name), "{name:?} in {names:?}");
    }
    assert!(!serde_json::to_string(&checks)
        .unwrap()
        .contains(SIM_API_KEY));
    // In English when asked; a failure says what to change.
    app.sim.set_faults(Faults {
        send_auth_status: None,
        auth_scheme_only: Some("token".into()),
        ..Faults::default()
    });
    let english: SystemChecks = expect_json(
        app.request(Method::GET, "/api/v1/system/checks", Some(&app.admin_token))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!english.ok);
    let credentials = &english.checks[0];
    assert_eq!(credentials.name, SystemCheckName::DopplerCredentials);
    assert!(
        credentials.detail.contains("takes it with token"),
        "{credentials:?}"
    );
    assert_eq!(
        credentials.fix.as_deref(),
        Some("Set DOPPLER_RELAY_AUTH_SCHEME=token.")
    );
    // Superusers only.
    let (_, manager) = app.user_with("gerente", &[], &["users.manage"]).await;
    expect_problem(
        app.get("/api/v1/system/checks", &manager)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "permission_denied",
    )
    .await;
    app.stop().await;
}
