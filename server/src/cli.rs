use std::io::Read;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;

#[derive(Parser)]
#[command(name = "dgs", about = "Data Governance Service", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and/or run the job workers (default: both).
    Serve {
        #[arg(long, value_enum, default_value_t = Role::All)]
        role: Role,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "analyst")]
        role: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Debug)]
pub enum Role {
    Web,
    Worker,
    All,
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve { role: Role::All }) {
        Command::Serve { role } => crate::serve::serve(config, role).await,
        Command::Migrate => {
            let pool = engine::store::connect_postgres(&config.database_url, 2).await?;
            engine::store::migrate(&pool).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User { command: UserCommand::Create { username, role } } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let pool = engine::store::connect_postgres(&config.database_url, 2).await?;
            engine::store::migrate(&pool).await?;
            let name = engine::auth::Username::parse(&username)?;
            let pw = engine::auth::Password::parse(password, &name)?;
            let role = engine::auth::Role::parse(&role)?;
            let user = engine::auth::create_user(&pool, &name, &pw, role).await?;
            println!("created {} ({}) with id {}", user.username, user.role.as_str(), user.id);
            Ok(())
        }
    }
}
