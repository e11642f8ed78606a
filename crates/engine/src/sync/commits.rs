//! Group commit for one round of syncs: the mailbox tasks hand their pages and finished
//! leases to one committer, which writes whatever has queued up while the previous group
//! committed in one transaction ([`SyncWorker::commit`]). A task waits for its own write's
//! result before it goes on, so each page is still committed before the next is read,
//! and a mailbox finishes only after its last page is stored.

use super::mailbox::SyncError;
use impersync_store::{
    Lease, PageReport, PreparedPage, Principal, Store, SyncFailure, SyncWorker, SyncWrite,
    SyncWritten, now_millis,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// The most writes one transaction takes.
pub const MAX_GROUP: usize = 64;

type Reply = oneshot::Sender<Result<SyncWritten, impersync_store::StoreError>>;

/// Where mailbox tasks send their writes; cloned for each task.
#[derive(Debug, Clone)]
pub struct CommitQueue {
    sender: mpsc::UnboundedSender<(SyncWrite, Reply)>,
}

/// The receiving end, run by [`Committer::run`] next to the mailbox tasks.
#[derive(Debug)]
struct Committer {
    receiver: mpsc::UnboundedReceiver<(SyncWrite, Reply)>,
}

/// A queue and its committer running as a task: one per worker, shared by its rounds, so
/// that their writes form one line of groups (on SQLite, one writer that never waits for
/// another's lock).
#[derive(Debug)]
pub(super) struct CommitLine {
    queue: CommitQueue,
    task: JoinSet<()>,
}

impl CommitLine {
    /// Starts a committer on `store` as `principal` (a system principal).
    pub(super) fn start(store: Store, principal: Principal) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut task = JoinSet::new();
        task.spawn(Committer { receiver }.run_on(store, principal));
        Self {
            queue: CommitQueue { sender },
            task,
        }
    }

    /// Where mailbox tasks send their writes.
    pub(super) fn queue(&self) -> &CommitQueue {
        &self.queue
    }

    /// Waits until the committer has committed what it was sent and stopped, once every
    /// clone of the queue is dropped (the mailbox tasks have ended or were stopped).
    pub(super) async fn finish(mut self) {
        drop(self.queue);
        while let Some(done) = self.task.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "sync: the committer failed");
            }
        }
    }
}

impl CommitQueue {
    /// Commits `page` under `lease`; what it changed.
    pub async fn page(&self, lease: &Lease, page: PreparedPage) -> Result<PageReport, SyncError> {
        let write = SyncWrite::Page {
            lease: lease.clone(),
            page,
        };
        match self.send(write).await? {
            SyncWritten::Page(report) => Ok(report),
            SyncWritten::Finished => Ok(PageReport::default()),
        }
    }

    /// Ends `lease` after a successful sync, due again at `next_due`, with what the sync
    /// could not do (`warning`) as the mailbox's error.
    pub async fn finished(
        &self,
        lease: &Lease,
        next_due: i64,
        warning: Option<SyncFailure>,
    ) -> Result<(), SyncError> {
        let write = SyncWrite::Finished {
            lease: lease.clone(),
            next_due,
            warning,
        };
        self.send(write).await.map(|_| ())
    }

    async fn send(&self, write: SyncWrite) -> Result<SyncWritten, SyncError> {
        let (reply, result) = oneshot::channel();
        self.sender
            .send((write, reply))
            .map_err(|_| SyncError::Stopped)?;
        Ok(result.await.map_err(|_| SyncError::Stopped)??)
    }
}

impl Committer {
    /// Commits groups on `store` as `principal` (a system principal) until every
    /// [`CommitQueue`] is dropped. Run as its own task: the mailbox tasks' work (reading
    /// and decoding answers, preparing pages) then never delays a commit.
    async fn run_on(self, store: Store, principal: Principal) {
        match store.sync_worker(&principal) {
            Ok(worker) => self.run(&worker).await,
            Err(e) => tracing::error!(error = %e, "sync: the committer cannot write"),
        }
    }

    async fn run(mut self, worker: &SyncWorker<'_>) {
        let mut jobs = Vec::with_capacity(MAX_GROUP);
        while self.receiver.recv_many(&mut jobs, MAX_GROUP).await > 0 {
            let (writes, replies): (Vec<SyncWrite>, Vec<Reply>) = jobs.drain(..).unzip();
            let results = worker.commit(&writes, now_millis()).await;
            for (reply, result) in replies.into_iter().zip(results) {
                // A task that stopped waiting (its lease was lost) needs no answer.
                let _ = reply.send(result);
            }
        }
    }
}
