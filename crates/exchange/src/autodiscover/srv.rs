//! SRV lookups for `_autodiscover._tcp.<domain>`, injectable for tests and labs.

use std::future::Future;
use std::pin::Pin;

/// One SRV answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Target host.
    pub target: String,
    /// Target port.
    pub port: u16,
}

/// Looks up SRV records.
pub trait SrvResolver: Send + Sync {
    /// The records for `name`, best first, or why there are none.
    fn lookup<'a>(
        &'a self,
        name: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<SrvRecord>, String>> + Send + 'a>>;
}

/// The system's DNS resolver.
#[derive(Debug, Clone, Copy)]
pub struct SystemSrvResolver;

impl SrvResolver for SystemSrvResolver {
    fn lookup<'a>(
        &'a self,
        name: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<SrvRecord>, String>> + Send + 'a>> {
        Box::pin(async move {
            let resolver = hickory_resolver::TokioResolver::builder_tokio()
                .map_err(|e| e.to_string())?
                .build()
                .map_err(|e| e.to_string())?;
            let answer = resolver
                .lookup(name, hickory_resolver::proto::rr::RecordType::SRV)
                .await
                .map_err(|e| e.to_string())?;
            let mut records: Vec<_> = answer
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    hickory_resolver::proto::rr::RData::SRV(srv) => Some((
                        srv.priority,
                        std::cmp::Reverse(srv.weight),
                        srv.target.to_utf8(),
                        srv.port,
                    )),
                    _ => None,
                })
                .collect();
            records.sort();
            Ok(records
                .into_iter()
                .map(|(_, _, target, port)| SrvRecord {
                    target: target.trim_end_matches('.').to_string(),
                    port,
                })
                .collect())
        })
    }
}

/// A resolver that answers every lookup with the same records (for labs without DNS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticSrv(pub Vec<SrvRecord>);

impl SrvResolver for StaticSrv {
    fn lookup<'a>(
        &'a self,
        name: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<SrvRecord>, String>> + Send + 'a>> {
        Box::pin(async move {
            if self.0.is_empty() {
                Err(format!("no SRV record for {name}"))
            } else {
                Ok(self.0.clone())
            }
        })
    }
}

/// A resolver that has no SRV records (for labs without DNS).
#[derive(Debug, Clone, Copy)]
pub struct NoSrv;

impl SrvResolver for NoSrv {
    fn lookup<'a>(
        &'a self,
        name: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<SrvRecord>, String>> + Send + 'a>> {
        Box::pin(async move { Err(format!("no SRV record for {name}")) })
    }
}
