//! Output files: the one policy for every path a command writes, and the temporary-file guard.
//!
//! - [`check_output`] refuses paths that are not (or would not become) regular files: a
//!   directory, a device such as `/dev/null`, a FIFO, a socket, a symbolic link to one of those
//!   or to nothing, or a file in a directory that does not exist. fairsynth writes through a
//!   temporary file and a rename, which would replace such a node, so it never writes to one.
//!   A symbolic link to a regular file is followed: the file it points to is replaced and the
//!   link is kept.
//! - [`TempOutput`] is the only way a temporary output is created. Its name is
//!   `.NAME.PID.XXXXXX.tmp` beside the target; it is registered so that
//!   [`install_signal_cleanup`] can remove it on SIGINT, SIGTERM or SIGHUP, and it is deleted
//!   when dropped unfinished. Creating one removes the temporary files of the same target left
//!   by fairsynth processes that no longer run (killed with SIGKILL, or a power cut).
//! - A [`Transaction`] holds finished outputs back until [`Transaction::commit`], so that a
//!   command's data file and its side reports appear together or not at all.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::IoError;

/// Temporary files alive in this process, for the signal handler to remove.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Finished outputs waiting for [`Transaction::commit`]; `None` when no transaction is open.
static STAGED: Mutex<Option<Vec<TempOutput>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves the data usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What kind of non-regular file a path names, in words.
fn kind_of(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The directory a path's file lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Checks that `path` may be written as an output and returns the path to rename the finished
/// file onto: `path` itself, or the regular file a symbolic link at `path` points to.
pub fn check_output(path: &Path) -> Result<PathBuf, IoError> {
    let refuse = |kind: &'static str| IoError::NotRegular {
        path: path.to_path_buf(),
        kind,
    };
    if path.file_name().is_none() {
        return Err(refuse("not a file name"));
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(path) {
            Ok(_) if through_proc_or_dev(path) => Err(refuse(
                "a symbolic link into /proc or /dev (such as /proc/self/fd/1, a process's open file)",
            )),
            Ok(m) if m.is_file() => path.canonicalize().map_err(|source| IoError::Fs {
                what: "cannot resolve the link",
                path: path.to_path_buf(),
                source,
            }),
            Ok(m) => Err(refuse(match kind_of(&m.file_type()) {
                "a directory" => "a symbolic link to a directory",
                "a character device" => "a symbolic link to a character device",
                "a block device" => "a symbolic link to a block device",
                "a FIFO (named pipe)" => "a symbolic link to a FIFO (named pipe)",
                "a socket" => "a symbolic link to a socket",
                _ => "a symbolic link to something that is not a regular file",
            })),
            Err(_) => Err(refuse("a symbolic link to nothing")),
        },
        Ok(meta) if meta.is_file() => Ok(path.to_path_buf()),
        Ok(meta) => Err(refuse(kind_of(&meta.file_type()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = parent_dir(path);
            match std::fs::metadata(&dir) {
                Ok(m) if m.is_dir() => Ok(path.to_path_buf()),
                Ok(_) => Err(IoError::MissingDir {
                    path: path.to_path_buf(),
                    dir,
                    problem: "is not a directory",
                }),
                Err(_) => Err(IoError::MissingDir {
                    path: path.to_path_buf(),
                    dir,
                    problem: "does not exist",
                }),
            }
        }
        Err(source) => Err(IoError::Fs {
            what: "cannot write",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Whether a chain of symbolic links from `path` passes through /proc or /dev. Links such as
/// `/proc/self/fd/1` name another file's open descriptor (a terminal, a pipe, a log file a
/// shell redirected to); replacing what they resolve to is never what was meant.
fn through_proc_or_dev(path: &Path) -> bool {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        let Ok(next) = std::fs::read_link(&p) else {
            return false;
        };
        let next = if next.is_absolute() {
            next
        } else {
            parent_dir(&p).join(next)
        };
        if next.starts_with("/proc") || next.starts_with("/dev") {
            return true;
        }
        p = next;
    }
    false
}

/// The file `path` names, for comparing paths: links and `..` resolved where the file or its
/// directory exists.
pub fn identity(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (parent_dir(path).canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every live temporary output and
/// then end the process as the signal would have (exit status 128 + signal number in a shell),
/// and turns SIGXFSZ (file size limit exceeded) into an ordinary write error. Call once, early
/// in `main`.
#[cfg(unix)]
pub fn install_signal_cleanup() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
    // Past a file-size limit (`ulimit -f`) the default action of SIGXFSZ kills the process
    // before it can clean up; with a handler, the write fails with EFBIG like any other write
    // error, and the ordinary error path removes the temporary file.
    // SAFETY: the handler does nothing, which is async-signal-safe.
    unsafe { signal_hook::low_level::register(SIGXFSZ, || {}) }?;
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("signal-cleanup".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                remove_live_files();
                // Restores the default action and raises the signal again.
                let _ = signal_hook::low_level::emulate_default_handler(sig);
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}

/// Without Unix signals there is nothing to install; unfinished files are still removed on
/// every error path.
#[cfg(not(unix))]
pub fn install_signal_cleanup() -> std::io::Result<()> {
    Ok(())
}

/// Removes every registered temporary file (the signal handler's work).
fn remove_live_files() {
    // A signal can arrive while the lock is held by a thread now frozen mid-update; try a few
    // times rather than wait for ever.
    for _ in 0..100 {
        if let Ok(live) = LIVE.try_lock() {
            for p in live.iter() {
                let _ = std::fs::remove_file(p);
            }
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Removes `.NAME.PID.XXXXXX.tmp` files beside `target` whose process is gone. Only Linux
/// says reliably whether a process runs (`/proc/PID`); elsewhere nothing is removed.
fn remove_stale(dir: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        // rest = PID.XXXXXX
        let Some((pid, random)) = rest.split_once('.') else {
            continue;
        };
        if random.len() != 6
            || !random.bytes().all(|b| b.is_ascii_alphanumeric())
            || pid.is_empty()
            || !pid.bytes().all(|b| b.is_ascii_digit())
        {
            continue;
        }
        if pid != std::process::id().to_string()
            && !Path::new("/proc").join(pid).exists()
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A temporary file beside an output, removed unless it is renamed onto the output.
pub struct TempOutput {
    target: PathBuf,
    tmp: Option<tempfile::TempPath>,
    file: Option<File>,
}

impl TempOutput {
    /// Checks `target` with [`check_output`], removes stale temporary files of the same
    /// target, and creates a new temporary file beside it (mode 0666 less the umask).
    pub fn create(target: &Path) -> Result<TempOutput, IoError> {
        let target = check_output(target)?;
        let dir = parent_dir(&target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_stale(&dir, &name);
        let mut builder = tempfile::Builder::new();
        let prefix = format!(".{name}.{}.", std::process::id());
        builder.prefix(&prefix).suffix(".tmp").rand_bytes(6);
        // Temporary files default to 0600; the finished file should get the usual umask mode.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        // Registered before it exists, so a signal in between cannot miss it; the name is
        // known only after creation, hence the lock around both.
        let mut live = lock(&LIVE);
        let tmp = builder.tempfile_in(&dir).map_err(|e| IoError::Fs {
            what: "cannot create a temporary file beside",
            path: target.clone(),
            // tempfile adds the temporary path to its message; the OS error is what matters.
            source: std::io::Error::new(e.kind(), strip_path(&e)),
        })?;
        let (file, tmp) = tmp.into_parts();
        live.push(tmp.to_path_buf());
        drop(live);
        Ok(TempOutput {
            target,
            tmp: Some(tmp),
            file: Some(file),
        })
    }

    /// The open temporary file.
    pub fn file(&mut self) -> Option<&mut File> {
        self.file.as_mut()
    }

    /// Takes the open temporary file (to wrap in a writer); the path stays guarded.
    pub fn take_file(&mut self) -> Option<File> {
        self.file.take()
    }

    /// The output this file will become.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the finished file onto its target, or, while a [`Transaction`] is open, holds it
    /// back until the transaction commits.
    pub fn finish(mut self) -> Result<(), IoError> {
        self.file = None;
        let mut staged = lock(&STAGED);
        if let Some(list) = staged.as_mut() {
            list.push(self);
            return Ok(());
        }
        drop(staged);
        self.persist()
    }

    fn persist(mut self) -> Result<(), IoError> {
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        let path = tmp.to_path_buf();
        let result = tmp.persist(&self.target).map_err(|e| {
            // The temporary file is removed when `e` (holding it) drops.
            IoError::Fs {
                what: "cannot rename the finished file to",
                path: self.target.clone(),
                source: e.error,
            }
        });
        unregister(&path);
        result
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        self.file = None;
        if let Some(tmp) = self.tmp.take() {
            let path = tmp.to_path_buf();
            drop(tmp); // deletes the file
            unregister(&path);
        }
    }
}

fn unregister(path: &Path) {
    let mut live = lock(&LIVE);
    if let Some(i) = live.iter().position(|p| p == path) {
        live.swap_remove(i);
    }
}

/// tempfile's error text without the `at path "..."` it appends.
fn strip_path(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" at path ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Holds every output finished while it is open, and renames them all at
/// [`commit`](Transaction::commit): side reports first, the data file last, so that a report
/// that cannot be written leaves no data file behind. Dropping it uncommitted removes them all.
/// One transaction at a time per process (the command line opens one per command).
pub struct Transaction(());

impl Transaction {
    /// Opens the transaction.
    pub fn begin() -> Transaction {
        *lock(&STAGED) = Some(Vec::new());
        Transaction(())
    }

    /// Renames every held output onto its target, the most recently finished first.
    pub fn commit(self) -> Result<(), IoError> {
        let list = lock(&STAGED).take().unwrap_or_default();
        let mut result = Ok(());
        for out in list.into_iter().rev() {
            if result.is_ok() {
                result = out.persist();
            } // else: dropped, so removed
        }
        result
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        let list = lock(&STAGED).take();
        drop(list); // removes every uncommitted temporary file
    }
}
