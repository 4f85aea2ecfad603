//! Classification: prompts (template + categories, compiled into what the model reads), the
//! protocol with the model and its 1:1 repair rule, providers (OpenAI-compatible and offline), and
//! runs that classify a dataset's unique lines in concurrent chunks with retries and checkpoints.
//! Everything about prompts (versions, writing, sharing, the default, diffs) lives in `prompts`. The
//! job queue that drives runs lives in `jobs`.

#[cfg(feature = "server")]
pub mod compare;
#[cfg(feature = "server")]
pub mod evaluate;
pub mod examples;
#[cfg(feature = "server")]
pub mod learned;
#[cfg(feature = "server")]
pub mod linear;
mod neighbours;
pub mod offline;
pub mod prompts;
pub mod protocol;
pub mod reason;
#[cfg(feature = "server")]
pub mod provider;
mod run_wire;
#[cfg(feature = "server")]
pub mod runs;
mod wire;

pub use offline::OfflineClassifier;
pub use reason::{Reason, reason_text};
pub use prompts::{Category, compile_prompt, default_prompt};
pub use run_wire::*;
pub use wire::*;
