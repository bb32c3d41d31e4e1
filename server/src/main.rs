use clap::Parser;
use tracing_subscriber::EnvFilter;

use gallery::config::{AdminCommand, Cli, Command};
use gallery::{AppState, app, auth, db};

/// glibc lets the size above which a block gets its own mapping rise with every large
/// block freed; from then on large blocks come from the heap and stay there. A server that
/// handled a burst of sign-ins (argon2 takes 19 MiB each), large photos or long pages then
/// keeps that memory: a load test left it at 1 GB resident instead of 200 MB. Fixed
/// thresholds hand large blocks back as soon as they are freed.
fn give_large_blocks_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tunables; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}

fn main() -> anyhow::Result<()> {
    give_large_blocks_back();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    // Logs go to standard error; standard output carries only the URL line.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_env("GALLERY_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,ort=warn,sqlx=warn")),
        )
        .init();
    let mut cli = Cli::parse();
    cli.config.public_url = cli.config.public_url.filter(|u| !u.trim().is_empty());
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let state = AppState::new(cli.config.clone()).await?;
            let listener = tokio::net::TcpListener::bind(cli.config.bind).await?;
            let addr = listener.local_addr()?;
            let url = cli
                .config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}"));
            println!("Gallery is running at {url}");
            app::serve(listener, state).await
        }
        Command::Admin {
            command: AdminCommand::Promote { email },
        } => {
            let pool = db::connect(&cli.config.database_url).await?;
            let user = auth::promote(&pool, &email)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{} is now an admin", user.email);
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Invite { days, note },
        } => {
            let pool = db::connect(&cli.config.database_url).await?;
            let (_, token) = auth::invitations::create(&pool, None, note.as_deref(), days)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let path = auth::invitations::signup_path(&token);
            let base = cli.config.public_url.as_deref().unwrap_or("");
            println!("{}{path}", base.trim_end_matches('/'));
            Ok(())
        }
    }
}
