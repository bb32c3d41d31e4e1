//! Sign-in attempt limits, per account and per client address (GCRA, from `governor`).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::Error;

pub struct LoginLimits {
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl LoginLimits {
    pub fn new(per_account: u32, per_ip: u32) -> Self {
        Self {
            per_account: RateLimiter::keyed(per_minute(per_account)),
            per_ip: RateLimiter::keyed(per_minute(per_ip)),
        }
    }

    /// Counts one attempt; refuses it once either budget is spent.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), Error> {
        let clock = DefaultClock::default();
        let refused = |not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(clock.now()).as_secs().max(1);
            Error::TooManyRequests {
                message: format!("too many sign-in attempts; try again in {wait} seconds"),
                retry_after_secs: wait,
            }
        };
        self.per_ip.check_key(&ip).map_err(refused)?;
        self.per_account
            .check_key(&email.to_lowercase())
            .map_err(refused)?;
        Ok(())
    }

    pub fn forget_stale(&self) {
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
    }
}
