//! `latchkey`: the server and its command line.
//!
//! - `latchkey serve` runs the server (embedded SQLite in `./latchkey-data/` by default;
//!   on a new database it creates a demo organization and prints its credentials once).
//! - `latchkey org create --name NAME` and `latchkey lock add --org ID --name N --tz ZONE`
//!   provision the configured database directly.
//! - `latchkey audit verify [--org ID]` checks the audit log's hash chain.
//! - `latchkey config default` prints a commented default configuration.

mod audit;
mod import;
mod remote;
mod serve;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use latchkey_server::config::{self, DatabaseUrl, Settings};
use latchkey_server::provision::{self, NewSimulatedLock};
use latchkey_server::storage::Store;

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "A self-hosted access-control server speaking the Nexkey External API"
)]
struct Cli {
    /// Configuration file (TOML); see `latchkey config default`.
    #[arg(long, global = true, env = "LATCHKEY_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://path (default sqlite://latchkey-data/latchkey.db) or postgres://…
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    #[command(
        after_help = "Examples:\n  latchkey serve                                  # SQLite in ./latchkey-data/, demo credentials printed once\n  latchkey serve --database postgres://latchkey@db/latchkey --listen 0.0.0.0:8080\n  latchkey serve --mock                           # every function answers its example"
    )]
    Serve(serve::ServeArgs),
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage locks.
    #[command(subcommand)]
    Lock(LockCommand),
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Call a function of a running server and print its result.
    #[command(
        after_help = "Examples:\n  latchkey call getLocks '{\"limit\": 10}' --api-key lk_… --secret lks_…\n  latchkey call sendKey @key.json\n  echo '{}' | latchkey call getCurrentUser -"
    )]
    Call {
        /// The function's name, e.g. getLocks.
        function: String,
        /// The body: JSON, @file, or - for standard input (default {}).
        body: Option<String>,
        #[command(flatten)]
        connection: remote::Connection,
    },
    /// Sign in and save the session for later commands (readable by you only).
    #[command(
        after_help = "Example:\n  LATCHKEY_PASSWORD=… latchkey signin ada@example.com --api-key lk_…"
    )]
    Signin {
        /// Email or phone.
        identifier: String,
        #[command(flatten)]
        connection: remote::Connection,
    },
    /// End the saved session.
    #[command(after_help = "Example:\n  latchkey signout")]
    Signout {
        #[command(flatten)]
        connection: remote::Connection,
    },
    /// Open a lock, printing each status as the lock reaches it.
    #[command(after_help = "Example:\n  latchkey unlock 4703 --api-key lk_… --secret lks_…")]
    Unlock {
        /// The lock's lockId or objectId.
        lock: String,
        #[command(flatten)]
        connection: remote::Connection,
    },
    /// Send keys to the people of a CSV file (lock, email, phone, role, first name, last
    /// name, schedule), in batches; importing the same file again changes nothing.
    #[command(
        after_help = "Example:\n  latchkey import keys.csv --api-key lk_… --secret lks_…\n\nkeys.csv:\n  lock,email,phone,role,first name,last name,schedule\n  4703,ada@example.com,,USER,Ada,Smets,\n  4703,,+14155550123,ADMIN,,,"
    )]
    Import {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        connection: remote::Connection,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  latchkey completions bash > /etc/bash_completion.d/latchkey"
    )]
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Export a running server's audit log (oldest first) as CSV or JSON lines.
    #[command(
        after_help = "Example:\n  latchkey audit export --from 2026-12-01T00:00:00Z --format csv > december.csv"
    )]
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: remote::Format,
        /// Entries at or after this time (ISO-8601).
        #[arg(long)]
        from: Option<String>,
        /// Entries before this time (ISO-8601).
        #[arg(long)]
        to: Option<String>,
        /// Only this lock's entries.
        #[arg(long)]
        lock: Option<String>,
        #[command(flatten)]
        connection: remote::Connection,
    },
    /// Check the hash chain of every organization's log (or one's); exits 1 and names the
    /// first entry that does not match when one was changed.
    #[command(
        after_help = "Example:\n  latchkey audit verify --database postgres://latchkey@db/latchkey"
    )]
    Verify {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organization; prints {"organizationId","apiKey","apiSecret"} (the secret
    /// is shown only this once).
    #[command(after_help = "Example:\n  latchkey org create --name \"Acme offices\"")]
    Create {
        #[arg(long)]
        name: String,
    },
    /// Make a person (by email or phone; they must have signed up) an administrator of
    /// the organization: in the portal they manage its webhooks and API keys. Recorded in
    /// the audit log.
    #[command(
        after_help = "Example:\n  latchkey org admin --org 9DFipppR5U --user ada@example.com"
    )]
    Admin {
        #[arg(long)]
        org: String,
        /// Email or phone of the person.
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum LockCommand {
    /// Register a simulated lock in an organization; prints the lock as JSON.
    #[command(
        after_help = "Example:\n  latchkey lock add --org 9DFipppR5U --name \"Front door\" --tz Europe/Brussels"
    )]
    Add {
        /// The organization's id.
        #[arg(long)]
        org: String,
        /// The lock's short name.
        #[arg(long)]
        name: String,
        /// The lock's IANA time zone, e.g. Europe/Brussels.
        #[arg(long)]
        tz: String,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the commented default configuration.
    #[command(after_help = "Example:\n  latchkey config default > latchkey.toml")]
    Default,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let loaded = config::load(cli.config.as_deref()).map_err(anyhow::Error::msg)?;
    let mut settings = loaded.settings;
    if let Some(url) = cli.database {
        settings.database = DatabaseUrl(url);
    }
    match cli.command {
        Command::Serve(args) => serve::run(settings, &loaded.unknown_keys, args).await,
        Command::Org(OrgCommand::Create { name }) => {
            let store = open(&settings).await?;
            let created = provision::create_organization(&*store, &name, now()).await?;
            println!("{}", serde_json::to_string_pretty(&created)?);
            Ok(())
        }
        Command::Org(OrgCommand::Admin { org, user }) => {
            let store = open(&settings).await?;
            let person = provision::grant_organization_admin(&*store, &org, &user, now())
                .await
                .with_context(|| format!("making {user} an administrator of {org}"))?;
            println!("{}", serde_json::to_string_pretty(&person)?);
            Ok(())
        }
        Command::Lock(LockCommand::Add { org, name, tz }) => {
            let store = open(&settings).await?;
            let new = NewSimulatedLock {
                org_id: &org,
                short_name: &name,
                time_zone: &tz,
                admins: &[],
            };
            let lock = provision::add_simulated_lock(&*store, &new, now())
                .await
                .with_context(|| format!("adding a lock to organization {org}"))?;
            println!("{}", serde_json::to_string_pretty(&lock)?);
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { org }) => {
            let store = open(&settings).await?;
            if audit::verify(&*store, org).await? {
                Ok(())
            } else {
                anyhow::bail!("the audit log was changed")
            }
        }
        Command::Audit(AuditCommand::Export {
            format,
            from,
            to,
            lock,
            connection,
        }) => {
            remote::export(
                &connection,
                format,
                from.as_deref(),
                to.as_deref(),
                lock.as_deref(),
            )
            .await
        }
        Command::Call {
            function,
            body,
            connection,
        } => remote::call(&connection, &function, body.as_deref()).await,
        Command::Signin {
            identifier,
            connection,
        } => remote::sign_in(&connection, &identifier).await,
        Command::Signout { connection } => remote::sign_out(&connection).await,
        Command::Unlock { lock, connection } => remote::unlock(&connection, &lock).await,
        Command::Import { file, connection } => import::run(&connection, &file).await,
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "latchkey",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Config(ConfigCommand::Default) => {
            print!("{}", config::DEFAULT_TOML);
            Ok(())
        }
    }
}

async fn open(settings: &Settings) -> Result<std::sync::Arc<dyn Store>> {
    latchkey_server::storage::open(settings.database.as_str())
        .await
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("opening {}", settings.database.redacted()))
}

fn now() -> i64 {
    latchkey_server::state::Clock::default().now_millis()
}
