//! A worker's compressed record blocks, kept outside its WebAssembly memory: the store
//! worker's store, and the SQL worker's copy of the same events.
//!
//! wasm32 addresses 4 GiB, and the compressed records are most of what a store holds (407 MB
//! of 612 MB at a million real-shaped events), so past a size (the page uses
//! `trailscope_protocol::merge::RECORDS_IN_WASM_MIB`) a store hands its sealed blocks here:
//! each becomes its own `Uint8Array` in the worker's JS heap, which the browser allocates
//! outside the WebAssembly memory. A block is copied back into WebAssembly memory only while it
//! is read (a detail view, free text, an export).
//!
//! Written here rather than taken from a crate: it is the one place the store meets the
//! browser's memory, a few calls on `js_sys::Uint8Array`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use js_sys::{Array, Function, Reflect, Uint8Array};
use trailscope_store::{BlockSpill, Store};
use wasm_bindgen::JsCast;

/// An empty store that keeps its compressed records past `keep_here_mib` MiB in the worker's
/// JS heap, outside its WebAssembly memory.
pub fn spilling_store(keep_here_mib: u64) -> Store {
    let mut store = Store::new();
    store.spill_records_to(
        Box::new(JsBlockSpill::new()),
        usize::try_from(keep_here_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX),
    );
    store
}

thread_local! {
    /// Each live spill's blocks, by the spill's key. The `Uint8Array`s cannot live in the spill
    /// itself: the store's type is shared with the native SQL engine, which needs it `Send +
    /// Sync`, and JS values are neither. A worker is one thread, so the spill keeps its key and
    /// its blocks live here until it is dropped.
    static BLOCKS: RefCell<HashMap<u32, Vec<Uint8Array>>> = RefCell::new(HashMap::new());
    static NEXT_KEY: Cell<u32> = const { Cell::new(0) };
}

/// A [`BlockSpill`] into the worker's JS heap. Dropping it (with its store, on Clear) lets the
/// browser free the blocks.
pub struct JsBlockSpill {
    key: u32,
}

impl JsBlockSpill {
    /// An empty spill.
    pub fn new() -> Self {
        let key = NEXT_KEY.with(|next| {
            let key = next.get();
            next.set(key.wrapping_add(1));
            key
        });
        BLOCKS.with(|blocks| blocks.borrow_mut().insert(key, Vec::new()));
        JsBlockSpill { key }
    }

    /// Blocks kept.
    pub fn len(&self) -> usize {
        BLOCKS.with(|blocks| blocks.borrow().get(&self.key).map_or(0, Vec::len))
    }

    /// Whether no block is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Blocks kept by all live spills of this worker (a dropped spill's are gone).
    pub fn blocks_alive() -> usize {
        BLOCKS.with(|blocks| blocks.borrow().values().map(Vec::len).sum())
    }
}

impl Default for JsBlockSpill {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for JsBlockSpill {
    fn drop(&mut self) {
        BLOCKS.with(|blocks| blocks.borrow_mut().remove(&self.key));
    }
}

/// A new `Uint8Array` of `len` bytes, or `None` when the browser cannot allocate it. Made
/// through `Reflect.construct` because it reports the `RangeError` of a failed allocation as an
/// error, where `Uint8Array::new_with_length` would throw through the WebAssembly.
fn allocate(len: usize) -> Option<Uint8Array> {
    let constructor: Function = Reflect::get(&js_sys::global(), &"Uint8Array".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let length = u32::try_from(len).ok()?;
    Reflect::construct(&constructor, &Array::of1(&length.into()))
        .ok()?
        .dyn_into()
        .ok()
}

impl BlockSpill for JsBlockSpill {
    fn keep(&mut self, block: &[u8]) -> Option<u32> {
        let copy = allocate(block.len())?;
        copy.copy_from(block);
        BLOCKS.with(|blocks| {
            let mut blocks = blocks.borrow_mut();
            let kept = blocks.get_mut(&self.key)?;
            let index = u32::try_from(kept.len()).ok()?;
            kept.push(copy);
            Some(index)
        })
    }

    fn read(&self, index: u32, out: &mut Vec<u8>) -> bool {
        BLOCKS.with(|blocks| {
            let blocks = blocks.borrow();
            let Some(block) = blocks
                .get(&self.key)
                .and_then(|kept| kept.get(index as usize))
            else {
                return false;
            };
            out.clear();
            out.resize(block.length() as usize, 0);
            block.copy_to(out);
            true
        })
    }
}
