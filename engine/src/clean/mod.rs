//! Cleaning and de-duplication of description text. The normaliser is pure (it also runs in the
//! browser for live previews); building a dataset's unique lines from stored rows lives in `dedup`,
//! reading datasets back (stats, rows) in `datasets`, who else may see one in `shares`.

#[cfg(feature = "server")]
mod datasets;
#[cfg(feature = "server")]
mod dedup;
#[cfg(feature = "server")]
pub(crate) mod readback;
#[cfg(feature = "server")]
pub mod shares;
mod normalise;
mod wire;

#[cfg(feature = "server")]
pub use datasets::{dataset_detail, dataset_rows, dataset_summary, delete_dataset, list_datasets, original_column_types, original_columns};
#[cfg(feature = "server")]
pub use dedup::{create_dataset, dedup_key};
#[cfg(feature = "server")]
pub use readback::dataset_rows_source;
pub use normalise::{CleanOptions, clean_text, description_text};
pub use wire::*;
