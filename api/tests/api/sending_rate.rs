//! The Doppler account's limits belong to the account: sends running at once, and processes
//! sharing one PostgreSQL, go out at `SEND_RATE_PER_SECOND` together, as the relay sees it.

use chrono::{DateTime, Utc};
use relay_types::{BulkSend, BulkSendStatus as S};
use reqwest::StatusCode;

use crate::on_both_databases;
use crate::support::*;

on_both_databases!(two_sends_at_once_share_the_accounts_rate);

const RATE: f64 = 20.0;

/// The rate the simulator saw, and the most messages it got within any one second.
fn as_the_relay_saw_it(mut times: Vec<DateTime<Utc>>) -> (f64, usize) {
    times.sort();
    let span = (*times.last().unwrap() - times[0])
        .num_microseconds()
        .unwrap() as f64
        / 1e6;
    let rate = (times.len() - 1) as f64 / span;
    let busiest = (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| (**t - times[i]).num_milliseconds() < 1000)
                .count()
        })
        .max()
        .unwrap_or(0);
    (rate, busiest)
}

fn check_rate(times: Vec<DateTime<Utc>>) {
    let count = times.len();
    let (rate, busiest) = as_the_relay_saw_it(times);
    assert!(
        (RATE * 0.95..=RATE * 1.05).contains(&rate),
        "{count} messages at {rate:.2}/s, for a limit of {RATE}/s"
    );
    // A full bucket is a tenth of a second's sends: at most that much above the limit.
    let burst = (RATE / 10.0) as usize;
    assert!(
        busiest <= RATE as usize + burst + 1,
        "{busiest} messages within one second, for a limit of {RATE}/s"
    );
}

async fn two_sends_at_once_share_the_accounts_rate(backend: Backend) {
    let app = TestApp::spawn_with(backend, |v| {
        v.insert("SEND_RATE_PER_SECOND".into(), (RATE as u32).to_string());
    })
    .await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let bulk: BulkSend = expect_json(
            app.create_bulk(
                &app.admin_token,
                deuda_csv(80),
                "lote.csv",
                &[("send_now", "true")],
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        ids.push(bulk.id);
    }
    for id in &ids {
        assert_eq!(app.wait_status(*id, &[S::Done], 60).await.counts.sent, 80);
    }
    let messages = app.sim.messages();
    assert_eq!(messages.len(), 160);
    check_rate(messages.iter().map(|m| m.received_at).collect());
    app.stop().await;
}

/// `n` recipients whose addresses say which batch they are in.
fn batch(name: &str, n: usize) -> Vec<u8> {
    let mut csv = String::from("email;identificacion;nombres;deuda;descuento;total_a_pagar\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "{name}-{i}@example.com;09{i:08};Cliente {i};100;10;90\n"
        ));
    }
    csv.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_on_one_postgres_share_the_accounts_rate() {
    let data = tempfile::tempdir().unwrap();
    let db = TestDb::new(Backend::Postgres, data.path()).await;
    let sim = start_sim().await;
    let mut vars = base_vars(&db.url, data.path());
    use_sim(&mut vars, &sim);
    vars.insert("SEND_RATE_PER_SECOND".into(), (RATE as u32).to_string());
    // One send at a time per process: two sends sending at once means two processes send.
    vars.insert("JOB_WORKERS".into(), "1".into());
    let first = ServeProcess::start(&vars).await;
    let second = ServeProcess::start(&vars).await;
    let token = crate::abuse::superuser_token(&vars, &first.base).await;
    let client = reqwest::Client::new();
    let template = sim.template_id("Descuento en su deuda").unwrap();
    let mut ids = Vec::new();
    for (name, base) in [("uno", &first.base), ("dos", &second.base)] {
        let form = reqwest::multipart::Form::new()
            .part(
                "recipients_file",
                reqwest::multipart::Part::bytes(batch(name, 80)).file_name("lote.csv"),
            )
            .text("template_id", template.clone())
            .text("send_now", "true");
        let bulk: BulkSend = expect_json(
            client
                .post(format!("{base}/api/v1/bulk-sends"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await
                .unwrap(),
            StatusCode::CREATED,
        )
        .await;
        ids.push(bulk.id);
    }
    for id in &ids {
        eventually(60, "both sends are done", || async {
            let bulk: BulkSend = expect_json(
                client
                    .get(format!("{}/api/v1/bulk-sends/{id}", first.base))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap(),
                StatusCode::OK,
            )
            .await;
            bulk.status == S::Done
        })
        .await;
    }
    let messages = sim.messages();
    assert_eq!(messages.len(), 160, "each recipient once");
    let window = |name: &str| {
        let mut times: Vec<DateTime<Utc>> = messages
            .iter()
            .filter(|m| m.recipient.starts_with(&format!("{name}-")))
            .map(|m| m.received_at)
            .collect();
        times.sort();
        assert_eq!(times.len(), 80, "{name}");
        (times[0], *times.last().unwrap())
    };
    let (one, two) = (window("uno"), window("dos"));
    let overlap = one.1.min(two.1) - one.0.max(two.0);
    assert!(
        overlap.num_seconds() >= 3,
        "the two sends went out at the same time, from two processes: {one:?} {two:?}"
    );
    check_rate(messages.iter().map(|m| m.received_at).collect());
}
