//! Classification: prompts (template + categories, compiled into what the model reads), the
//! protocol with the model and its 1:1 repair rule, providers (OpenAI-compatible and offline), and
//! runs that classify a dataset's unique lines in concurrent chunks with retries and checkpoints.
//! Writing prompts (versions, sharing, the default) lives in `prompt_edit`. The job queue that drives
//! runs lives in `jobs`.

#[cfg(feature = "server")]
pub mod evaluate;
mod neighbours;
pub mod offline;
pub mod prompt;
#[cfg(feature = "server")]
pub mod prompt_diff;
#[cfg(feature = "server")]
pub mod prompt_edit;
#[cfg(feature = "server")]
pub mod prompts;
pub mod protocol;
#[cfg(feature = "server")]
pub mod provider;
mod run_wire;
#[cfg(feature = "server")]
pub mod runs;
mod wire;

pub use offline::OfflineClassifier;
pub use prompt::{Category, compile_prompt, default_prompt};
pub use run_wire::*;
pub use wire::*;
