//! The Doppler Relay client against the simulator: each call's success and each failure class.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use relay_console::config::Config;
use relay_console::relay::payload::{
    Address, MessageRecipient, PlainMessage, TemplateFields, TemplateMessage,
};
use relay_console::relay::{RelayClient, RelayError, ReportPoll, SendOutcome};
use relay_sim::{DownloadStyle, Faults, SimHandle, TemplateBodyStyle};

use crate::support::*;

fn client_for(sim: &SimHandle, adjust: impl FnOnce(&mut HashMap<String, String>)) -> RelayClient {
    let dir = std::env::temp_dir();
    let mut vars = base_vars("sqlite::memory:", &dir);
    use_sim(&mut vars, sim);
    adjust(&mut vars);
    RelayClient::new(&Config::from_vars(&vars).unwrap()).unwrap()
}

fn message_to(template_id: &str, email: &str) -> TemplateMessage {
    let vars = serde_json::json!({ "nombres": "Ana Cañarte", "deuda": "1200" });
    TemplateMessage::to_one(
        template_id,
        Address {
            email: "cobranzas@example.com".into(),
            name: "Equipo Cobranza".into(),
        },
        "Descuento en su deuda",
        email,
        "Ana Cañarte",
        vars.as_object().unwrap(),
        vec![],
    )
}

fn plain(from: &str, to: &str) -> PlainMessage {
    PlainMessage {
        from_email: from.into(),
        from_name: None,
        subject: "Hola".into(),
        recipients: vec![MessageRecipient {
            kind: "to",
            email: to.into(),
            name: String::new(),
        }],
        html: Some("<p>Hola</p>".into()),
        text: None,
        attachments: vec![],
    }
}

