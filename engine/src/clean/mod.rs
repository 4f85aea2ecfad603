//! Cleaning and de-duplication of description text. The normaliser is pure (it also runs in the
//! browser for live previews); building a dataset's unique lines from stored rows lives in `dedup`.

#[cfg(feature = "server")]
mod dedup;
mod normalise;
mod wire;

#[cfg(feature = "server")]
pub use dedup::{create_dataset, dataset_summary, list_datasets};
pub use normalise::{CleanOptions, clean_text};
pub use wire::{DatasetSummary, NewDataset};
