//! The page's widgets, one per file.

mod anomalies_panel;
mod case_panel;
mod compare_panel;
mod detail_panel;
mod drop_zone;
mod event_table;
mod export_bar;
mod facets_panel;
mod file_list;
mod filter_bar;
mod findings_panel;
mod progress_panel;
mod sql_panel;
mod summary;
mod timeline;
mod trusted_keys;
mod verify_panel;
mod workspace_bar;

pub use anomalies_panel::AnomaliesPanel;
pub use case_panel::{toggle_pin, update_case, CasePanel};
pub use compare_panel::ComparePanel;
pub use detail_panel::{DetailPanel, MAX_COMPARE};
pub use drop_zone::DropZone;
pub use event_table::EventTable;
pub use export_bar::ExportBar;
pub use facets_panel::FacetsPanel;
pub use file_list::FileList;
pub use filter_bar::FilterBar;
pub use findings_panel::FindingsPanel;
pub use progress_panel::ProgressPanel;
pub use sql_panel::SqlPanel;
pub use summary::{LoadNote, Summary, TabFullBanner};
pub use timeline::Timeline;
pub use trusted_keys::TrustedKeys;
pub use verify_panel::VerifyPanel;
pub use workspace_bar::WorkspaceBar;
