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

/// Where answers come from.
enum Lines {
    /// A thread reading stdin for as long as the prompt lives.
    Shared(mpsc::UnboundedReceiver<Option<String>>),
    /// One thread per question, reading one line.
    OnDemand(ReaderSlot),
}

impl Lines {
    async fn next(&mut self) -> Option<String> {
        match self {
            Lines::Shared(lines) => lines.recv().await.flatten(),
            Lines::OnDemand(slot) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let reader = std::thread::spawn(move || {
                    let mut line = String::new();
                    let read = std::io::stdin().lock().read_line(&mut line);
                    let _ = tx.send(matches!(read, Ok(n) if n > 0).then_some(line));
                });
                *slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reader);
                let line = rx.await.ok().flatten();
                slot.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take();
                line
            }
        }
    }

    /// Whether a reader is left waiting after a question ended unanswered.
    fn left_waiting(&self) -> bool {
        match self {
            Lines::Shared(_) => false,
            Lines::OnDemand(slot) => slot
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
    let lines = Lines::OnDemand(reader.clone());
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
