//! The candidate order: `https://D`, `https://autodiscover.D`, the HTTP redirect, SRV, then v2 JSON.

use super::AutodiscoverOptions;
use super::attempt::{Attempt, Discovery};
use crate::error::ExchangeError;
use crate::transport::{HttpReply, Transport};
use crate::url_guard::{GuardedUrl, UrlPolicy};
use impersync_ews::autodiscover::{
    GetUserSettingsRequest, GetUserSettingsResponse, PoxRequest, PoxResponse, V2Response,
};
use std::time::Instant;

/// The settings asked for in SOAP Autodiscover.
const SETTINGS: [&str; 3] = ["ExternalEwsUrl", "InternalEwsUrl", "EwsSupportedSchemas"];

/// What one endpoint said.
enum Answer {
    Found(String),
    RedirectAddr(String),
    RedirectUrl(String),
    Nothing,
}

#[derive(Clone, Copy)]
enum Kind {
    Soap,
    Pox,
}

struct Run<'a> {
    transport: &'a Transport,
    options: &'a AutodiscoverOptions,
    attempts: Vec<Attempt>,
    redirects: u8,
}

pub async fn run(transport: &Transport, options: &AutodiscoverOptions) -> Discovery {
    let mut run = Run {
        transport,
        options,
        attempts: Vec::new(),
        redirects: 0,
    };
    let mut email = options.email.clone();
    let ews_url = loop {
        match run.all_candidates(&email).await {
            Answer::Found(url) => break Some(url),
            Answer::RedirectAddr(next) if run.redirect() => email = next,
            Answer::RedirectAddr(next) => {
                run.note(
                    "redirect",
                    &next,
                    "too many Autodiscover redirects; stopped",
                );
                break None;
            }
            _ => break None,
        }
    };
    Discovery {
        ews_url,
        attempts: run.attempts,
    }
}

