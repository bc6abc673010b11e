//! `prasme serve` as a child process: its own address space, aggregate cache,
//! writer and projection runner, as a second replica in production would be.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

pub struct ServerProcess {
    pub addr: SocketAddr,
    child: Child,
    /// Every line it has written to stderr so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts the binary on `database_url` on a free port, logging JSON, and
    /// waits until it says where it serves.
    pub fn spawn(database_url: &str) -> Self {
        Self::spawn_logging(database_url, true)
    }

    /// The same, logging JSON or the human-readable format.
    pub fn spawn_logging(database_url: &str, json: bool) -> Self {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--db-connections", "8"];
        if json {
            args.push("--log-json");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_prasme"))
            .args(args)
            .env("DATABASE_URL", database_url)
            .env(
                "PRASME_AUTH_SECRET",
                std::str::from_utf8(super::server::TEST_SECRET).expect("the test secret is text"),
            )
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start prasme serve");
        let stderr = child.stderr.take().unwrap();
        let (found, addr) = mpsc::channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        // Keeps draining the log after the address, so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if found.is_some() {
                    if let Some(addr) = served_at(&line) {
                        if let Some(found) = found.take() {
                            let _ = found.send(addr);
                        }
                    }
                }
                if let Ok(mut kept) = kept.lock() {
                    kept.push(line);
                }
            }
        });
        let addr = addr
            .recv_timeout(Duration::from_secs(60))
            .expect("prasme serve logs its address within 60 s");
        Self { addr, child, log }
    }

    /// The lines it has logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// The address in the line that says where the server serves: the `addr`
/// field, in JSON or as `addr=…` in the human-readable format.
fn served_at(line: &str) -> Option<SocketAddr> {
    if let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) {
        return entry["fields"]["addr"].as_str()?.parse().ok();
    }
    let (_, rest) = line.split_once("addr=")?;
    rest.split_whitespace().next()?.parse().ok()
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
