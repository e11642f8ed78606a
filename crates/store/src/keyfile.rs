//! The master key file in the data directory: created with mode 0600 on first start,
//! refused when other users can read it, replaced atomically on key rotation.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::StoreError;
use crate::secrets::MasterKey;

/// The key file's name inside the data directory.
pub const KEY_FILE_NAME: &str = "master.key";

/// The environment variable that holds the master key.
pub const MASTER_KEY_ENV: &str = "IMPERSYNC_MASTER_KEY";

/// Where the master key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The `IMPERSYNC_MASTER_KEY` environment variable (or the value given in its place).
    Environment,
    /// A key file.
    File(PathBuf),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Environment => f.write_str(MASTER_KEY_ENV),
            Self::File(path) => write!(f, "the key file `{}`", path.display()),
        }
    }
}

/// The path of the staged key written before a rotation commits.
pub(crate) fn staged_path(key_file: &Path) -> PathBuf {
    let mut name = key_file.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

fn key_file_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::KeyFile {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a key file, refusing one that group or others may read or write.
/// `Ok(None)` when the file does not exist.
pub(crate) fn read_key_file(path: &Path) -> Result<Option<MasterKey>, StoreError> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(key_file_error(path)(e)),
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::KeyFileInsecure {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = zeroize::Zeroizing::new(fs::read_to_string(path).map_err(key_file_error(path))?);
    MasterKey::from_base64(&text, &format!("the key file `{}`", path.display())).map(Some)
}

/// Creates a new key file holding `key`, mode 0600; fails if the file exists.
pub(crate) fn create_key_file(path: &Path, key: &MasterKey) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(key_file_error(path))?;
    write_key(&mut file, key).map_err(key_file_error(path))?;
    sync_dir(path);
    Ok(())
}

/// Writes `key` to the staged path next to `path` (replacing an older staged key), mode 0600.
pub(crate) fn stage_key_file(path: &Path, key: &MasterKey) -> Result<PathBuf, StoreError> {
    let staged = staged_path(path);
    match fs::remove_file(&staged) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(key_file_error(&staged)(e)),
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&staged)
        .map_err(key_file_error(&staged))?;
    write_key(&mut file, key).map_err(key_file_error(&staged))?;
    sync_dir(&staged);
    Ok(staged)
}

/// Moves the staged key over the key file.
pub(crate) fn promote_staged_key_file(path: &Path) -> Result<(), StoreError> {
    fs::rename(staged_path(path), path).map_err(key_file_error(path))?;
    sync_dir(path);
    Ok(())
}

/// Removes a staged key that was not used.
pub(crate) fn discard_staged_key_file(path: &Path) {
    let _ = fs::remove_file(staged_path(path));
}

fn write_key(file: &mut File, key: &MasterKey) -> io::Result<()> {
    let text = key.to_base64();
    file.write_all(text.expose().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(dir) = File::open(dir)
    {
        let _ = dir.sync_all();
    }
}

/// Creates the data directory (mode 0700) if it does not exist.
pub(crate) fn ensure_data_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| StoreError::DataDir {
            path: dir.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_0600_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        assert!(read_key_file(&path).unwrap().is_none());
        let key = MasterKey::generate();
        create_key_file(&path, &key).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_key_file(&path).unwrap().unwrap().id(), key.id());
        assert!(create_key_file(&path, &key).is_err(), "never overwrites");
    }

    #[test]
    fn readable_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        create_key_file(&path, &MasterKey::generate()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_key_file(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::KeyFileInsecure { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
    }
}
