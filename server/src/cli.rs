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
    /// Measure the offline classifier on a labelled CSV or workbook: accuracy on a held-out share
    /// before and after it learns from the rest of the labels.
    EvaluateOffline {
        #[arg(long)]
        file: std::path::PathBuf,
        /// The text column(s) to classify (repeat for several).
        #[arg(long = "text", required = true)]
        text: Vec<String>,
        /// The column holding the right category.
        #[arg(long)]
        label: String,
        /// Share of the rows it learns from (the rest is the test set).
        #[arg(long, default_value_t = 0.5)]
        learn_share: f64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
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
    if let Some(Command::EvaluateOffline { file, text, label, learn_share, seed }) = &cli.command {
        let rows = engine::classify::evaluate::load_labelled(file, text, label)?;
        println!("{}", engine::classify::evaluate::evaluate(&rows, *learn_share, *seed)?);
        return Ok(());
    }
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve { role: Role::All }) {
        Command::Serve { role } => crate::serve::serve(config, role).await,
        Command::EvaluateOffline { .. } => Ok(()),
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
            println!("created {} ({}) with id {}", user.username, user.roles_label(), user.id);
            Ok(())
        }
    }
}
