//! A prompt's examples: labelled lines (last year's ledger imported, or added by hand) that teach the
//! offline model and go to the LLM as few-shot examples. `wire` has the import's pure rules (labels
//! mapped, merged or created; duplicates and conflicts counted), `store` the versioned set in the
//! database, `retrieve` the choice of the examples each chunk carries.

#[cfg(feature = "server")]
mod retrieve;
#[cfg(feature = "server")]
mod store;
mod wire;

#[cfg(feature = "server")]
pub use retrieve::{Retriever, example_tokens, examples_message};
#[cfg(feature = "server")]
pub use store::{
    StoredExample, add_example, add_reviewed, current_set, examples_at, examples_csv, examples_page, import_examples, preview_import, remove_examples, result_examples,
    review_source, run_examples,
};
pub use wire::*;
