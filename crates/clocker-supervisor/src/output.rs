//! The supervisor's output, which never blocks it nor its children.
//!
//! Every line, a child's or the supervisor's own log, goes through a
//! bounded queue per stream (stdout, stderr) to one thread that does the
//! blocking writes (at most [`MAX_QUEUED_BYTES`] each, lines cut at
//! [`MAX_LINE_BYTES`]). When a stream does not keep up (a paused terminal,
//! Ctrl-S, a slow log pipe), its queue fills and further lines are dropped
//! and counted per source; once the writer has caught up it says so:
//! `N log lines from SOURCE dropped: stdout is not keeping up`. Meanwhile
//! the children's pipes are still read, so a child never blocks on its own
//! output.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::child::LogFormat;

/// How many lines each stream's queue holds by default.
pub const DEFAULT_QUEUE_LINES: usize = 4096;

/// The longest line forwarded; the rest of a longer one is cut.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// The most bytes each stream's queue holds, whatever its length in lines.
pub const MAX_QUEUED_BYTES: usize = 4 * 1024 * 1024;

/// The name the supervisor's own lines go by.
pub const SUPERVISOR: &str = "supervisor";

/// One of the supervisor's two output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    /// Whether it is a terminal (then names are coloured).
    pub fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

enum Message {
    /// Bytes to write as they are (whole lines).
    Line(Vec<u8>),
    /// Acknowledge once everything queued before is written.
    Flush(mpsc::Sender<()>),
}

/// Lines dropped per source, since the writer last caught up.
type Dropped = Arc<Mutex<BTreeMap<String, u64>>>;

/// One stream's queue.
#[derive(Debug, Clone)]
struct Queue {
    tx: SyncSender<Message>,
    dropped: Dropped,
    /// Bytes queued and not yet written (at most [`MAX_QUEUED_BYTES`]).
    queued_bytes: Arc<AtomicUsize>,
}

impl Queue {
    fn push(&self, source: &str, bytes: Vec<u8>) {
        let len = bytes.len();
        let fits = self
            .queued_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                (queued + len <= MAX_QUEUED_BYTES).then_some(queued + len)
            })
            .is_ok();
        let sent = if fits {
            self.tx.try_send(Message::Line(bytes))
        } else {
            Err(TrySendError::Full(Message::Line(Vec::new())))
        };
        if sent.is_err() && fits {
            self.queued_bytes.fetch_sub(len, Ordering::AcqRel);
        }
        match sent {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let mut dropped = self
                    .dropped
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match dropped.get_mut(source) {
                    Some(count) => *count += 1,
                    None => {
                        dropped.insert(source.to_owned(), 1);
                    }
                }
            }
            // The writer is gone (it only ends with the process): nowhere to write.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// Where the supervisor's lines go: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct Output {
    stdout: Queue,
    stderr: Queue,
    format: LogFormat,
}

impl Output {
    /// Starts one writer thread per stream, each behind a queue of
    /// `queue_lines` lines (at least 1).
    pub fn start(queue_lines: usize, format: LogFormat) -> std::io::Result<Output> {
        Ok(Output {
            stdout: spawn_writer(Stream::Stdout, queue_lines, format, std::io::stdout())?,
            stderr: spawn_writer(Stream::Stderr, queue_lines, format, std::io::stderr())?,
            format,
        })
    }

    /// How lines are shown.
    pub fn format(&self) -> LogFormat {
        self.format
    }

    /// Queues `line` (without its newline) from `source` on `stream`, or
    /// counts it as dropped when the queue is full.
    pub fn line(&self, stream: Stream, source: &str, line: String) {
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        self.queue(stream).push(source, bytes);
    }

    /// A writer for the supervisor's own logs (one event per write),
    /// queued on stderr.
    pub fn log_writer(&self) -> LogWriter {
        LogWriter {
            queue: self.stderr.clone(),
            buffer: Vec::new(),
        }
    }

    /// Waits, at most `within`, until everything queued so far is written;
    /// true when it was. Blocks the calling thread.
    pub fn flush_blocking(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        [Stream::Stdout, Stream::Stderr].into_iter().all(|stream| {
            let (done_tx, done) = mpsc::channel();
            let mut message = Message::Flush(done_tx);
            loop {
                match self.queue(stream).tx.try_send(message) {
                    Ok(()) => break,
                    Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                        message = back;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => return false,
                }
            }
            done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .is_ok()
        })
    }

    fn queue(&self, stream: Stream) -> &Queue {
        match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        }
    }
}

/// The supervisor's own log events, queued like its children's lines.
#[derive(Debug)]
pub struct LogWriter {
    queue: Queue,
    buffer: Vec<u8>,
}

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // One event is small; a runaway one is cut rather than held.
        let room = MAX_LINE_BYTES.saturating_sub(self.buffer.len());
        self.buffer
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        if !self.buffer.is_empty() {
            if self.buffer.last() != Some(&b'\n') {
                self.buffer.push(b'\n');
            }
            self.queue
                .push(SUPERVISOR, std::mem::take(&mut self.buffer));
        }
    }
}

