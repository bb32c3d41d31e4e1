//! How many exports this server makes at once: at most `GALLERY_MAX_EXPORTS` (each holds a
//! blocking thread and a client's connection for as long as the download takes), and one
//! per person, so that one account cannot take every place.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Result};

/// What a refused export is told to wait before it tries again, in seconds.
pub const RETRY_AFTER_SECS: u64 = 10;

/// The places for exports on this server.
#[derive(Clone)]
pub struct Exports {
    places: Arc<Semaphore>,
    /// The accounts with an export under way.
    running: Arc<Mutex<HashSet<String>>>,
}

/// A place taken by one export, given back when it is dropped (when the export ends).
pub struct Ticket {
    _place: OwnedSemaphorePermit,
    owner: String,
    running: Arc<Mutex<HashSet<String>>>,
}

impl Exports {
    pub fn new(places: usize) -> Self {
        Self {
            places: Arc::new(Semaphore::new(places)),
            running: Arc::default(),
        }
    }

    /// A place for an export of `owner`'s: 429 while they have one under way, 503 when
    /// every place is taken (both with [`RETRY_AFTER_SECS`]).
    pub fn admit(&self, owner: &str) -> Result<Ticket> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.contains(owner) {
            return Err(Error::TooManyRequests {
                message: "one of your downloads is still being made; wait until it ends, or stop it, then try again".into(),
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        let place = self.places.clone().try_acquire_owned().map_err(|_| Error::Busy {
            message: "the server is making as many downloads as it can right now; please try again in a moment".into(),
            retry_after_secs: RETRY_AFTER_SECS,
        })?;
        running.insert(owner.to_owned());
        Ok(Ticket {
            _place: place,
            owner: owner.to_owned(),
            running: self.running.clone(),
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.remove(&self.owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_export_per_person_and_no_more_than_the_places() {
        let exports = Exports::new(2);
        let a = exports.admit("a").unwrap();
        assert!(matches!(
            exports.admit("a"),
            Err(Error::TooManyRequests { .. })
        ));
        let _b = exports.admit("b").unwrap();
        assert!(matches!(exports.admit("c"), Err(Error::Busy { .. })));
        drop(a);
        let _a = exports.admit("a").unwrap();
        assert!(matches!(exports.admit("c"), Err(Error::Busy { .. })));
    }
}
