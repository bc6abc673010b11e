//! A private PostgreSQL cluster from the system's binaries, for machines
//! where no `DATABASE_URL` is given. It listens only on a Unix socket inside
//! its data directory, so it never collides with another server's port.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LocalPostgresError {
    #[error(
        "No DATABASE_URL is set and no PostgreSQL server binaries (initdb, pg_ctl) were found on PATH \
         or under /usr/lib/postgresql/*/bin. Either install them (on Debian or Ubuntu: \
         `sudo apt-get install postgresql`; the project's scripts/ do this for you) so that Prasme can \
         start a private cluster, or point Prasme at a running server with \
         DATABASE_URL=postgres://user@host:5432/database."
    )]
    NoBinaries,
    #[error("{command} failed: {detail}")]
    Command { command: String, detail: String },
    #[error("the data directory path {0} is too long for a Unix socket; set PRASME_PG_DIR to a shorter one")]
    PathTooLong(PathBuf),
    #[error("cannot prepare {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A running private cluster. Every process using it holds a shared lock on
/// `pg.users` beside the data directory; `stop` stops the cluster only if
/// this process started it and no other process still uses it.
#[derive(Debug)]
pub struct LocalPostgres {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    started_here: bool,
    /// Held shared while this process uses the cluster.
    using: Option<File>,
}

/// Longest socket path a Unix socket address holds, less the file name.
const MAX_SOCKET_DIR: usize = 90;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LocalPostgresError + '_ {
    move |source| LocalPostgresError::Io {
        path: path.to_owned(),
        source,
    }
}

impl LocalPostgres {
    /// `PRASME_PG_DIR`, else `.prasme/pg` in the working directory. As root,
    /// the server must run as another user who can reach its directory, so
    /// the default moves under /var/tmp.
    pub fn default_data_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("PRASME_PG_DIR") {
            return PathBuf::from(dir);
        }
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        if is_root() {
            let tag = fnv1a(cwd.to_string_lossy().as_bytes());
            PathBuf::from(format!("/var/tmp/prasme-{tag:016x}/pg"))
        } else {
            cwd.join(".prasme").join("pg")
        }
    }

    /// The directory holding initdb and pg_ctl.
    pub fn find_binaries() -> Result<PathBuf, LocalPostgresError> {
        let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
        if let Some(path) = std::env::var_os("PATH") {
            if let Some(dir) = std::env::split_paths(&path).find(|d| has_both(d)) {
                return Ok(dir);
            }
        }
        let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                let bin = e.path().join("bin");
                has_both(&bin).then_some((version, bin))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin).ok_or(LocalPostgresError::NoBinaries)
    }

    /// Initialises the cluster if needed and starts it unless it is running.
    /// Safe to call from several processes at once.
    pub fn start(data_dir: &Path) -> Result<Self, LocalPostgresError> {
        let bin_dir = Self::find_binaries()?;
        let data_dir = std::path::absolute(data_dir).map_err(io(data_dir))?;
        if data_dir.as_os_str().len() > MAX_SOCKET_DIR {
            return Err(LocalPostgresError::PathTooLong(data_dir));
        }
        let parent = data_dir.parent().unwrap_or(Path::new("/")).to_owned();
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        own_directory(&parent)?;
        let run_as = if is_root() { Some(service_user()?) } else { None };

        // Starting and stopping take `pg.lock` exclusively, one process at a time.
        let guard = lock_file(&parent.join("pg.lock"))?;
        guard.lock().map_err(io(&parent))?;
        let using = lock_file(&parent.join("pg.users"))?;
        using.lock_shared().map_err(io(&parent))?;

        let mut cluster = Self {
            data_dir,
            bin_dir,
            run_as,
            started_here: false,
            using: Some(using),
        };
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if !cluster.is_running() {
            cluster.run_pg_ctl(&["start", "-w", "-t", "60"])?;
            cluster.started_here = true;
        }
        Ok(cluster)
    }

    fn init(&self) -> Result<(), LocalPostgresError> {
        fs::create_dir_all(&self.data_dir).map_err(io(&self.data_dir))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&self.data_dir, Some(uid), Some(gid)).map_err(io(&self.data_dir))?;
        }
        let out = self
            .command("initdb")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
            .output()
            .map_err(io(&self.bin_dir))?;
        check("initdb", out)
    }

    fn is_running(&self) -> bool {
        self.command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.data_dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn run_pg_ctl(&self, args: &[&str]) -> Result<(), LocalPostgresError> {
        let log = self.data_dir.join("server.log");
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c max_connections=300",
            self.data_dir.display()
        );
        let out = self
            .command("pg_ctl")
            .args(args)
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(options)
            .output()
            .map_err(io(&self.bin_dir))?;
        check(&format!("pg_ctl {}", args.join(" ")), out)
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(self.bin_dir.join(program));
        if let Some((uid, gid)) = self.run_as {
            c.uid(uid).gid(gid).current_dir("/");
        }
        c
    }

    /// A connection URL for `database` over the cluster's socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost/{database}?host={}",
            self.data_dir.display()
        )
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the cluster if this process started it and no other process
    /// (a test run, a `prasme rebuild`) still uses it.
    pub fn stop(mut self) -> Result<(), LocalPostgresError> {
        let parent = self.data_dir.parent().unwrap_or(Path::new("/")).to_owned();
        let guard = lock_file(&parent.join("pg.lock"))?;
        guard.lock().map_err(io(&parent))?;
        drop(self.using.take());
        let users = lock_file(&parent.join("pg.users"))?;
        let alone = users.try_lock().is_ok();
        if !alone {
            tracing::info!("the private cluster is still in use elsewhere; leaving it running");
        }
        if self.started_here && alone {
            let out = self
                .command("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(&self.data_dir)
                .args(["-m", "fast", "-w"])
                .output()
                .map_err(io(&self.bin_dir))?;
            check("pg_ctl stop", out)?;
        }
        Ok(())
    }
}

/// Opens (creating, never truncating) a lock file.
fn lock_file(path: &Path) -> Result<File, LocalPostgresError> {
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io(path))
}

/// The directory holding the cluster must be a real directory owned by this
/// user, so that no one else can plant files or links in it (as root, under
/// the shared /var/tmp).
fn own_directory(dir: &Path) -> Result<(), LocalPostgresError> {
    let meta = fs::symlink_metadata(dir).map_err(io(dir))?;
    let me = fs::metadata("/proc/self").map_err(io(dir))?.uid();
    if !meta.is_dir() || meta.uid() != me {
        return Err(LocalPostgresError::Io {
            path: dir.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "not a directory owned by this user; remove it or set PRASME_PG_DIR",
            ),
        });
    }
    if is_root() {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(io(dir))?;
    }
    Ok(())
}

fn check(command: &str, out: Output) -> Result<(), LocalPostgresError> {
    if out.status.success() {
        Ok(())
    } else {
        Err(LocalPostgresError::Command {
            command: command.to_owned(),
            detail: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        })
    }
}

fn is_root() -> bool {
    fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// PostgreSQL refuses to run as root; run it as `postgres` (the Debian
/// package's user) or else `nobody`.
fn service_user() -> Result<(u32, u32), LocalPostgresError> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(io(Path::new("/etc/passwd")))?;
    for wanted in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() > 3 && fields[0] == wanted {
                if let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse()) {
                    return Ok((uid, gid));
                }
            }
        }
    }
    Err(LocalPostgresError::Command {
        command: "looking up a user to run PostgreSQL as".into(),
        detail: "neither `postgres` nor `nobody` exists".into(),
    })
}

/// A stable 64-bit hash (FNV-1a) for naming directories.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
