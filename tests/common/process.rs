//! `prasme serve` as a child process: its own address space, aggregate cache,
//! writer and projection runner, as a second replica in production would be.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct ServerProcess {
    pub addr: SocketAddr,
    child: Child,
}

impl ServerProcess {
    /// Starts the binary on `database_url` on a free port and waits until it
    /// says where it serves.
    pub fn spawn(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_prasme"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--db-connections",
                "8",
                "--log-json",
            ])
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start prasme serve");
        let stderr = child.stderr.take().unwrap();
        let (found, addr) = mpsc::channel();
        // Keeps draining the log after the address, so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if let Some(addr) = entry["fields"]["addr"]
                    .as_str()
                    .and_then(|a| a.parse::<SocketAddr>().ok())
                {
                    if let Some(found) = found.take() {
                        let _ = found.send(addr);
                    }
                }
            }
        });
        let addr = addr
            .recv_timeout(Duration::from_secs(60))
            .expect("prasme serve logs its address within 60 s");
        Self { addr, child }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
