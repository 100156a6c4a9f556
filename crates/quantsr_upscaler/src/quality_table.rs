//! The quality table the built-in model was measured with: PSNR of each rung at each render
//! scale, which the resolution and joint policies ([`Adapt`](crate::Adapt)) choose by when
//! the embedder gives none.
//!
//! Measured with `quantsr eval` on held-out sequences (`level` and glTF `ClearCoatTest` at
//! 960x540 display, rendered at 2x and at 0.85, 0.7 and 0.5 of that render size per axis);
//! the file records how (`assets/reports/adapt/README.md`).

use std::sync::OnceLock;

use quantsr_monitor::QualityTable;

/// The measurements, as `quantsr eval` gave them (means over the sequences).
const MEASURED: &str = include_str!("../../../assets/reports/adapt/quality_table.json");

/// The built-in quality table (see the module documentation).
///
/// # Panics
/// If the embedded file does not parse or validate: the build shipped a broken table (the
/// crate's tests load it, so a release cannot).
pub fn builtin_quality_table() -> QualityTable {
    static TABLE: OnceLock<QualityTable> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            let table: QualityTable =
                serde_json::from_str(MEASURED).unwrap_or_else(|e| panic!("the built-in quality table is invalid: {e}"));
            table.validate().unwrap_or_else(|e| panic!("the built-in quality table is invalid: {e}"));
            table
        })
        .clone()
}
