//! The terminal as an exec approver for `rustyclaw agent` and `rustyclaw chat`: each approval
//! request is shown on stderr and answered from stdin (`[o]nce`, `[a]lways`, `[d]eny`).
//!
//! Only an interactive terminal registers as an approver. With stdin redirected nobody is
//! there to answer, so the broker applies `askFallback` at once instead of waiting.
//!
//! `agent` reads stdin for the whole turn ([`start`]). `chat` shares stdin with its line editor,
//! so its prompt reads one line per question, only while a question is open
//! ([`start_on_demand`]), and the chat waits for that reader ([`Prompt::settle`]) before it
//! reads its own next line: no typed line goes to the wrong reader.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};

use rustyclaw_tools::approvals::{
    ApprovalBroker, ApprovalEvent, ApprovalRequest, ApproverGuard, Decision, Outcome,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::output;

/// The prompt, alive while both parts are held.
pub struct Prompt {
    _approver: ApproverGuard,
    task: JoinHandle<()>,
    /// The line reader of an on-demand prompt still waiting for a line.
    reader: ReaderSlot,
}

type ReaderSlot = std::sync::Arc<std::sync::Mutex<Option<std::thread::JoinHandle<()>>>>;

impl Prompt {
    /// Waits for a line reader left waiting by a question that ended unanswered (the person
    /// was asked to press Enter), so the next line typed is the caller's.
    pub fn settle(&self) {
        let waiting = self
            .reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(reader) = waiting {
            let _ = reader.join();
        }
    }
}

/// A line read by an on-demand reader (`None` at end of input), and when it was read.
type ReadLine = (Option<String>, std::time::Instant);

/// Where answers come from.
enum Lines {
    /// A thread reading stdin for as long as the prompt lives.
    Shared(mpsc::UnboundedReceiver<Option<String>>),
    /// One thread per line, started when a question needs one. A reader left waiting by a
    /// question that ended unanswered is kept (`pending`) and answers the next question:
    /// starting a second one would let the first take that answer and lose it.
    OnDemand {
        slot: ReaderSlot,
        pending: Option<tokio::sync::oneshot::Receiver<ReadLine>>,
        /// Reads one line (stdin's, outside tests).
        read: fn() -> Option<String>,
    },
}

/// One line of stdin; `None` at its end or on an error.
fn stdin_line() -> Option<String> {
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    matches!(read, Ok(n) if n > 0).then_some(line)
}

impl Lines {
    async fn next(&mut self) -> Option<String> {
        match self {
            Lines::Shared(lines) => lines.recv().await.flatten(),
            Lines::OnDemand {
                slot,
                pending,
                read,
            } => {
                let asked = std::time::Instant::now();
                loop {
                    let rx = match pending {
                        Some(rx) => rx,
                        None => {
                            let (tx, rx) = tokio::sync::oneshot::channel();
                            let read = *read;
                            let reader = std::thread::spawn(move || {
                                let line = read();
                                let _ = tx.send((line, std::time::Instant::now()));
                            });
                            *slot
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reader);
                            pending.insert(rx)
                        }
                    };
                    let read = rx.await;
                    *pending = None;
                    slot.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take();
                    match read {
                        // Typed before this question was asked: the Enter that released an
                        // earlier one (see `Prompt::settle`), not an answer.
                        Ok((_, read_at)) if read_at < asked => continue,
                        Ok((line, _)) => return line,
                        Err(_) => return None,
                    }
                }
            }
        }
    }

    /// Whether a reader is left waiting after a question ended unanswered.
    fn left_waiting(&self) -> bool {
        match self {
            Lines::Shared(_) => false,
            Lines::OnDemand { slot, .. } => slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_some(),
        }
    }
}

impl Drop for Prompt {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts answering `broker`'s requests from the terminal, if stdin is one.
pub fn start(broker: &ApprovalBroker) -> Option<Prompt> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let approver = broker.register_approver();
    let events = broker.subscribe();
    let lines = Lines::Shared(stdin_lines());
    let task = tokio::spawn(answer_requests(broker.clone(), events, lines));
    Some(Prompt {
        _approver: approver,
        task,
        reader: ReaderSlot::default(),
    })
}

/// Like [`start`], but reading stdin only while a question is open.
pub fn start_on_demand(broker: &ApprovalBroker) -> Option<Prompt> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    let approver = broker.register_approver();
    let events = broker.subscribe();
    let reader = ReaderSlot::default();
    let lines = Lines::OnDemand {
        slot: reader.clone(),
        pending: None,
        read: stdin_line,
    };
    let task = tokio::spawn(answer_requests(broker.clone(), events, lines));
    Some(Prompt {
        _approver: approver,
        task,
        reader,
    })
}

/// Lines typed on stdin, read by a plain thread: a blocking read cannot be cancelled, and a
/// thread left reading ends with the process instead of holding the runtime's shutdown.
fn stdin_lines() -> mpsc::UnboundedReceiver<Option<String>> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut lines = stdin.lock().lines();
        loop {
            let line = lines.next().and_then(Result::ok);
            let end = line.is_none();
            if tx.send(line).is_err() || end {
                return;
            }
        }
    });
    rx
}

