//! Classification: prompts (template + categories, compiled into what the model reads), the offline
//! classifier, and runs that classify a dataset's unique lines chunk by chunk with checkpoints.
//! Writing prompts (versions, sharing, the default) lives in `prompt_edit`. The job queue that drives
//! runs lives in `jobs`; providers other than offline come later.

pub mod offline;
pub mod prompt;
#[cfg(feature = "server")]
pub mod prompt_edit;
#[cfg(feature = "server")]
pub mod prompts;
#[cfg(feature = "server")]
pub mod runs;
mod wire;

pub use offline::OfflineClassifier;
pub use prompt::{Category, compile_prompt, default_prompt};
pub use wire::*;
