//! The page shell: head, navigation, flash messages, organisation tabs, and small
//! pieces every page uses (the CSRF field, times, outcome badges, pagination).

use impersync_store::Organisation;
use maud::{DOCTYPE, Markup, html};

use super::form::CSRF_FIELD;
use super::session::PanelUser;
use crate::auth::session::{Flash, FlashLevel};

/// htmx settings: no inline indicator styles (the CSP allows none) and no eval.
/// htmx settings: no eval, no inline scripts or styles, and error answers swapped in (the
/// server retargets them to the error area, see [`super::htmx_errors`]).
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true},{"code":"...","swap":false}]}"#;

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=(HTMX_CONFIG);
            title { (title) " · Impersync" }
            link rel="stylesheet" href="/static/panel.css";
            script src="/static/htmx.min.js" defer {}
        }
    }
}

/// A page without navigation (login, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { (body) }
        }
    }
}

/// The hidden CSRF field for a form.
pub fn csrf_field(user: &PanelUser) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(user.csrf); }
}

/// The flash messages.
pub fn flashes(list: &[Flash]) -> Markup {
    html! {
        @for f in list {
            @let class = match f.level {
                FlashLevel::Success => "flash success",
                FlashLevel::Warning => "flash warning",
                FlashLevel::Error => "flash error",
            };
            p class=(class) role="alert" { (f.text) }
        }
    }
}

/// A signed-in page with the navigation bar and the pending flash messages.
pub fn page(user: &PanelUser, flash: &[Flash], title: &str, body: Markup) -> Markup {
    let headers = format!(r#"{{"x-csrf-token":"{}"}}"#, user.csrf);
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body hx-headers=(headers) {
                header.topbar {
                    a.brand href="/orgs" { "Impersync" }
                    nav {
                        a href="/orgs" { "Organisations" }
                        a href="/audit" { "Audit log" }
                        @if user.is_operator() { a href="/admins" { "Admins" } }
                    }
                    form.logout method="post" action="/logout" {
                        (csrf_field(user))
                        span.who { (user.account.username) " (" (user.account.role.as_str()) ")" }
                        button.link type="submit" { "Log out" }
                    }
                }
                main {
                    div id=(super::htmx_errors::ERROR_AREA) aria-live="assertive" {}
                    (flashes(flash))
                    (body)
                }
            }
        }
    }
}

/// The tabs of an organisation's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Users.
    Users,
    /// Email Configuration.
    EmailConfig,
    /// Check runs.
    CheckRuns,
    /// Webhooks.
    Webhooks,
    /// Sync monitoring.
    Sync,
    /// Rooms.
    Rooms,
}

/// An organisation's page: its name and the tabs above `body`.
pub fn org_page(
    user: &PanelUser,
    flash: &[Flash],
    org: &Organisation,
    tab: Tab,
    body: Markup,
) -> Markup {
    let tabs = [
        (Tab::Users, "users", "Users"),
        (Tab::EmailConfig, "email-config", "Email Configuration"),
        (Tab::CheckRuns, "check-runs", "Check runs"),
        (Tab::Webhooks, "webhooks", "Webhooks"),
        (Tab::Sync, "sync", "Sync"),
        (Tab::Rooms, "rooms", "Rooms"),
    ];
    let title = tabs.iter().find(|t| t.0 == tab).map_or("", |t| t.2);
    let inner = html! {
        h1 { (org.name) small.muted { " " (org.domains.join(", ")) } }
        nav.tabs {
            @for (t, path, label) in tabs {
                a class=@if t == tab { "active" } href={ "/orgs/" (org.id) "/" (path) } { (label) }
            }
        }
        (body)
    };
    page(user, flash, &format!("{title} · {}", org.name), inner)
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .map_or_else(|| ms.to_string(), |t| format!("{t} UTC"))
}

/// An access-check outcome as a coloured badge.
pub fn outcome_badge(outcome: &str) -> Markup {
    let class = if outcome == impersync_store::OUTCOME_OK {
        "badge ok"
    } else {
        "badge bad"
    };
    html! { span class=(class) { (outcome) } }
}

/// "Previous / page N of M / Next" links; `link(page)` makes a page's URL.
pub fn pager(page: u64, per_page: u32, total: u64, link: impl Fn(u64) -> String) -> Markup {
    let pages = total.div_ceil(u64::from(per_page)).max(1);
    html! {
        nav.pager aria-label="pages" {
            @if page > 1 { a rel="prev" href=(link(page - 1)) { "← Previous" } }
            span { "Page " (page) " of " (pages) " · " (total) " in all" }
            @if page < pages { a rel="next" href=(link(page + 1)) { "Next →" } }
        }
    }
}

/// Text for a URL query value (`&`, `=`, `#`, `+`, `%`, space and non-ASCII escaped).
pub fn query_value(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