async fn answer_requests(
    broker: ApprovalBroker,
    mut events: tokio::sync::broadcast::Receiver<ApprovalEvent>,
    mut lines: Lines,
) {
    // Requests that arrive while another is on screen wait their turn.
    let mut queued: VecDeque<ApprovalRequest> = VecDeque::new();
    loop {
        let request = match queued.pop_front() {
            Some(request) => request,
            None => match events.recv().await {
                Ok(ApprovalEvent::Requested(request)) => request,
                Ok(ApprovalEvent::Resolved(_)) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
        };
        if !broker.pending().iter().any(|p| p.id == request.id) {
            continue;
        }
        describe(&request);
        loop {
            ask(&request);
            let answer = tokio::select! {
                line = lines.next() => line,
                ended = ended(&mut events, &mut queued, &request.id) => {
                    if lines.left_waiting() {
                        output::err(&format!("(approval request {ended}; press Enter to go on)"));
                    } else {
                        output::err(&format!("(approval request {ended})"));
                    }
                    break;
                }
            };
            // End of input (Ctrl-D) is a refusal, not silence.
            let decision = match answer.as_deref().map(str::trim) {
                None => Decision::Deny,
                Some("o" | "O") => Decision::AllowOnce,
                Some("a" | "A") => Decision::AllowAlways,
                Some("d" | "D") => Decision::Deny,
                Some(word) => match word.parse::<Decision>() {
                    Ok(decision) => decision,
                    Err(_) => continue,
                },
            };
            if let Err(e) = broker.resolve(&request.id, decision, Some("cli")) {
                output::err(&format!("({e})"));
            }
            break;
        }
    }
}

fn describe(request: &ApprovalRequest) {
    let r = &request.request;
    let mut text = format!(
        "exec approval needed ({}):\n  command: {}",
        request.id, r.command
    );
    if let Some(cwd) = &r.cwd {
        text.push_str(&format!("\n  cwd: {cwd}"));
    }
    if let Some(path) = &r.resolved_path {
        text.push_str(&format!("\n  program: {path}"));
    }
    text.push_str(&format!(
        "\n  policy: host={} security={} ask={}",
        r.host, r.security, r.ask
    ));
    output::err(&text);
}

fn ask(request: &ApprovalRequest) {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "Allow {}? [o]nce/[a]lways/[d]eny: ",
        request.request.command
    );
    let _ = stderr.flush();
}

/// Waits until request `id` ends without this prompt's answer (expired, withdrawn, answered
/// by another approver), queueing the requests that arrive meanwhile.
async fn ended(
    events: &mut tokio::sync::broadcast::Receiver<ApprovalEvent>,
    queued: &mut VecDeque<ApprovalRequest>,
    id: &str,
) -> &'static str {
    loop {
        match events.recv().await {
            Ok(ApprovalEvent::Resolved(r)) if r.id == id => {
                return match r.outcome {
                    Outcome::Expired => "expired",
                    Outcome::Withdrawn => "withdrawn",
                    Outcome::Decided(_) => "answered",
                };
            }
            Ok(ApprovalEvent::Requested(other)) => queued.push_back(other),
            Ok(ApprovalEvent::Resolved(_)) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return "closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Mutex, OnceLock, mpsc};
    use std::time::Duration;

    use super::*;

    /// The keyboard: what the test types, which the reader threads take a line at a time.
    type Keyboard = (Mutex<mpsc::Sender<String>>, Mutex<mpsc::Receiver<String>>);

    fn keyboard() -> &'static Keyboard {
        static KEYBOARD: OnceLock<Keyboard> = OnceLock::new();
        KEYBOARD.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            (Mutex::new(tx), Mutex::new(rx))
        })
    }

    fn type_line(line: &str) {
        keyboard().0.lock().unwrap().send(line.to_owned()).unwrap();
    }

    fn read_typed() -> Option<String> {
        keyboard().1.lock().unwrap().recv().ok()
    }

    #[tokio::test]
    async fn an_answer_after_an_unanswered_question_reaches_the_next_question() {
        let slot = ReaderSlot::default();
        let mut lines = Lines::OnDemand {
            slot: slot.clone(),
            pending: None,
            read: read_typed,
        };
        // The first question ends unanswered: its reader is left waiting.
        let first = tokio::time::timeout(Duration::from_millis(50), lines.next()).await;
        assert!(first.is_err());
        assert!(lines.left_waiting());
        // The next question gets the line typed for it (one reader, not two racing).
        let second = tokio::spawn(async move { (lines.next().await, lines) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        type_line("o");
        let (answer, mut lines) = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the answer went to a reader nobody listens to")
            .unwrap();
        assert_eq!(answer.as_deref(), Some("o"));

        // A line typed before a question (the Enter that released the caller) is no answer.
        let unanswered = tokio::time::timeout(Duration::from_millis(50), lines.next()).await;
        assert!(unanswered.is_err());
        type_line("");
        let waiting = slot.lock().unwrap().take();
        waiting.unwrap().join().unwrap();
        let third = tokio::spawn(async move { lines.next().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        type_line("d");
        let answer = tokio::time::timeout(Duration::from_secs(5), third).await;
        assert_eq!(answer.unwrap().unwrap().as_deref(), Some("d"));
    }
}
