//! Output files written whole or not at all: [`AtomicFile`] and
//! [`write_atomic`], used by `apply`, `bench --json` and `plot`.
//!
//! The data goes to a temporary file created in the output's own directory
//! with an unpredictable name and exclusive creation (`O_EXCL`: never
//! through a planted link, never over another file; the `tempfile` crate),
//! then renamed over the output, so readers see the old file or the complete
//! new one. The temporary is removed on every error, when an unfinished
//! [`AtomicFile`] is dropped, and on SIGINT, SIGTERM or SIGHUP (the process
//! then dies of that signal, as it would have).
//!
//! The output path must be absent or a regular file: a symbolic link (even
//! to a regular file), directory, FIFO, socket or device there is refused,
//! never replaced or written through. A replaced file keeps its permission
//! read/write/execute bits; a new one gets the usual `0o666` less the umask.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tempfile::NamedTempFile;

/// Temporary files not yet renamed or removed, for the signal handler.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An output file being written; [`commit`](AtomicFile::commit) puts it in
/// place, dropping it instead removes the temporary.
pub struct AtomicFile {
    /// `None` once committed.
    tmp: Option<NamedTempFile>,
    tmp_path: PathBuf,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path` (see the module docs for which paths are
    /// refused).
    pub fn create(path: &Path) -> Result<AtomicFile, String> {
        let fail = |why: String| format!("cannot write {}: {why}", path.display());
        let old = match fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => Some(m.permissions()),
            Ok(m) => {
                return Err(fail(format!(
                    "it is {}; only a regular file is replaced",
                    kind(&m.file_type())
                )))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(fail(e.to_string())),
        };
        if path.file_name().is_none() {
            return Err(fail("not a file name".into()));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        watch_signals();
        let mut builder = tempfile::Builder::new();
        #[cfg(unix)]
        let old = {
            use std::os::unix::fs::PermissionsExt;
            // The read/write/execute bits only: no set-user-ID on new data.
            let old = old.map(|p| fs::Permissions::from_mode(p.mode() & 0o777));
            // Created with no more than those (or 0o666), umask applied, so
            // that no one else can open it meanwhile.
            builder.permissions(old.clone().unwrap_or(fs::Permissions::from_mode(0o666)));
            old
        };
        // Registered under the lock, so that a signal arriving now either
        // sees the file or comes before it exists.
        let mut pending = pending();
        let tmp = builder.tempfile_in(dir).map_err(|e| {
            let d = dir.display();
            fail(if e.kind() == io::ErrorKind::PermissionDenied {
                format!("the directory {d} is not writable")
            } else {
                format!("cannot create a temporary file in {d}: {e}")
            })
        })?;
        pending.push(tmp.path().to_owned());
        drop(pending);
        let file = AtomicFile {
            tmp_path: tmp.path().to_owned(),
            tmp: Some(tmp),
            path: path.to_owned(),
        };
        if let Some(p) = old {
            file.file()
                .set_permissions(p)
                .map_err(|e| fail(format!("cannot keep its permissions: {e}")))?;
        }
        Ok(file)
    }

    fn file(&self) -> &fs::File {
        self.tmp
            .as_ref()
            .expect("an AtomicFile is open until commit consumes it")
            .as_file()
    }

    /// Flushes the data to disk and renames the temporary over the output.
    pub fn commit(mut self) -> Result<(), String> {
        let fail = |e: io::Error| format!("cannot write {}: {e}", self.path.display());
        self.file().sync_all().map_err(fail)?;
        let tmp = self.tmp.take().expect("an AtomicFile is committed once");
        let mut pending = pending();
        let result = tmp.persist(&self.path);
        pending.retain(|p| *p != self.tmp_path);
        // On failure the error holds the temporary, removed when it drops.
        result.map(drop).map_err(|e| fail(e.error))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let mut pending = pending();
            drop(tmp); // removes the file
            pending.retain(|p| *p != self.tmp_path);
        }
    }
}

/// Whether `a` and `b` name the same directory entry, the one a commit
/// renames over: the same file name in the same directory once the
/// directories' paths are resolved (`x.npy` and `./x.npy` are the same). A
/// directory that cannot be resolved is compared as written.
pub fn same_entry(a: &Path, b: &Path) -> bool {
    let split = |p: &Path| {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        (dir, p.file_name().map(ToOwned::to_owned))
    };
    split(a) == split(b)
}

/// Writes `bytes` to `path` through an [`AtomicFile`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.commit()
}

fn kind(t: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_symlink() {
        "a symbolic link (give the path it points to)"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Starts (once) a thread that removes the pending temporaries when the
/// process gets SIGINT, SIGTERM or SIGHUP, then dies of the signal.
fn watch_signals() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        static START: std::sync::Once = std::sync::Once::new();
        START.call_once(|| {
            // Without the handler (registration failed, which needs a broken
            // process) a signal leaves the temporary behind, as before.
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            else {
                return;
            };
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    // Held until the end: no temporary is created or
                    // renamed after this point.
                    let pending = pending();
                    for p in pending.iter() {
                        let _ = fs::remove_file(p);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                    std::process::exit(128 + sig);
                }
            });
        });
    }
}