#[tokio::test]
async fn templates_are_read_and_written_as_dopplers_web_app_does() {
    let sim = start_sim().await;
    let client = client_for(&sim, |_| {});
    // Paged three to a page, the list follows `next` to the end.
    for page_size in [1, 2, 3] {
        sim.set_faults(Faults {
            templates_page_size: Some(page_size),
            ..Faults::default()
        });
        assert_eq!(
            client.list_templates().await.unwrap().len(),
            3,
            "{page_size} per page"
        );
    }
    let id = sim.template_id("Descuento en su deuda").unwrap();
    // The body inline in the detail, behind a body link, or only at `.../body` (JSON).
    for style in [
        TemplateBodyStyle::Inline,
        TemplateBodyStyle::Link,
        TemplateBodyStyle::Endpoint,
    ] {
        sim.set_faults(Faults {
            template_body: style,
            ..Faults::default()
        });
        let (template, body) = client.get_template(&id).await.unwrap();
        assert_eq!(template.name, "Descuento en su deuda");
        assert!(body.contains("{{total_a_pagar}}"), "{style:?}: {body}");
        assert_eq!(template.body.is_some(), style == TemplateBodyStyle::Inline);
    }
    sim.set_faults(Faults::default());

    // Metadata with the template call, the HTML through `PUT .../body`.
    let created = client
        .create_template(&TemplateFields {
            name: Some("Nueva".into()),
            subject: Some("Asunto".into()),
            from_email: Some("a@example.com".into()),
            from_name: Some("A".into()),
            body: Some("<p>{{x}}</p>".into()),
        })
        .await
        .unwrap();
    assert_eq!(sim.template_body(&created).as_deref(), Some("<p>{{x}}</p>"));
    let puts = |path: String| {
        sim.requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path == path)
            .count()
    };
    client
        .update_template(
            &created,
            &TemplateFields {
                body: Some("<p>{{y}}</p>".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        client.get_template(&created).await.unwrap().1,
        "<p>{{y}}</p>"
    );
    let metadata_path = format!("/accounts/{SIM_ACCOUNT}/templates/{created}");
    assert_eq!(puts(metadata_path.clone()), 0, "only the body changed");
    client
        .update_template(
            &created,
            &TemplateFields {
                name: Some("Renombrada".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(puts(metadata_path), 1);
    assert_eq!(
        puts(format!("/accounts/{SIM_ACCOUNT}/templates/{created}/body")),
        2
    );
    assert_eq!(
        client.get_template(&created).await.unwrap().0.name,
        "Renombrada"
    );
    client.delete_template(&created).await.unwrap();
    assert!(client
        .get_template(&created)
        .await
        .unwrap_err()
        .is_not_found());
}

#[tokio::test]
async fn both_auth_schemes_work_and_a_wrong_key_is_refused() {
    let sim = start_sim().await;
    let token = client_for(&sim, |v| {
        v.insert("DOPPLER_RELAY_AUTH_SCHEME".into(), "token".into());
    });
    assert_eq!(token.list_templates().await.unwrap().len(), 3);
    let wrong = client_for(&sim, |v| {
        v.insert("DOPPLER_RELAY_API_KEY".into(), "not-the-key".into());
    });
    let err = wrong.list_templates().await.unwrap_err();
    assert!(
        matches!(err, RelayError::Credentials { status: 401 }),
        "{err:?}"
    );
    let unconfigured = client_for(&sim, |v| {
        v.remove("DOPPLER_RELAY_API_KEY");
    });
    assert_eq!(
        unconfigured.list_templates().await.unwrap_err(),
        RelayError::NotConfigured
    );
}

#[tokio::test]
async fn a_template_send_is_accepted_with_its_message_id() {
    let sim = start_sim().await;
    let client = client_for(&sim, |_| {});
    let id = sim.template_id("Descuento en su deuda").unwrap();
    let outcome = client
        .send_template(&message_to(&id, "ana@example.com"))
        .await;
    let received = sim.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(
        outcome,
        SendOutcome::Sent {
            message_id: received[0].message_id.clone()
        }
    );
    assert_eq!(received[0].variables["nombres"], "Ana Cañarte");
    assert_eq!(received[0].template_id.as_deref(), Some(id.as_str()));

    // Only a Location header: the id comes from its last segment.
    sim.set_faults(Faults {
        omit_message_id: true,
        ..Faults::default()
    });
    let outcome = client
        .send_template(&message_to(&id, "luis@example.com"))
        .await;
    assert_eq!(
        outcome,
        SendOutcome::Sent {
            message_id: sim.messages()[1].message_id.clone()
        }
    );
}

#[tokio::test]
async fn refusals_are_rejected_not_retried() {
    let sim = start_sim().await;
    let client = client_for(&sim, |_| {});
    match client.send_message(&plain("", "ana@example.com")).await {
        SendOutcome::Rejected { code, message } => {
            assert_eq!(code, "doppler_http_400");
            assert!(message.contains("from_email"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.send_template(&message_to("no-such-template", "ana@example.com")).await,
        SendOutcome::Rejected { code, .. } if code == "doppler_http_404"
    ));
    assert_eq!(sim.requests().len(), 2, "one request each");
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn rate_limits_and_unreachable_relays_mean_not_sent() {
    let sim = start_sim().await;
    sim.set_faults(Faults {
        rate_429: 1.0,
        retry_after_secs: 7,
        ..Faults::default()
    });
    let client = client_for(&sim, |_| {});
    let id = sim.template_id("Descuento en su deuda").unwrap();
    assert!(matches!(
        client.send_template(&message_to(&id, "ana@example.com")).await,
        SendOutcome::NotSent { retry_after, .. } if retry_after == Duration::from_secs(7)
    ));
    assert!(sim.messages().is_empty());

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let nowhere = client_for(&sim, |v| {
        v.insert(
            "DOPPLER_RELAY_BASE_URL".into(),
            format!("http://127.0.0.1:{closed}/"),
        );
    });
    assert!(matches!(
        nowhere.send_template(&message_to(&id, "ana@example.com")).await,
        SendOutcome::NotSent { code, .. } if code == "connection_refused"
    ));
}

#[tokio::test]
async fn server_errors_timeouts_and_dropped_connections_are_ambiguous_and_not_repeated() {
    let sim = start_sim().await;
    let client = client_for(&sim, |v| {
        v.insert("DOPPLER_RELAY_TIMEOUT".into(), "1".into());
    });
    let id = sim.template_id("Descuento en su deuda").unwrap();
    for (faults, code) in [
        (
            Faults {
                rate_500: 1.0,
                ..Faults::default()
            },
            "doppler_http_500",
        ),
        (
            Faults {
                rate_503: 1.0,
                ..Faults::default()
            },
            "doppler_http_503",
        ),
        (
            Faults {
                rate_timeout: 1.0,
                ..Faults::default()
            },
            "timeout",
        ),
        (
            Faults {
                rate_drop: 1.0,
                ..Faults::default()
            },
            "connection_error",
        ),
    ] {
        sim.set_faults(faults);
        let before = sim.requests().len();
        let started = Instant::now();
        let outcome = client
            .send_template(&message_to(&id, "ana@example.com"))
            .await;
        assert!(
            matches!(&outcome, SendOutcome::Ambiguous { code: c, .. } if c == code),
            "{outcome:?}"
        );
        assert_eq!(
            sim.requests().len(),
            before + 1,
            "{code}: exactly one request, no retry"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{code}: the timeout is the configured one"
        );
    }
}

#[tokio::test]
async fn a_used_up_quota_says_when_it_resets_in_local_time() {
    let sim = start_sim().await;
    sim.set_faults(Faults {
        quota_after: Some(1),
        ..Faults::default()
    });
    let client = client_for(&sim, |_| {});
    let id = sim.template_id("Descuento en su deuda").unwrap();
    assert!(matches!(
        client
            .send_template(&message_to(&id, "a@example.com"))
            .await,
        SendOutcome::Sent { .. }
    ));
    let SendOutcome::QuotaExceeded(quota) = client
        .send_template(&message_to(&id, "b@example.com"))
        .await
    else {
        panic!("expected a quota answer");
    };
    assert_eq!((quota.deliveries_count, quota.limit), (Some(1), Some(1)));
    let reset = quota.reset_at.unwrap();
    let local = reset
        .with_timezone(&chrono_tz::America::Guayaquil)
        .format("%d/%m/%Y a las %H:%M")
        .to_string();
    let message = quota.message_es(chrono_tz::America::Guayaquil);
    assert!(
        message.contains(&format!("El límite se reiniciará el {local} hora local")),
        "{message}"
    );
    assert!(
        local.ends_with("a las 19:00"),
        "midnight UTC is 19:00 in Guayaquil: {local}"
    );
}

#[tokio::test]
async fn reports_are_requested_polled_and_downloaded_both_ways() {
    let sim = start_sim().await;
    sim.set_faults(Faults {
        report_delay_ms: 300,
        ..Faults::default()
    });
    // Development mode: the simulator's file link points at this machine.
    let client = client_for(&sim, |v| {
        v.insert("DEBUG".into(), "1".into());
    });
    let id = sim.template_id("Descuento en su deuda").unwrap();
    for email in ["a@example.com", "b@example.org"] {
        client.send_template(&message_to(&id, email)).await;
    }
    let today = Utc::now()
        .with_timezone(&chrono_tz::America::Guayaquil)
        .date_naive();
    let dir = tempfile::tempdir().unwrap();
    for style in [DownloadStyle::Inline, DownloadStyle::Link] {
        sim.set_faults(Faults {
            report_delay_ms: 300,
            report_download: style,
            ..Faults::default()
        });
        let request = client
            .create_report_request("deliveries", today, today)
            .await
            .unwrap();
        assert_eq!(
            client.poll_report(&request).await.unwrap(),
            ReportPoll::Pending
        );
        eventually(10, "the report is ready", || async {
            client.poll_report(&request).await.unwrap() == ReportPoll::Ready
        })
        .await;
        let path = dir.path().join(format!("{request}.csv"));
        let bytes = client.download_report(&request, &path).await.unwrap();
        let csv = std::fs::read_to_string(&path).unwrap();
        assert_eq!(bytes as usize, csv.len());
        assert!(
            csv.starts_with("Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks\n"),
            "{style:?}"
        );
        assert_eq!(
            csv.lines().count(),
            3,
            "{style:?}: header and one row per message\n{csv}"
        );
        assert!(csv.contains(",a@example.com,") && csv.contains(",b@example.org,"));
    }

    // A day without sends has a header only; failures are errors with the status.
    let old = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    sim.set_faults(Faults {
        report_status: Some(500),
        ..Faults::default()
    });
    assert!(matches!(
        client.create_report_request("deliveries", old, old).await,
        Err(RelayError::Http { status: 500, .. })
    ));
    sim.set_faults(Faults {
        download_status: Some(503),
        ..Faults::default()
    });
    let request = client
        .create_report_request("deliveries", old, old)
        .await
        .unwrap();
    let err = client
        .download_report(&request, &dir.path().join("broken.csv"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RelayError::Http { status: 503, .. }),
        "{err:?}"
    );
}

/// A second simulator standing in for a host the links must never reach.
async fn bystander() -> SimHandle {
    start_sim().await
}

#[tokio::test]
async fn links_in_doppler_answers_never_take_the_key_or_a_request_elsewhere() {
    let sim = start_sim().await;
    let other = bystander().await;
    let other_origin = other.base_url().trim_end_matches('/').to_string();
    sim.set_faults(Faults {
        report_delay_ms: 0,
        report_download: DownloadStyle::Link,
        foreign_link_origin: Some(other_origin.clone()),
        template_body: TemplateBodyStyle::Link,
        ..Faults::default()
    });
    let id = sim.template_id("Descuento en su deuda").unwrap();

    // A template body link to another origin is refused before any request leaves.
    let client = client_for(&sim, |v| {
        v.insert("DEBUG".into(), "1".into());
    });
    let err = client.get_template(&id).await.unwrap_err();
    assert!(
        matches!(&err, RelayError::Unexpected(text) if text.contains("not followed")),
        "{err:?}"
    );

    // A report file link to this machine is refused outside development, naming its host,
    // and in development unless it is the simulator itself (the bystander is another port).
    for debug in [false, true] {
        let client = client_for(&sim, |v| {
            if debug {
                v.insert("DEBUG".into(), "1".into());
            }
        });
        let day = Utc::now()
            .with_timezone(&chrono_tz::America::Guayaquil)
            .date_naive();
        let request = client
            .create_report_request("deliveries", day, day)
            .await
            .unwrap();
        let path = std::env::temp_dir().join(format!("refused-{request}.csv"));
        let err = client.download_report(&request, &path).await.unwrap_err();
        assert!(
            matches!(&err, RelayError::Unexpected(text) if text.contains("'127.0.0.1'") && text.contains("not followed")),
            "debug {debug}: {err:?}"
        );
        assert!(!path.exists(), "nothing is written for a refused link");
    }
    let client = client_for(&sim, |_| {});
    let day = Utc::now()
        .with_timezone(&chrono_tz::America::Guayaquil)
        .date_naive();
    let request = client
        .create_report_request("deliveries", day, day)
        .await
        .unwrap();
    let path = std::env::temp_dir().join(format!("refused-{request}.csv"));
    let err = client.download_report(&request, &path).await.unwrap_err();
    assert!(
        matches!(&err, RelayError::Unexpected(text) if text.contains("only https")),
        "{err:?}"
    );
    assert!(!path.exists(), "nothing is written for a refused link");
    assert!(
        other.requests().is_empty(),
        "the other host was never contacted: {:?}",
        other.requests()
    );
}

#[tokio::test]
async fn downloads_past_the_byte_cap_are_refused_and_removed() {
    let sim = start_sim().await;
    sim.set_report_csv(Some(format!(
        "Subject,Sender,SenderName,Email,Status,Date,Opens,Clicks\n{}",
        "Hola,a@example.com,A,b@example.com,Delivered,2025-11-03 10:00:00,0,0\n".repeat(100)
    )));
    let day = NaiveDate::from_ymd_opt(2025, 11, 3).unwrap();
    for style in [DownloadStyle::Inline, DownloadStyle::Link] {
        sim.set_faults(Faults {
            report_download: style,
            ..Faults::default()
        });
        let client = client_for(&sim, |v| {
            v.insert("DEBUG".into(), "1".into());
            v.insert("DOPPLER_REPORT_MAX_BYTES".into(), "1000".into());
        });
        let request = client
            .create_report_request("deliveries", day, day)
            .await
            .unwrap();
        let path = std::env::temp_dir().join(format!("capped-{request}.csv"));
        let err = client.download_report(&request, &path).await.unwrap_err();
        assert!(
            matches!(err, RelayError::TooLarge(1000)),
            "{style:?}: {err:?}"
        );
        assert!(!path.exists(), "{style:?}: the partial file is removed");
    }
}
