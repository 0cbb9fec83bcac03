//! Reading `File`s inside the worker: async chunks for streaming, and a synchronous `Read + Seek`
//! (over `FileReaderSync`, which only workers have) for ZIP archives, whose directory is at the end.

use std::io::{self, Read, Seek, SeekFrom};

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, FileReaderSync};

/// A read of `blob[start..end]` that has started; the browser fetches the bytes while the worker
/// does other things.
pub struct ChunkRead(Result<JsFuture, String>);

impl ChunkRead {
    /// Starts reading.
    pub fn start(blob: &Blob, start: f64, end: f64) -> Self {
        ChunkRead(
            blob.slice_with_f64_and_f64(start, end)
                .map(|s| JsFuture::from(s.array_buffer()))
                .map_err(js_message),
        )
    }

    /// The bytes, once read.
    pub async fn finish(self) -> Result<Vec<u8>, String> {
        let buffer = self.0?.await.map_err(js_message)?;
        Ok(Uint8Array::new(&buffer).to_vec())
    }
}

/// Reads `blob[start..end]` synchronously.
pub fn read_chunk_sync(
    reader: &FileReaderSync,
    blob: &Blob,
    start: f64,
    end: f64,
) -> Result<Vec<u8>, String> {
    let slice = blob
        .slice_with_f64_and_f64(start, end)
        .map_err(js_message)?;
    let buffer = reader.read_as_array_buffer(&slice).map_err(js_message)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// A JS error's message.
pub fn js_message(value: wasm_bindgen::JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// `Read + Seek` over a `Blob`, reading through a small buffer with `FileReaderSync`.
pub struct BlobReader {
    blob: Blob,
    reader: FileReaderSync,
    size: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

const BUFFER_BYTES: u64 = 1 << 20;

impl BlobReader {
    /// A reader at the start of `blob`.
    pub fn new(blob: Blob) -> Result<Self, String> {
        let reader = FileReaderSync::new().map_err(js_message)?;
        let size = blob.size() as u64;
        Ok(BlobReader {
            blob,
            reader,
            size,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
        })
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || out.is_empty() {
            return Ok(0);
        }
        let in_buf =
            self.pos >= self.buf_start && self.pos < self.buf_start + self.buf.len() as u64;
        if !in_buf {
            let end = (self.pos + BUFFER_BYTES).min(self.size);
            self.buf = read_chunk_sync(&self.reader, &self.blob, self.pos as f64, end as f64)
                .map_err(io::Error::other)?;
            self.buf_start = self.pos;
            if self.buf.is_empty() {
                return Ok(0);
            }
        }
        let offset = (self.pos - self.buf_start) as usize;
        let available = self.buf.get(offset..).unwrap_or_default();
        let n = available.len().min(out.len());
        out.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(available.get(..n).unwrap_or_default());
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        self.pos = target;
        Ok(target)
    }
}
