//! The page's widgets, one per file.

mod drop_zone;
mod event_table;
mod file_list;
mod progress_panel;
mod record_panel;
mod summary;
mod verify_panel;

pub use drop_zone::DropZone;
pub use event_table::EventTable;
pub use file_list::FileList;
pub use progress_panel::ProgressPanel;
pub use record_panel::RecordPanel;
pub use summary::Summary;
pub use verify_panel::VerifyPanel;
