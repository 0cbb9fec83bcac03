//! The only code that talks to the workers: starts them, hands them files, sends requests and
//! turns replies into state.
//!
//! One store worker owns the events; one parser worker per core reads files and sends the store
//! their event batches directly, over a `MessageChannel` set up here, so parsed data never passes
//! through the page.
//!
//! `spawn` starts the workers and posts to them, `loading` hands them files, `requests` sends
//! the page's requests, `replies` turns answers into state, `view_url` keeps the view in the URL.
//! Each keeps its own worker-side state (`thread_local!`s) to itself.

mod loading;
mod replies;
mod requests;
mod spawn;
mod sql;
mod view_url;
mod workspace;

#[allow(unused_imports)]
use loading::*;
#[allow(unused_imports)]
use replies::*;
#[allow(unused_imports)]
use requests::*;
#[allow(unused_imports)]
use spawn::*;
#[allow(unused_imports)]
use view_url::*;
#[allow(unused_imports)]
use workspace::*;

pub use loading::{cancel, load};
pub use requests::{
    add_filter_term, open_event, open_event_id, request_detect, request_export,
    request_facet_values, request_record, request_verify, request_window, run_query,
    set_trusted_keys, VerifyChoices,
};
pub use spawn::{reset, start};
pub use sql::{cancel_sql, download_events_parquet, download_sql, open_sql, run_sql};
pub use view_url::{restore_view, save_view};
pub use workspace::{keep_wanted, restore_workspace, set_keep};
