//! Prompts, in one place: what a prompt is and what the model reads of it (`template`), their
//! immutable stored versions and the default (`store`), writing them — create, next version,
//! duplicate, share, make default (`edit`) — and the difference between two versions (`diff`).

#[cfg(feature = "server")]
mod diff;
#[cfg(feature = "server")]
mod edit;
#[cfg(feature = "server")]
mod store;
mod template;

#[cfg(feature = "server")]
pub use diff::prompt_diff;
#[cfg(feature = "server")]
pub use edit::{
    PromptRights, create_prompt, duplicate_prompt, list_prompts, prompt_rights, prompt_versions, save_version, set_default_prompt, validate_draft, version_detail,
};
#[cfg(feature = "server")]
pub(crate) use edit::{insert_version, visible};
#[cfg(feature = "server")]
pub use store::{PromptVersion, ensure_default_prompt, latest_version, version_by_id};
pub use template::{Category, PromptSpec, compile_prompt, default_prompt};
