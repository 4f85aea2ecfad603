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
        #[arg(long, required_unless_present = "train")]
        file: Option<std::path::PathBuf>,
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
        /// Learn from this file and test on `--test` (both with the same columns) instead of
        /// splitting `--file`.
        #[arg(long, requires = "test")]
        train: Option<std::path::PathBuf>,
        #[arg(long, requires = "train")]
        test: Option<std::path::PathBuf>,
        /// Split `--file` by this date column: the earliest `--learn-share` of the rows to learn,
        /// the rest to test (learn from the past, classify the future). Compares the models.
        #[arg(long)]
        split_by: Option<String>,
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
    if let Some(Command::EvaluateOffline { file, text, label, learn_share, seed, train, test, split_by }) = &cli.command {
        use engine::classify::{compare, evaluate};
        match (train, test, split_by) {
            (Some(train), Some(test), _) => {
                let (a, b) = (evaluate::load_labelled(train, text, label)?, evaluate::load_labelled(test, text, label)?);
                println!("{}", compare::compare(&a, &b, format!("{} → {}", train.display(), test.display()))?);
            }
            (_, _, Some(column)) => {
                let file = file.as_ref().context("--file")?;
                let rows = evaluate::load_labelled_with(file, text, label, Some(column))?;
                let (a, b, split) = compare::split_by_date(rows, *learn_share)?;
                println!("{}", compare::compare(&a, &b, format!("split by {column}: {split}"))?);
            }
            _ => {
                let file = file.as_ref().context("--file")?;
                println!("{}", evaluate::evaluate(&evaluate::load_labelled(file, text, label)?, *learn_share, *seed)?);
            }
        }
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
