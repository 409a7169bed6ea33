//! Reports of one run or many, read from journals (ours and the
//! reference's): the **report** step of the flow.
//!
//! [`model`] reads journals into what a report shows; each renderer lays
//! that out in one format: [`html`] (one self-contained file), [`markdown`],
//! [`json`]. Nothing here needs anything outside the binary.

pub mod exit;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod pdf;

pub use model::{read, summarise, Outcome, Run, Summary};
