use clap::Parser;
use tracing_subscriber::EnvFilter;

use gallery::config::{AdminCommand, Cli, Command};
use gallery::{AppState, admin, app, db};

/// glibc lets the size above which a block gets its own mapping rise with every large
/// block freed; from then on large blocks come from the heap and stay there. A server that
/// handled a burst of sign-ins (argon2 takes 19 MiB each), large photos or long pages then
/// keeps that memory: a load test left it at 1 GB resident instead of 200 MB. Fixed
/// thresholds hand the largest blocks back as soon as they are freed. Below 16 MiB (a 12 MP
/// photo, its 9 MB of pixels at half scale, its renditions) blocks come from the heap and
/// are used again by the next upload: mapped fresh each time, they cost ~6 600 page faults
/// a photo, a fifth of the server's CPU. Up to 32 MiB free at the top of a heap is kept for
/// that, four heaps at most, and every few seconds what is free in them goes back
/// ([`hand_back_freed_memory`]), so a burst does not stay resident.
fn tune_the_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tunables; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 16 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 4);
    }
}

/// Every 5 s, the heaps' free pages go back to the system (`malloc_trim`): what a burst of
/// uploads or sign-ins freed does not stay resident, while within a burst the next upload
/// still finds its blocks.
fn hand_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tokio::spawn(async {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            // SAFETY: malloc_trim only returns free memory to the system.
            let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
        }
    });
}

fn main() -> anyhow::Result<()> {
    // SAFETY: no other thread runs yet.
    unsafe { onnx_runtime::disable_telemetry() };
    tune_the_allocator();
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
            hand_back_freed_memory();
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
        Command::Migrate => {
            let db = gallery::db::connect(&cli.config.database_url).await?;
            let applied = gallery::db::applied_migrations(&db).await?;
            let newest = applied
                .last()
                .map_or_else(|| "none".to_owned(), |(v, d)| format!("{v} ({d})"));
            println!(
                "The database at {} is migrated: {} migrations applied, the newest {newest}",
                gallery::db::redact(&cli.config.database_url),
                applied.len()
            );
            Ok(())
        }
        Command::Backup { dir } => {
            let backup = gallery::backup::backup(&cli.config, &dir).await?;
            println!("{backup}");
            anyhow::ensure!(
                backup.missing.is_empty(),
                "the backup left out {} rows whose objects are missing from storage; `gallery check` lists what is wrong",
                backup.missing.len()
            );
            Ok(())
        }
        Command::Restore { dir } => {
            println!("{}", gallery::backup::restore(&cli.config, &dir).await?);
            Ok(())
        }
        Command::Check { hashes } => check(&cli.config, hashes).await,
        Command::Admin { command } => admin_command(&cli.config, command).await,
    }
}

/// `gallery check`: the list of what is wrong, or a summary line; non-zero when anything is.
async fn check(config: &gallery::Config, hashes: bool) -> anyhow::Result<()> {
    if let Some(file) = gallery::backup::sqlite_file(&config.database_url)? {
        anyhow::ensure!(file.is_file(), "there is no database at {}", file.display());
    }
    let pool = db::connect(&config.database_url).await?;
    let objects = gallery::backup::Objects::open(config).await?;
    let report =
        gallery::backup::check(&pool, &objects, hashes, config.sweep_after_minutes).await?;
    println!("{report}");
    anyhow::ensure!(
        report.problems() == 0,
        "the check found {} problems",
        report.problems()
    );
    Ok(())
}