fn spawn_writer(
    stream: Stream,
    queue_lines: usize,
    format: LogFormat,
    out: impl Write + Send + 'static,
) -> std::io::Result<Queue> {
    let (tx, rx) = mpsc::sync_channel(queue_lines.max(1));
    let dropped = Dropped::default();
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let (counts, written) = (dropped.clone(), queued_bytes.clone());
    std::thread::Builder::new()
        .name(format!("{}-writer", stream.as_str()))
        .spawn(move || write_out(&rx, &counts, &written, stream, format, out))?;
    Ok(Queue {
        tx,
        dropped,
        queued_bytes,
    })
}

/// Writes what comes until every sender is gone; whenever it has caught up,
/// says how many lines were dropped meanwhile. Write errors (a closed
/// terminal) are ignored: the queue is drained all the same.
fn write_out(
    rx: &Receiver<Message>,
    dropped: &Mutex<BTreeMap<String, u64>>,
    queued_bytes: &AtomicUsize,
    stream: Stream,
    format: LogFormat,
    out: impl Write,
) {
    let mut out = std::io::BufWriter::new(out);
    let mut acks = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Line(bytes) => {
                    let _ = out.write_all(&bytes);
                    queued_bytes.fetch_sub(bytes.len(), Ordering::AcqRel);
                }
                Message::Flush(ack) => acks.push(ack),
            }
            next = rx.try_recv().ok();
        }
        // Caught up.
        let counts = std::mem::take(
            &mut *dropped
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for (source, count) in counts {
            let notice = format!(
                "{count} log lines from {source} dropped: {} is not keeping up",
                stream.as_str()
            );
            let line = match format {
                LogFormat::Json => serde_json::json!({
                    "service": SUPERVISOR,
                    "stream": stream.as_str(),
                    "line": notice,
                })
                .to_string(),
                LogFormat::Plain => notice,
            };
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that blocks until told to go on, like a pipe nobody reads.
    struct Stuck {
        go: Arc<(Mutex<bool>, std::sync::Condvar)>,
        written: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Stuck {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let (lock, wake) = &*self.go;
            let mut go = lock.lock().expect("lock");
            while !*go {
                go = wake.wait(go).expect("wait");
            }
            self.written.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_stream_drops_and_counts_lines_and_says_so_when_it_moves() {
        let go = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let written = Arc::new(Mutex::new(Vec::new()));
        let stuck = Stuck {
            go: go.clone(),
            written: written.clone(),
        };
        let queue = spawn_writer(Stream::Stdout, 4, LogFormat::Plain, stuck).expect("thread");
        let output = Output {
            stdout: queue.clone(),
            stderr: queue,
            format: LogFormat::Plain,
        };
        let started = Instant::now();
        for i in 0..1000 {
            output.line(Stream::Stdout, "hours", format!("line {i}"));
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "queueing never waits for the stream"
        );
        *go.0.lock().expect("lock") = true;
        go.1.notify_all();
        assert!(output.flush_blocking(Duration::from_secs(10)));
        let text = String::from_utf8(written.lock().expect("lock").clone()).expect("UTF-8");
        // The writer may catch up more than once while the lines come (its
        // thread can start late), so there is one notice per catch-up.
        let notices: Vec<&str> = text
            .lines()
            .filter(|line| line.contains("log lines from hours dropped"))
            .collect();
        assert!(!notices.is_empty(), "no notice in {text}");
        let dropped: u64 = notices
            .iter()
            .map(|notice| {
                assert!(
                    notice.ends_with("dropped: stdout is not keeping up"),
                    "{notice}"
                );
                notice
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .expect("a count")
            })
            .sum();
        let kept = text
            .lines()
            .filter(|line| line.starts_with("line "))
            .count() as u64;
        assert_eq!(kept + dropped, 1000, "{text}");
    }

    #[test]
    fn a_queue_holds_a_bounded_number_of_bytes() {
        let go = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let stuck = Stuck {
            go: go.clone(),
            written: Arc::default(),
        };
        let queue =
            spawn_writer(Stream::Stdout, 1_000_000, LogFormat::Plain, stuck).expect("thread");
        let line = "x".repeat(MAX_LINE_BYTES - 1);
        for _ in 0..1000 {
            queue.push("hours", format!("{line}\n").into_bytes());
        }
        // The writer holds one line, blocked; the queue the rest, within its bound.
        assert!(queue.queued_bytes.load(Ordering::Acquire) <= MAX_QUEUED_BYTES);
        let dropped = queue.dropped.lock().expect("lock")["hours"];
        let held = (MAX_QUEUED_BYTES / MAX_LINE_BYTES) as u64;
        assert!(dropped >= 1000 - held - 1, "{dropped}");
        *go.0.lock().expect("lock") = true;
        go.1.notify_all();
    }
}
