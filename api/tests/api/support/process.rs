//! `relay-console` as a child process: commands, and `serve` on a port of its choosing.

use std::collections::HashMap;

/// A `relay-console` process with these variables (and nothing else from this process).
pub fn relay_console(vars: &HashMap<String, String>) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relay-console"));
    command
        .env_clear()
        .envs(vars)
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

/// `relay-console serve` as a child process on a port of its choosing (`BIND_ADDR` port 0);
/// its address is read from its "listening" log line, and all it prints is kept.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub base: String,
    logs: Vec<std::thread::JoinHandle<String>>,
}

/// The address in a "listening" log line, text or JSON.
fn listening_address(line: &str) -> Option<String> {
    if !line.contains("listening") {
        return None;
    }
    ["address=", "\"address\":\""].iter().find_map(|marker| {
        let rest = &line[line.find(marker)? + marker.len()..];
        let end = rest
            .find(|c: char| c == '"' || c.is_whitespace())
            .unwrap_or(rest.len());
        Some(rest[..end].to_string())
    })
}

impl Drop for ServeProcess {
    /// A test that fails midway leaves no server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeProcess {
    pub async fn start(vars: &HashMap<String, String>) -> ServeProcess {
        Self::start_in(vars, None).await
    }

    /// Starts the server in `dir` (for its `.env` and relative paths). Fails the test at once
    /// if the process exits, or does not listen within 30 s.
    pub async fn start_in(
        vars: &HashMap<String, String>,
        dir: Option<&std::path::Path>,
    ) -> ServeProcess {
        use std::io::BufRead;
        let mut vars = vars.clone();
        vars.insert("BIND_ADDR".into(), "127.0.0.1:0".into());
        let mut command = relay_console(&vars);
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        let mut child = command
            .arg("serve")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (lines, listening) = std::sync::mpsc::channel::<String>();
        let logs = vec![
            std::thread::spawn(move || {
                let mut text = String::new();
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    let _ = lines.send(line.clone());
                    text.push_str(&line);
                    text.push('\n');
                }
                text
            }),
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut { stdout }, &mut text);
                text
            }),
        ];
        let address = tokio::task::spawn_blocking(move || loop {
            match listening.recv_timeout(std::time::Duration::from_secs(30)) {
                Ok(line) => {
                    if let Some(address) = listening_address(&line) {
                        return Ok(address);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("it exited before listening")
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    return Err("it did not listen within 30 s")
                }
            }
        })
        .await
        .unwrap();
        let mut process = ServeProcess {
            child,
            base: String::new(),
            logs,
        };
        match address {
            Ok(address) => process.base = format!("http://{address}"),
            Err(why) => {
                let _ = process.child.kill();
                panic!("relay-console serve failed: {why}:\n{}", process.finish());
            }
        }
        let ready = reqwest::get(format!("{}/readyz", process.base)).await;
        assert!(
            ready.is_ok_and(|r| r.status().is_success()),
            "the server listens but is not ready"
        );
        process
    }

    pub fn signal(&self, signal: &str) {
        let ok = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for the process to end; answers what it printed (logs, then standard output).
    pub fn finish(self) -> String {
        self.finish_with_status().1
    }

    /// Waits for the process to end; answers how it ended and what it printed.
    pub fn finish_with_status(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap();
        let printed = self
            .logs
            .drain(..)
            .map(|h| h.join().unwrap_or_default())
            .collect();
        (status, printed)
    }
}