impl Run<'_> {
    fn redirect(&mut self) -> bool {
        self.redirects += 1;
        self.redirects <= self.options.max_redirects
    }

    async fn all_candidates(&mut self, email: &str) -> Answer {
        let Some(domain) = email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()) else {
            self.note(
                "address check",
                email,
                "not an email address; Autodiscover needs user@domain",
            );
            return Answer::Nothing;
        };
        let port = self.options.https_port;
        for host in [domain.clone(), format!("autodiscover.{domain}")] {
            for kind in [Kind::Soap, Kind::Pox] {
                let path = match kind {
                    Kind::Soap => "autodiscover.svc",
                    Kind::Pox => "autodiscover.xml",
                };
                let url = format!("https://{host}:{port}/autodiscover/{path}");
                let answer = self.endpoint(kind, &url, email).await;
                if let Some(answer) = self.follow(answer, email).await {
                    return answer;
                }
            }
        }
        if let Some(target) = self.http_redirect(&domain).await {
            let answer = self.endpoint(Kind::Pox, &target, email).await;
            if let Some(answer) = self.follow(answer, email).await {
                return answer;
            }
        }
        let srv_name = format!("_autodiscover._tcp.{domain}");
        let started = Instant::now();
        match self.options.srv.lookup(&srv_name).await {
            Ok(records) if !records.is_empty() => {
                self.push(
                    Attempt::new("SRV lookup", &srv_name, started)
                        .dns_ok(
                            records
                                .iter()
                                .map(|r| format!("{}:{}", r.target, r.port))
                                .collect(),
                        )
                        .result("found"),
                );
                for r in records {
                    let url = format!(
                        "https://{}:{}/autodiscover/autodiscover.xml",
                        r.target, r.port
                    );
                    let answer = self.endpoint(Kind::Pox, &url, email).await;
                    if let Some(answer) = self.follow(answer, email).await {
                        return answer;
                    }
                }
            }
            Ok(_) => self.push(
                Attempt::new("SRV lookup", &srv_name, started)
                    .dns_err("no records".into())
                    .result("no SRV record"),
            ),
            Err(e) => self.push(
                Attempt::new("SRV lookup", &srv_name, started)
                    .dns_err(e)
                    .result("no SRV record"),
            ),
        }
        for host in [format!("autodiscover.{domain}"), domain.clone()] {
            let url = format!(
                "https://{host}:{port}/autodiscover/autodiscover.json/v1.0/{email}?Protocol=EWS"
            );
            if let Some(found) = self.v2(&url).await {
                return Answer::Found(found);
            }
        }
        Answer::Nothing
    }

    /// Follows POX/SOAP `redirectUrl`s until an answer or the loop limit.
    ///
    /// `None` when this candidate led nowhere (no answer, a refused or failed redirect target,
    /// or too many redirects): the caller moves on to the next candidate, as [MS-OXDSCLI]
    /// asks ("SHOULD NOT abort ... unless it has attempted all of the URIs").
    async fn follow(&mut self, mut answer: Answer, email: &str) -> Option<Answer> {
        loop {
            match answer {
                Answer::RedirectUrl(url) if self.redirect() => {
                    answer = self.endpoint(Kind::Pox, &url, email).await
                }
                Answer::RedirectUrl(url) => {
                    self.note("redirect", &url, "too many Autodiscover redirects; stopped");
                    return None;
                }
                Answer::Nothing => return None,
                other => return Some(other),
            }
        }
    }

    async fn endpoint(&mut self, kind: Kind, url: &str, email: &str) -> Answer {
        let method = match kind {
            Kind::Soap => "SOAP POST",
            Kind::Pox => "POX POST",
        };
        let started = Instant::now();
        let Some((guarded, attempt)) = self
            .prepare(method, url, started, UrlPolicy::default())
            .await
        else {
            return Answer::Nothing;
        };
        let (content_type, body) = match kind {
            Kind::Soap => (
                "text/xml; charset=utf-8",
                GetUserSettingsRequest {
                    requested_server_version: Some("Exchange2013".into()),
                    mailboxes: vec![email.to_string()],
                    settings: SETTINGS.iter().map(|s| s.to_string()).collect(),
                }
                .to_xml(url),
            ),
            Kind::Pox => ("text/xml; charset=utf-8", PoxRequest::new(email).to_xml()),
        };
        let reply = self
            .transport
            .post(&guarded, content_type, body, None)
            .await;
        let Some(reply) = self.http(attempt, reply, started) else {
            return Answer::Nothing;
        };
        let (answer, result) = match kind {
            Kind::Soap => soap_answer(&reply),
            Kind::Pox => pox_answer(&reply),
        };
        let found = matches!(answer, Answer::Found(_));
        let last = self.attempts.last_mut().expect("http() pushed the attempt");
        last.result = result;
        last.found = found;
        answer
    }

    async fn http_redirect(&mut self, domain: &str) -> Option<String> {
        let url = format!(
            "http://autodiscover.{domain}:{}/autodiscover/autodiscover.xml",
            self.options.http_port
        );
        let started = Instant::now();
        let (guarded, attempt) = self
            .prepare(
                "HTTP redirect GET",
                &url,
                started,
                UrlPolicy {
                    allow_insecure_http: true,
                },
            )
            .await?;
        let reply = self.transport.get_anonymous(&guarded).await;
        let reply = self.http(attempt, reply, started)?;
        let last = self.attempts.last_mut().expect("http() pushed the attempt");
        match (reply.status, reply.location) {
            (301 | 302 | 307 | 308, Some(location)) if location.starts_with("https://") => {
                last.result = format!("redirected to {location}");
                Some(location)
            }
            (301 | 302 | 307 | 308, Some(location)) => {
                last.result =
                    format!("redirect to {location} refused: only https:// targets are followed");
                None
            }
            (status, _) => {
                last.result = format!("no redirect (HTTP {status})");
                None
            }
        }
    }

    async fn v2(&mut self, url: &str) -> Option<String> {
        let started = Instant::now();
        let (guarded, attempt) = self
            .prepare("v2 JSON GET", url, started, UrlPolicy::default())
            .await?;
        let reply = self.transport.get_anonymous(&guarded).await;
        let reply = self.http(attempt, reply, started)?;
        let last = self.attempts.last_mut().expect("http() pushed the attempt");
        match serde_json::from_slice::<V2Response>(&reply.body) {
            Ok(v2) if reply.status == 200 && !v2.url.is_empty() => {
                last.result = format!("EWS URL {}", v2.url);
                last.found = true;
                Some(v2.url)
            }
            _ => {
                last.result = format!("no EWS URL (HTTP {})", reply.status);
                None
            }
        }
    }

    /// Guards the URL and resolves its host, recording the DNS step.
    async fn prepare(
        &mut self,
        method: &'static str,
        url: &str,
        started: Instant,
        policy: UrlPolicy,
    ) -> Option<(GuardedUrl, Attempt)> {
        let policy = UrlPolicy {
            allow_insecure_http: policy.allow_insecure_http
                || self.options.url_policy.allow_insecure_http,
        };
        let guarded = match GuardedUrl::new(url, policy) {
            Ok(g) => g,
            Err(e) => {
                self.push(Attempt::new(method, url, started).result(&e.to_string()));
                return None;
            }
        };
        let attempt = Attempt::new(method, url, started);
        match self
            .options
            .resolver
            .lookup(guarded.host(), guarded.port())
            .await
        {
            Ok(addrs) => Some((
                guarded,
                attempt.dns_ok(addrs.iter().map(|a| a.ip().to_string()).collect()),
            )),
            Err(e) => {
                self.push(
                    attempt
                        .dns_err(e.to_string())
                        .result("the name does not resolve"),
                );
                None
            }
        }
    }

    /// Records the connection and HTTP steps; returns the reply if one came.
    fn http(
        &mut self,
        mut attempt: Attempt,
        reply: Result<HttpReply, ExchangeError>,
        started: Instant,
    ) -> Option<HttpReply> {
        attempt.elapsed = started.elapsed();
        match reply {
            Ok(reply) => {
                attempt.connect = Some(Ok(()));
                attempt.http_status = Some(reply.status);
                self.push(attempt);
                Some(reply)
            }
            Err(ExchangeError::Unauthorized { scheme }) => {
                // NTLM reports a refused handshake as an error; the server did answer.
                attempt.connect = Some(Ok(()));
                attempt.http_status = Some(401);
                attempt.result = format!("the credentials were refused ({scheme}, HTTP 401)");
                self.push(attempt);
                None
            }
            Err(e) => {
                attempt.connect = Some(Err(e.to_string()));
                attempt.result = match e {
                    ExchangeError::Tls { .. } => "TLS failed".into(),
                    _ => "unreachable".into(),
                };
                self.push(attempt);
                None
            }
        }
    }

    fn note(&mut self, method: &'static str, target: &str, result: &str) {
        self.push(Attempt::new(method, target, Instant::now()).result(result));
    }

    fn push(&mut self, attempt: Attempt) {
        self.attempts.push(attempt);
    }
}

