//! What every operation handler works with: the directory and who acts on which mailbox.

use crate::directory::{Directory, User, UserNo};
use crate::mailbox::{Content, ItemRecord, Mailbox, generate, ids};
use crate::sim::Sim;
use impersync_ews::ResponseCode;
use impersync_ews::types::{EntityId, FolderRef, Item};

/// The state one EWS request is served against.
pub struct Ctx<'a> {
    /// The directory, read-locked for the request.
    pub dir: &'a Directory,
    /// The simulator.
    pub sim: &'a Sim,
    /// The user whose mailbox the request acts on (the impersonated user, or the caller).
    pub acting: UserNo,
}

/// A per-message failure: code and text.
pub type OpError = (ResponseCode, String);

impl<'a> Ctx<'a> {
    /// The acting user.
    pub fn user(&self) -> &'a User {
        self.dir.user(self.acting)
    }

    /// The acting user's mailbox, or `ErrorNonExistentMailbox`.
    pub fn mailbox(&self) -> Result<&'a Mailbox, OpError> {
        self.user().mailbox.as_ref().ok_or_else(|| {
            (
                ResponseCode::ErrorNonExistentMailbox,
                format!(
                    "The SMTP address has no mailbox associated with it: {}",
                    self.user().primary_smtp
                ),
            )
        })
    }

    /// Resolves a folder reference to a folder number of the acting mailbox.
    pub fn folder(&self, folder: &FolderRef) -> Result<u16, OpError> {
        match folder {
            FolderRef::Distinguished(d) => {
                if let Some(address) = &d.mailbox {
                    let owner = self.dir.find_user(address).ok_or_else(|| {
                        (
                            ResponseCode::ErrorNonExistentMailbox,
                            format!(
                                "The SMTP address has no mailbox associated with it: {address}"
                            ),
                        )
                    })?;
                    if owner != self.acting {
                        return Err(access_denied());
                    }
                }
                self.mailbox()?.distinguished(&d.name).ok_or_else(|| {
                    (
                        ResponseCode::ErrorFolderNotFound,
                        format!("The folder `{}` does not exist.", d.name),
                    )
                })
            }
            FolderRef::Id(id) => {
                let (mailbox, folder) = ids::parse_folder_id(&id.id).ok_or_else(malformed)?;
                let mb = self.mailbox()?;
                if mailbox != mb.number {
                    return Err(access_denied());
                }
                if usize::from(folder) >= mb.folders.len() {
                    return Err((
                        ResponseCode::ErrorFolderNotFound,
                        "The specified folder could not be found in the store.".into(),
                    ));
                }
                Ok(folder)
            }
        }
    }

    /// Resolves an item id to a live item of the acting mailbox.
    pub fn item_record(&self, id: &EntityId) -> Result<(u64, &'a ItemRecord), OpError> {
        let (mailbox, serial) = ids::parse_item_id(&id.id).ok_or_else(malformed)?;
        let mb = self.mailbox()?;
        if mailbox != mb.number {
            return Err(access_denied());
        }
        mb.items
            .get(&serial)
            .filter(|r| r.is_live())
            .map(|r| (serial, r))
            .ok_or_else(|| {
                (
                    ResponseCode::ErrorItemNotFound,
                    "The specified object was not found in the store.".into(),
                )
            })
    }

    /// The full EWS view of an item of the acting mailbox.
    pub fn item(&self, serial: u64, rec: &ItemRecord) -> Item {
        let user = self.user();
        let mb = user.mailbox.as_ref().expect("items live in mailboxes");
        let folder = &mb.folders[rec.folder as usize];
        let mut item = match &rec.content {
            Content::Generated(index) => generate::item(
                self.dir.seed,
                mb.number,
                folder.kind,
                folder.distinguished == Some("sentitems"),
                *index,
                &generate::Owner {
                    name: &user.display_name,
                    smtp: &user.primary_smtp,
                    domain: &self.dir.domain,
                },
            ),
            Content::Stored(item) => (**item).clone(),
        };
        let common = item.common_mut();
        common.item_id = Some(mb.item_id(serial, rec));
        common.parent_folder_id = Some(mb.folder(rec.folder).folder_id);
        if let Item::Message(m) = &mut item {
            m.is_read = Some(rec.is_read);
        }
        item
    }
}

fn access_denied() -> OpError {
    (
        ResponseCode::ErrorAccessDenied,
        "Access is denied. Check credentials and try again.".into(),
    )
}

fn malformed() -> OpError {
    (
        ResponseCode::ErrorInvalidIdMalformed,
        "Id is malformed.".into(),
    )
}
