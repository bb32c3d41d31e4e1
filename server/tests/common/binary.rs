//! The real `gallery` binary in a process of its own, for what needs the whole program:
//! its command line and environment, several servers on one database, being killed.

/// The real `gallery` binary in a process of its own, on port 0, with the given settings;
/// killed (SIGKILL) when dropped.
pub struct Binary {
    child: std::process::Child,
    pub base: String,
}

impl Binary {
    pub fn start(env: &[(&str, String)]) -> Self {
        Self::start_with_log(env, std::process::Stdio::inherit())
    }

    /// The same, with the server's log (its standard error) going to `log`.
    pub fn start_with_log(env: &[(&str, String)], log: impl Into<std::process::Stdio>) -> Self {
        use std::io::{BufRead, BufReader};
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gallery"));
        command
            .env("GALLERY_BIND", "127.0.0.1:0")
            .env("GALLERY_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line.trim().rsplit(' ').next().unwrap().to_owned();
        assert!(
            base.starts_with("http://"),
            "the server did not start: {line:?}"
        );
        Self { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs up ada@example.org (on this server's database; later calls find her there)
    /// and returns a bearer token of hers.
    pub async fn token(&self, client: &reqwest::Client) -> String {
        let creds =
            serde_json::json!({"email": "ada@example.org", "password": "correct horse battery"});
        client
            .post(self.url("/api/v1/auth/signup"))
            .json(&creds)
            .send()
            .await
            .unwrap();
        let login: serde_json::Value = client
            .post(self.url("/api/v1/auth/login"))
            .json(&creds)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        login["token"].as_str().unwrap().to_owned()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        self.kill();
    }
}
