//! Files written whole: every output of quantsr (frames, reports, caches, screenshots) is
//! written under a temporary name beside its final one and renamed into place, so a reader, a
//! failed run or a crash never sees a partial file under the real name.

use std::path::{Path, PathBuf};

/// The rename that puts a written file into place failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot rename {} into place as {}: {source}", .from.display(), .to.display())]
pub struct PlaceError {
    /// The temporary file that was written.
    pub from: PathBuf,
    /// The final name.
    pub to: PathBuf,
    /// Why the rename failed.
    pub source: std::io::Error,
}

/// The temporary name `path` is written under: hidden, in the same folder (so the rename never
/// crosses file systems) and unique to this process: `.{name}.{pid}.tmp`.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Whether `name` is the temporary name [`temp_path`] gives some file, and which; so a reader
/// of a folder can tell a leftover of an interrupted run from a file it does not know.
pub fn is_temp_name(name: &str) -> Option<&str> {
    let (inner, pid) = name.strip_prefix('.')?.strip_suffix(".tmp")?.rsplit_once('.')?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then_some(inner)
}

/// Runs `write` on the temporary path of `path`, then renames the result into place; on any
/// error the temporary file is removed and nothing is left under either name.
pub fn write_atomically<E: From<PlaceError>>(path: &Path, write: impl FnOnce(&Path) -> Result<(), E>) -> Result<(), E> {
    let tmp = temp_path(path);
    let result = write(&tmp).and_then(|()| {
        std::fs::rename(&tmp, path)
            .map_err(|source| PlaceError { from: tmp.clone(), to: path.to_owned(), source }.into())
    });
    if result.is_err() {
        // Best effort: the error that matters is the one being returned.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Error of [`write_bytes_atomically`]: the write or the rename.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Writing the temporary file failed.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The temporary file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Renaming it into place failed.
    #[error(transparent)]
    Place(#[from] PlaceError),
}

/// Writes `bytes` to `path` whole ([`write_atomically`]).
pub fn write_bytes_atomically(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), WriteError> {
    write_atomically(path, |tmp| {
        std::fs::write(tmp, bytes.as_ref()).map_err(|source| WriteError::Write { path: tmp.to_owned(), source })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_appears_whole_and_a_failed_one_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("quantsr-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.json");
        write_bytes_atomically(&path, b"{}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        let failed: Result<(), WriteError> = write_atomically(&dir.join("never.json"), |tmp| {
            std::fs::write(tmp, b"half").unwrap();
            Err(WriteError::Write { path: tmp.to_owned(), source: std::io::Error::other("disk full") })
        });
        assert!(failed.unwrap_err().to_string().contains("disk full"));
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.json")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temporary_names_are_recognised() {
        let tmp = temp_path(Path::new("frames/00001.color.exr"));
        let name = tmp.file_name().unwrap().to_str().unwrap();
        assert_eq!(is_temp_name(name), Some("00001.color.exr"));
        assert_eq!(is_temp_name("00001.color.exr"), None);
        assert_eq!(is_temp_name(".x..tmp"), None);
    }
}