fn soap_answer(reply: &HttpReply) -> (Answer, String) {
    if reply.status != 200 {
        return (Answer::Nothing, format!("HTTP {}", reply.status));
    }
    let parsed = match GetUserSettingsResponse::from_xml(&reply.body) {
        Ok(p) => p,
        Err(e) => {
            return (
                Answer::Nothing,
                format!("not a GetUserSettings response: {e}"),
            );
        }
    };
    let Some(user) = parsed.users.first() else {
        return (
            Answer::Nothing,
            format!("{}: {}", parsed.error_code, parsed.error_message),
        );
    };
    match user.error_code.as_str() {
        "NoError" => match user
            .setting("ExternalEwsUrl")
            .or(user.setting("InternalEwsUrl"))
        {
            Some(url) => (Answer::Found(url.to_string()), format!("EWS URL {url}")),
            None => (Answer::Nothing, "no EWS URL in the settings".into()),
        },
        "RedirectAddress" => match &user.redirect_target {
            Some(t) => (
                Answer::RedirectAddr(t.clone()),
                format!("redirected to the address {t}"),
            ),
            None => (Answer::Nothing, "RedirectAddress without a target".into()),
        },
        "RedirectUrl" => match &user.redirect_target {
            Some(t) => (Answer::RedirectUrl(t.clone()), format!("redirected to {t}")),
            None => (Answer::Nothing, "RedirectUrl without a target".into()),
        },
        code => (Answer::Nothing, format!("{code}: {}", user.error_message)),
    }
}

fn pox_answer(reply: &HttpReply) -> (Answer, String) {
    if reply.status != 200 {
        return (Answer::Nothing, format!("HTTP {}", reply.status));
    }
    match PoxResponse::from_xml(&reply.body) {
        Ok(PoxResponse::Settings(s)) => match s.ews_url() {
            Some(url) => (Answer::Found(url.to_string()), format!("EWS URL {url}")),
            None => (Answer::Nothing, "no EWS URL in the settings".into()),
        },
        Ok(PoxResponse::RedirectAddr(a)) => (
            Answer::RedirectAddr(a.clone()),
            format!("redirectAddr to {a}"),
        ),
        Ok(PoxResponse::RedirectUrl(u)) => (
            Answer::RedirectUrl(u.clone()),
            format!("redirectUrl to {u}"),
        ),
        Ok(PoxResponse::Error { code, message }) => {
            (Answer::Nothing, format!("error {code}: {message}"))
        }
        Err(e) => (
            Answer::Nothing,
            format!("not an Autodiscover response: {e}"),
        ),
    }
}

impl Attempt {
    fn new(method: &'static str, target: &str, started: Instant) -> Self {
        Self {
            method,
            target: target.to_string(),
            dns: None,
            connect: None,
            http_status: None,
            result: String::new(),
            found: false,
            elapsed: started.elapsed(),
        }
    }

    fn dns_ok(mut self, addrs: Vec<String>) -> Self {
        self.dns = Some(Ok(addrs));
        self
    }

    fn dns_err(mut self, why: String) -> Self {
        self.dns = Some(Err(why));
        self
    }

    fn result(mut self, result: &str) -> Self {
        self.result = result.to_string();
        self
    }
}
