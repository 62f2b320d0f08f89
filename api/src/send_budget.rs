//! The Doppler account's sending limits, shared by everything that sends: every bulk send
//! and every single message of the process, and on PostgreSQL every process on the database.
//! `SEND_RATE_PER_SECOND` and `SEND_RATE_PER_HOUR` are the account's, not one send's: four
//! sends at once go out at the configured rate together, not at four times it.
//!
//! On SQLite (one process by design) the budget is an in-process limiter. On PostgreSQL it
//! is a token bucket row per limit (`send_budget`), refilled by the database's clock (so the
//! hosts' clocks do not matter); a process takes a few tokens per round trip, at most a
//! twentieth of a second's worth, and hands them out locally.
//!
//! The bursts stay small: at most a tenth of a second's sends at once (a minute's for the
//! hourly limit), so "20 per second" never means 20 at once and 20 more.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sea_orm::ConnectionTrait;
use tokio::sync::Mutex;

use crate::config::{Config, DatabaseKind};
use crate::db::Db;
use crate::error::AppResult;

/// One limit as a bucket: how many tokens it holds at most and how fast it refills.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Limit {
    /// `second` or `hour` (the row's name).
    bucket: &'static str,
    capacity: f64,
    per_second: f64,
}

fn limits(per_second: u32, per_hour: u32) -> Vec<Limit> {
    let mut limits = Vec::new();
    if per_second > 0 {
        limits.push(Limit {
            bucket: "second",
            capacity: (per_second as f64 / 10.0).max(1.0),
            per_second: per_second as f64,
        });
    }
    if per_hour > 0 {
        limits.push(Limit {
            bucket: "hour",
            capacity: (per_hour as f64 / 60.0).max(1.0),
            per_second: per_hour as f64 / 3600.0,
        });
    }
    limits
}

#[derive(Clone)]
pub struct SendBudget(Arc<Kind>);

enum Kind {
    Unlimited,
    InProcess(Vec<DefaultDirectRateLimiter>),
    Shared(Shared),
}

struct Shared {
    db: Db,
    account: i64,
    limits: Vec<Limit>,
    /// Tokens taken from the database and not handed out yet, per limit.
    held: Mutex<Vec<f64>>,
}

impl SendBudget {
    pub fn new(config: &Config, db: &Db) -> SendBudget {
        let limits = limits(config.sending.rate_per_second, config.sending.rate_per_hour);
        if limits.is_empty() {
            return SendBudget(Arc::new(Kind::Unlimited));
        }
        match db.kind {
            DatabaseKind::Sqlite => {
                let burst = |n: f64| NonZeroU32::new(n as u32).unwrap_or(NonZeroU32::MIN);
                let mut local = Vec::new();
                if let Some(n) = NonZeroU32::new(config.sending.rate_per_second) {
                    local.push(RateLimiter::direct(
                        Quota::per_second(n).allow_burst(burst(n.get() as f64 / 10.0)),
                    ));
                }
                if let Some(n) = NonZeroU32::new(config.sending.rate_per_hour) {
                    local.push(RateLimiter::direct(
                        Quota::per_hour(n).allow_burst(burst(n.get() as f64 / 60.0)),
                    ));
                }
                SendBudget(Arc::new(Kind::InProcess(local)))
            }
            DatabaseKind::Postgres => SendBudget(Arc::new(Kind::Shared(Shared {
                db: db.clone(),
                account: config.relay.account_id,
                held: Mutex::new(vec![0.0; limits.len()]),
                limits,
            }))),
        }
    }

    /// Waits until one more message may go out under every limit.
    pub async fn until_ready(&self) -> AppResult<()> {
        match &*self.0 {
            Kind::Unlimited => Ok(()),
            Kind::InProcess(limiters) => {
                for limiter in limiters {
                    limiter.until_ready().await;
                }
                Ok(())
            }
            Kind::Shared(shared) => shared.take_one().await,
        }
    }
}

/// Takes `wanted` tokens when the bucket holds them, refilled by the database's clock;
/// answers how many seconds to wait otherwise.
const TAKE: &str = "UPDATE send_budget SET \
    tokens = LEAST($3, tokens + $4 * EXTRACT(EPOCH FROM (clock_timestamp() - updated_at))) - $5, \
    updated_at = clock_timestamp() \
    WHERE account_id = $1 AND bucket = $2 \
    AND LEAST($3, tokens + $4 * EXTRACT(EPOCH FROM (clock_timestamp() - updated_at))) >= $5 \
    RETURNING tokens";
const AVAILABLE: &str =
    "SELECT LEAST($3, tokens + $4 * EXTRACT(EPOCH FROM (clock_timestamp() - updated_at)))::float8 \
    FROM send_budget WHERE account_id = $1 AND bucket = $2";
const CREATE: &str = "INSERT INTO send_budget (account_id, bucket, tokens, updated_at) \
    VALUES ($1, $2, $3, clock_timestamp()) ON CONFLICT (account_id, bucket) DO NOTHING";

/// The longest one wait lasts before the bucket is asked again.
const MOST_WAIT: Duration = Duration::from_millis(250);

impl Shared {
    async fn take_one(&self) -> AppResult<()> {
        // One caller at a time takes from the database; the others use what it took.
        let mut held = self.held.lock().await;
        for (i, limit) in self.limits.iter().enumerate() {
            while held[i] < 1.0 {
                // At most a twentieth of a second's worth per round trip (1 at low rates).
                let batch = (limit.per_second / 20.0).floor().clamp(1.0, limit.capacity);
                match self.take(limit, batch).await? {
                    Ok(()) => held[i] += batch,
                    Err(wait) => tokio::time::sleep(wait.min(MOST_WAIT)).await,
                }
            }
        }
        for tokens in held.iter_mut() {
            *tokens -= 1.0;
        }
        Ok(())
    }

    /// `Ok(Ok(()))` when `wanted` tokens were taken, `Ok(Err(wait))` when not yet.
    async fn take(&self, limit: &Limit, wanted: f64) -> AppResult<Result<(), Duration>> {
        let values = || -> Vec<sea_orm::Value> {
            vec![
                self.account.into(),
                limit.bucket.into(),
                limit.capacity.into(),
                limit.per_second.into(),
                wanted.into(),
            ]
        };
        let conn = &self.db.conn;
        if conn
            .query_one_raw(self.db.stmt(TAKE, values()))
            .await?
            .is_some()
        {
            return Ok(Ok(()));
        }
        let available = match conn
            .query_one_raw(self.db.stmt(AVAILABLE, values().into_iter().take(4)))
            .await?
        {
            Some(row) => row.try_get_by_index::<f64>(0)?,
            None => {
                // The first sender of the account: a full bucket.
                conn.execute_raw(self.db.stmt(
                    CREATE,
                    [
                        self.account.into(),
                        limit.bucket.into(),
                        limit.capacity.into(),
                    ],
                ))
                .await?;
                return Ok(Err(Duration::ZERO));
            }
        };
        let seconds = ((wanted - available) / limit.per_second).max(0.001);
        Ok(Err(Duration::from_secs_f64(seconds)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_are_a_tenth_of_a_second_or_a_minute() {
        let l = limits(20, 36_000);
        assert_eq!(l[0].capacity, 2.0);
        assert_eq!(l[0].per_second, 20.0);
        assert_eq!(l[1].capacity, 600.0);
        assert_eq!(l[1].per_second, 10.0);
        assert_eq!(limits(5, 0)[0].capacity, 1.0);
        assert!(limits(0, 0).is_empty());
    }
}
