//! A fresh Impersync database per test, on SQLite (a temporary folder) and on PostgreSQL
//! (a uniquely named database on the server of `IMPERSYNC_TEST_POSTGRES_URL`, dropped
//! afterwards). `scripts/with-postgres.sh` starts such a server. [`exact`] compares a synced
//! store with the simulator; [`sync_org`] makes an organisation ready to sync from it.

pub mod exact;
pub mod sync_org;

use impersync_store::{Backend, OpenOptions, Store};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, AssertSqlSafe};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The variable naming the PostgreSQL server the tests may create databases on.
pub const PG_ENV: &str = "IMPERSYNC_TEST_POSTGRES_URL";

/// Writes past the test harness's output capture, so it shows even for a passing test.
pub fn loud(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// One test's database and data directory.
pub struct TestDb {
    /// The backend.
    pub backend: Backend,
    /// The database URL.
    pub url: String,
    /// The data directory (key file, SQLite file).
    pub dir: tempfile::TempDir,
    /// PostgreSQL only: the admin URL and the database to drop.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite database in a temporary folder.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = impersync_store::sqlite_url(dir.path());
        Self {
            backend: Backend::Sqlite,
            url,
            dir,
            pg: None,
        }
    }

    /// A fresh database on the test server, or `None` (after saying why) when there is none.
    pub async fn postgres() -> Option<Self> {
        let Some(admin_url) = std::env::var(PG_ENV).ok().filter(|v| !v.is_empty()) else {
            let message = format!(
                "skipped: PostgreSQL tests need {PG_ENV} (scripts/with-postgres.sh starts a throwaway cluster: \
                 scripts/with-postgres.sh cargo test -p impersync-store)"
            );
            if std::env::var_os("IMPERSYNC_REQUIRE_ALL").is_some() {
                panic!("{message}; IMPERSYNC_REQUIRE_ALL is set, so this is a failure");
            }
            loud(&format!("\n*** {message} ***\n"));
            return None;
        };
        sqlx::any::install_default_drivers();
        let name = format!("impersync_test_{:016x}", rand::random::<u64>());
        let admin = admin_pool(&admin_url).await;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create the test database");
        admin.close().await;
        Some(Self {
            backend: Backend::Postgres,
            url: with_database(&admin_url, &name),
            dir: tempfile::tempdir().expect("temp dir"),
            pg: Some((admin_url, name)),
        })
    }

    /// Options for this database with the key file in the data directory.
    pub fn options(&self) -> OpenOptions {
        self.options_in(self.dir.path())
    }

    /// Options for this database with another data directory (another key file).
    pub fn options_in(&self, data_dir: &Path) -> OpenOptions {
        OpenOptions::new(data_dir).database_url(self.url.clone())
    }

    /// The key file's path.
    pub fn key_file(&self) -> PathBuf {
        self.dir.path().join(impersync_store::KEY_FILE_NAME)
    }

    /// Opens the store.
    pub async fn open(&self) -> Store {
        Store::open(self.options()).await.expect("open the store")
    }

    /// A separate raw pool on the same database, to look at what is really stored.
    pub async fn raw(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .expect("raw pool")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.pg.take() else {
            return;
        };
        // Runs on its own thread and runtime, so it also works while a failed test unwinds.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let admin = admin_pool(&admin_url).await;
                let dropped = sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&admin)
                .await;
                if let Err(e) = dropped {
                    loud(&format!("could not drop the test database {name}: {e}"));
                }
                admin.close().await;
            });
        })
        .join();
    }
}

async fn admin_pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {PG_ENV}: {e}"))
}

/// The URL with its database name replaced.
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    match query {
        Some(q) => format!("{scheme}://{authority}/{database}?{q}"),
        None => format!("{scheme}://{authority}/{database}"),
    }
}

/// Runs `scenario(&TestDb)` as two tests, `sqlite` and `postgres`, in a module named after it.
#[macro_export]
macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::sqlite().await;
                super::$name(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::TestDb::postgres().await else {
                    return;
                };
                super::$name(&db).await;
            }
        }
    };
}
