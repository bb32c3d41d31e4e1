use clap::Parser;
use tracing_subscriber::EnvFilter;

use gallery::config::{AdminCommand, Cli, Command};
use gallery::{AppState, app, auth, db};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
