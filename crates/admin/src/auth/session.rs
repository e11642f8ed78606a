//! Sessions held in memory, with expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use impersync_store::AdminId;

use super::random_token;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "impersync_session";

/// One signed-in admin's session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The admin account.
    pub admin: AdminId,
    /// The CSRF token for state-changing requests.
    pub csrf_token: String,
    expires: Instant,
}

/// The sessions of this process.
#[derive(Debug)]
pub struct Sessions {
    ttl: Duration,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// An empty session table; sessions live `ttl` after their last use.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session; returns its id and the session.
    pub fn create(&self, admin: AdminId) -> (String, Session) {
        let id = random_token();
        let session = Session {
            admin,
            csrf_token: random_token(),
            expires: Instant::now() + self.ttl,
        };
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        map.insert(id.clone(), session.clone());
        (id, session)
    }

    /// The live session with this id; extends it.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match map.get_mut(id) {
            Some(s) if s.expires > now => {
                s.expires = now + self.ttl;
                Some(s.clone())
            }
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// How long a session lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}
