//! Where the writer of an export puts its bytes: a blocking `Write` that gathers them into
//! chunks and hands each over a bounded channel to the task that sends the answer. A full
//! channel makes the writer wait (the client's pace sets the export's); a closed one (the
//! client left) or a wait longer than the stall limit ends the export.

use std::io::{self, ErrorKind, Write};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

/// How long an export waits for its client to read on before it gives up.
pub const STALL: Duration = Duration::from_secs(120);

/// The size of the chunks handed over.
pub const CHUNK: usize = 256 * 1024;

pub struct ChannelSink {
    tx: mpsc::Sender<Bytes>,
    buf: BytesMut,
    runtime: Handle,
    stall: Duration,
}

impl ChannelSink {
    /// Call from a blocking thread (it blocks on `runtime`).
    pub fn new(tx: mpsc::Sender<Bytes>, runtime: Handle, stall: Duration) -> Self {
        Self {
            tx,
            buf: BytesMut::with_capacity(CHUNK),
            runtime,
            stall,
        }
    }

    fn hand_over(&mut self) -> io::Result<()> {
        let chunk = std::mem::replace(&mut self.buf, BytesMut::with_capacity(CHUNK)).freeze();
        let sent = self
            .runtime
            .block_on(tokio::time::timeout(self.stall, self.tx.send(chunk)));
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::new(
                ErrorKind::BrokenPipe,
                "the client went away",
            )),
            Err(_) => Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("the client read nothing for {} s", self.stall.as_secs()),
            )),
        }
    }
}

impl Write for ChannelSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let taken = data.len().min(room);
        self.buf.extend_from_slice(&data[..taken]);
        if self.buf.len() == CHUNK {
            self.hand_over()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.hand_over()
    }
}

/// Whether an export ended because its client left or stopped reading (not a failure of
/// the server's).
pub fn client_gone(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::BrokenPipe | ErrorKind::TimedOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bytes_arrive_in_chunks_in_order() {
        let (tx, mut rx) = mpsc::channel(2);
        let runtime = Handle::current();
        let writer = tokio::task::spawn_blocking(move || {
            let mut sink = ChannelSink::new(tx, runtime, STALL);
            for i in 0..(3 * CHUNK + 10) {
                sink.write_all(&[(i % 251) as u8])?;
            }
            sink.flush()
        });
        let mut got = Vec::new();
        while let Some(chunk) = rx.recv().await {
            assert!(chunk.len() <= CHUNK);
            got.extend_from_slice(&chunk);
        }
        writer.await.unwrap().unwrap();
        assert_eq!(got.len(), 3 * CHUNK + 10);
        assert!(got.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_that_stops_reading_stops_the_writer() {
        let (tx, _rx) = mpsc::channel(1);
        let runtime = Handle::current();
        let err = tokio::task::spawn_blocking(move || {
            let mut sink = ChannelSink::new(tx, runtime, Duration::from_millis(100));
            sink.write_all(&vec![0; 4 * CHUNK])
        })
        .await
        .unwrap()
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert!(client_gone(&err));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_that_leaves_stops_the_writer() {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let runtime = Handle::current();
        let err = tokio::task::spawn_blocking(move || {
            let mut sink = ChannelSink::new(tx, runtime, STALL);
            sink.write_all(&vec![0; 2 * CHUNK])
        })
        .await
        .unwrap()
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    }
}
