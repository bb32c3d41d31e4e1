//! The letters the server sent, as the tests' SMTP server (tests/mail/server.py, started by
//! scripts/test.sh) kept them: one `.eml` file each in `GALLERY_TEST_MAIL_DIR`.

use std::time::{Duration, Instant};

use gallery::Config;

/// One letter: who it went to, its subject, and its plain-text and HTML bodies.
#[derive(Debug, Clone)]
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Letter {
    /// The token of the first link in the letter to `path` (`/reset-password`).
    pub fn token(&self, path: &str) -> String {
        let marker = format!("{path}?token=");
        let start = self
            .text
            .find(&marker)
            .unwrap_or_else(|| panic!("no {path} link in {:?}", self.text))
            + marker.len();
        self.text[start..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect()
    }

    /// The first whole link in the letter's text.
    pub fn link(&self) -> String {
        let start = self.text.find("http").expect("a link in the letter");
        self.text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect()
    }
}

pub fn smtp_addr() -> String {
    std::env::var("GALLERY_TEST_SMTP")
        .expect("GALLERY_TEST_SMTP is not set: run the tests with scripts/test.sh")
}

fn mail_dir() -> String {
    std::env::var("GALLERY_TEST_MAIL_DIR")
        .expect("GALLERY_TEST_MAIL_DIR is not set: run the tests with scripts/test.sh")
}

/// A server's settings for sending to the tests' SMTP server.
pub fn with_mail(c: &mut Config) {
    c.smtp_url = Some(format!("smtp://{}", smtp_addr()));
    c.mail_from = "Gallery <gallery@example.test>".into();
}

/// Every letter to `to` so far, oldest first.
pub fn letters_to(to: &str) -> Vec<Letter> {
    let mut files: Vec<_> = std::fs::read_dir(mail_dir())
        .expect("the mail folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let raw = std::fs::read(&path).ok()?;
            let message = mail_parser::MessageParser::default().parse(&raw)?;
            let envelope = message
                .header_raw("X-Envelope-To")
                .unwrap_or_default()
                .trim()
                .to_lowercase();
            (envelope == to.to_lowercase()).then(|| Letter {
                to: envelope,
                subject: message.subject().unwrap_or_default().to_owned(),
                text: message.body_text(0).unwrap_or_default().into_owned(),
                html: message.body_html(0).unwrap_or_default().into_owned(),
            })
        })
        .collect()
}

/// Waits (up to 20 s) for the `n`-th letter to `to` whose subject holds `subject`.
pub async fn wait_letter(to: &str, subject: &str, n: usize) -> Letter {
    let start = Instant::now();
    loop {
        let found: Vec<Letter> = letters_to(to)
            .into_iter()
            .filter(|l| l.subject.contains(subject))
            .collect();
        if found.len() >= n {
            return found[n - 1].clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no letter {n} \"{subject}\" to {to} came; got {:?}",
            letters_to(to)
                .iter()
                .map(|l| &l.subject)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An address no other test uses.
pub fn address(name: &str) -> String {
    format!("{name}-{}@example.test", uuid_like())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{}", nanos, N.fetch_add(1, Ordering::Relaxed))
}
