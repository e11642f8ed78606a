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
    flashes: Vec<Flash>,
}

/// A one-time message for the next page the session shows (the panel's redirect-after-post).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// Whether it reports a problem (otherwise it confirms or warns).
    pub level: FlashLevel,
    /// The message.
    pub text: String,
}

/// How a [`Flash`] is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashLevel {
    /// Done.
    Success,
    /// Done, but look at this.
    Warning,
    /// Not done.
    Error,
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
            flashes: Vec::new(),
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

    /// Keeps a message for the session's next page.
    pub fn flash(&self, id: &str, flash: Flash) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get_mut(id) {
            s.flashes.push(flash);
        }
    }

    /// Takes the session's pending messages.
    pub fn take_flashes(&self, id: &str) -> Vec<Flash> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get_mut(id)
            .map(|s| std::mem::take(&mut s.flashes))
            .unwrap_or_default()
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