/// `gallery admin …`: the dashboard's actions from a shell, written to the audit log as
/// done by the command line.
async fn admin_command(config: &gallery::Config, command: AdminCommand) -> anyhow::Result<()> {
    let pool = db::connect(&config.database_url).await?;
    let actor = admin::Actor::command_line();
    let fail = |e: gallery::error::Error| anyhow::anyhow!("{e}");
    let set = |role: Option<&str>, disabled: Option<bool>| admin::Change {
        role: role.map(str::to_owned),
        disabled,
        quota_bytes: None,
    };
    match command {
        AdminCommand::Users { search } => {
            let mut after = None;
            println!(
                "{:<40} {:<6} {:<9} {:>8} {:>12}  created",
                "email", "role", "state", "photos", "bytes"
            );
            loop {
                let page = gallery::paging::PageQuery {
                    limit: Some("1000".into()),
                    after: after.take(),
                };
                let (list, next) = admin::accounts(&pool, search.as_deref(), &page)
                    .await
                    .map_err(fail)?;
                for a in list {
                    let state = if a.disabled { "disabled" } else { "enabled" };
                    println!(
                        "{:<40} {:<6} {:<9} {:>8} {:>12}  {}",
                        a.email, a.role, state, a.images, a.bytes, a.created_at
                    );
                }
                match next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
        }
        AdminCommand::Promote { email } => {
            let user = admin::by_email(&pool, &email).await.map_err(fail)?;
            admin::change(&pool, &actor, &user.id, &set(Some("admin"), None))
                .await
                .map_err(fail)?;
            println!("{} is now an admin", user.email);
        }
        AdminCommand::Demote { email } => {
            let user = admin::by_email(&pool, &email).await.map_err(fail)?;
            admin::change(&pool, &actor, &user.id, &set(Some("user"), None))
                .await
                .map_err(fail)?;
            println!("{} is no longer an admin", user.email);
        }
        AdminCommand::Disable { email } => {
            let user = admin::by_email(&pool, &email).await.map_err(fail)?;
            admin::change(&pool, &actor, &user.id, &set(None, Some(true)))
                .await
                .map_err(fail)?;
            println!(
                "{} is disabled; its sessions and tokens have ended",
                user.email
            );
        }
        AdminCommand::Enable { email } => {
            let user = admin::by_email(&pool, &email).await.map_err(fail)?;
            admin::change(&pool, &actor, &user.id, &set(None, Some(false)))
                .await
                .map_err(fail)?;
            println!("{} can sign in again", user.email);
        }
        AdminCommand::Delete { email, yes } => {
            let user = admin::by_email(&pool, &email).await.map_err(fail)?;
            anyhow::ensure!(
                yes,
                "this deletes {} with its {} photos for good; add --yes to go ahead",
                user.email,
                user.images
            );
            let (storage, _) = gallery::state::open_storage(config).await?;
            admin::delete(&pool, &storage, &actor, &user.id)
                .await
                .map_err(fail)?;
            println!("{} and its {} photos are deleted", user.email, user.images);
        }
        AdminCommand::Retry => {
            let queue = jobs_queue(config, &pool)?;
            let n = gallery::jobs::retry(&queue, gallery::jobs::Retry::AllFailed)
                .await
                .map_err(fail)?;
            admin::log_alone(
                &pool,
                &actor,
                "retry",
                Some(&format!("{n} failed jobs queued again")),
            )
            .await
            .map_err(fail)?;
            println!("{n} failed jobs queued again");
        }
        AdminCommand::Sweep { dry_run } => {
            let (storage, _) = gallery::state::open_storage(config).await?;
            let sweep =
                admin::housekeeping::sweep(&pool, &storage, config.sweep_after_minutes, dry_run)
                    .await
                    .map_err(fail)?;
            for orphan in &sweep.orphans {
                println!(
                    "{}{} ({} bytes)",
                    if dry_run { "would remove " } else { "removed " },
                    orphan.key,
                    orphan.bytes
                );
            }
            println!("{}", sweep.summary());
        }
        AdminCommand::Reset { email } => {
            let user = admin::by_email(&pool, &email).await.map_err(fail)?;
            let mailer = std::sync::Arc::new(gallery::mail::Mailer::new(config)?);
            mailer.set_base(&format!("http://{}", config.bind));
            admin::access::send_reset(&pool, &mailer, &actor, &user.id)
                .await
                .map_err(fail)?;
            // The letter is in the outbox; send it now rather than leave it to a server.
            gallery::mail::outbox::send_due(&mailer, &pool).await;
            println!("a link to choose a new password was sent to {}", user.email);
        }
        AdminCommand::Invite { days, note } => {
            let invited = admin::invite(
                &pool,
                &actor,
                note.as_deref(),
                days,
                config.public_url.as_deref(),
            )
            .await
            .map_err(fail)?;
            println!("{}", invited.url);
        }
    }
    Ok(())
}

/// The queue, for commands that put jobs back in it (the servers pick them up).
fn jobs_queue(config: &gallery::Config, pool: &db::Db) -> anyhow::Result<gallery::jobs::Queue> {
    Ok(gallery::jobs::Queue::new(
        pool.clone(),
        db::Backend::of_url(&config.database_url)?,
        std::time::Duration::from_millis(config.job_poll_ms),
        config.job_lease_secs.saturating_mul(1000),
        config.retry_base_ms,
    ))
}
