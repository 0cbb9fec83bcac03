//! One input's bytes within a pack, piece by piece, with the load's progress, yielding and
//! cancelling handled in one place: full parsing and verify-only hashing read files the same way.

use std::cell::RefCell;
use std::rc::Rc;

use trailscope_protocol::RequestId;

use super::pack::PackReader;
use super::{maybe_yield, report, ParserState, RANGE_BYTES};

/// The rest of one input (after the bytes already read to sniff it).
pub(super) struct InputBytes<'r> {
    reader: &'r mut PackReader,
    size: u64,
    remaining: u64,
    /// The parser's `bytes_done` when this input started.
    bytes_before: u64,
    /// A piece has been handed out: progress, yield and cancel come before the next one.
    between_pieces: bool,
}

/// What [`InputBytes::next`] found.
pub(super) enum Next<'a> {
    /// The next bytes.
    Piece(&'a [u8]),
    /// The input is read.
    End,
    /// The browser could not read the pack (the rest of the pack fails the same way).
    Failed(String),
    /// The load was cancelled; the rest of the input has been skipped.
    Cancelled,
}

impl<'r> InputBytes<'r> {
    /// The `remaining` last bytes of an input of `size` bytes.
    pub(super) fn new(
        reader: &'r mut PackReader,
        state: &Rc<RefCell<ParserState>>,
        size: u64,
        remaining: u64,
    ) -> Self {
        InputBytes {
            reader,
            size,
            remaining,
            bytes_before: state.borrow().bytes_done,
            between_pieces: false,
        }
    }

    /// The next piece. Between pieces (after the caller has used the last one) the load's
    /// progress is reported, other messages get a turn, and a cancel is honoured.
    pub(super) async fn next(
        &mut self,
        state: &Rc<RefCell<ParserState>>,
        load: RequestId,
    ) -> Next<'_> {
        if self.between_pieces {
            state.borrow_mut().bytes_done = self.bytes_before + (self.size - self.remaining);
            report(state, load, false);
            maybe_yield(state).await;
            if state.borrow().cancel {
                self.skip_rest().await;
                return Next::Cancelled;
            }
        }
        self.between_pieces = true;
        if self.remaining == 0 {
            return Next::End;
        }
        // A failed read is kept by the reader, so nothing needs skipping after it: every later
        // read (and skip) of the pack meets the same failure.
        match self
            .reader
            .piece(self.remaining.min(RANGE_BYTES as u64) as usize)
            .await
        {
            Ok([]) => Next::End,
            Ok(piece) => {
                self.remaining -= piece.len() as u64;
                Next::Piece(piece)
            }
            Err(e) => Next::Failed(e),
        }
    }

    /// Moves past the bytes not read, so the pack's next input starts where it should.
    pub(super) async fn skip_rest(&mut self) {
        self.reader.skip(self.remaining).await;
        self.remaining = 0;
    }
}
