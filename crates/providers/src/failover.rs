//! Auth-profile rotation and model failover around [`Client::stream`]; the rules are on
//! [`stream_with_failover`].

mod cooldown;

use std::borrow::Cow;
use std::fmt;

use rustyclaw_config::Scrubber;
use tokio_util::sync::CancellationToken;

use crate::client::{Client, EventStream};
use crate::error::{FailureClass, ProviderError};
use crate::model::{Credential, Target};
use crate::redact;
use crate::request::ModelRequest;
use crate::resolve::Candidate;
use crate::retry::{RetryPolicy, abortable, sleep_or_abort};

pub use cooldown::{CooldownRecord, Cooldowns};

/// One failed try of one model with one profile (retries included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// `provider/model`.
    pub model_ref: String,
    /// The auth profile used; `None` when no request could be sent (no key, every profile
    /// cooling down).
    pub profile_id: Option<String>,
    /// What went wrong, one line, with every key of the chain scrubbed out.
    pub error_summary: String,
    /// The failure's class.
    pub class: FailureClass,
    /// Requests sent, retries included (0 when none could be sent).
    pub tries: u32,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.model_ref)?;
        if let Some(profile) = &self.profile_id {
            write!(f, " [{profile}]")?;
        }
        write!(f, ": {} ({})", self.error_summary, self.class.label())
    }
}

/// A successful call.
pub struct FailoverOutcome {
    /// The response in progress.
    pub stream: EventStream,
    /// The model and credential that answered.
    pub target: Target,
    /// Failed attempts before this one, in order.
    pub attempts: Vec<Attempt>,
    /// Cooldowns started during the call, for the store.
    pub cooldowns: Vec<CooldownRecord>,
}

impl fmt::Debug for FailoverOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailoverOutcome")
            .field("target", &self.target)
            .field("attempts", &self.attempts)
            .field("cooldowns", &self.cooldowns)
            .finish_non_exhaustive()
    }
}

/// Why no model answered.
#[derive(Debug, thiserror::Error)]
pub enum FailoverError {
    /// A failure that failover does not handle (context overflow, bad request, abort), as
    /// the provider reported it.
    #[error("{error}")]
    Stopped {
        /// The error, unchanged.
        error: ProviderError,
        /// The model that failed.
        model_ref: String,
        /// The profile it was called with.
        profile_id: Option<String>,
        /// Failed attempts before this one.
        attempts: Vec<Attempt>,
        /// Cooldowns started during the call.
        cooldowns: Vec<CooldownRecord>,
    },
    /// Every candidate failed.
    #[error("every model failed: {}", summary(.attempts))]
    Exhausted {
        /// Every attempt, in order.
        attempts: Vec<Attempt>,
        /// Cooldowns started during the call.
        cooldowns: Vec<CooldownRecord>,
    },
}

fn summary(attempts: &[Attempt]) -> String {
    if attempts.is_empty() {
        return "no model to try".to_owned();
    }
    let parts: Vec<String> = attempts.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

impl FailoverError {
    /// The attempts made.
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            FailoverError::Stopped { attempts, .. } | FailoverError::Exhausted { attempts, .. } => {
                attempts
            }
        }
    }

    /// Cooldowns started during the call, for the store.
    pub fn cooldowns(&self) -> &[CooldownRecord] {
        match self {
            FailoverError::Stopped { cooldowns, .. }
            | FailoverError::Exhausted { cooldowns, .. } => cooldowns,
        }
    }

    /// The class of the failure that ended the call: the stopping error's, or the last
    /// attempt's.
    pub fn class(&self) -> Option<FailureClass> {
        match self {
            FailoverError::Stopped { error, .. } => Some(error.class()),
            FailoverError::Exhausted { attempts, .. } => attempts.last().map(|a| a.class),
        }
    }

    /// Whether the caller cancelled the call.
    pub fn is_aborted(&self) -> bool {
        matches!(
            self,
            FailoverError::Stopped {
                error: ProviderError::Aborted,
                ..
            }
        )
    }
}

/// Failures that move on to the model's next auth profile rather than the next model.
fn rotates_profile(class: FailureClass) -> bool {
    matches!(
        class,
        FailureClass::RateLimit | FailureClass::Auth | FailureClass::Billing
    )
}

/// What a call accumulates on the way.
#[derive(Default)]
struct Log {
    attempts: Vec<Attempt>,
    cooldowns: Vec<CooldownRecord>,
    sent: bool,
}

/// Sends `request` to the first candidate of `chain` that answers. Each candidate's `params`
/// are merged under the request's own.
///
/// The candidates (a [`FailoverChain`](crate::FailoverChain)'s, in order) are walked in two
/// stages:
///
/// 1. **Profiles** (stage 1): a candidate's auth profiles are tried least recently used
///    first, skipping those in cooldown. Rate-limit, auth and billing failures move on to the
///    next profile of the same model; on a rate limit it moves on at once instead of waiting
///    when another profile is available.
/// 2. **Models** (stage 2): any other failure that another model may not share (5xx,
///    overload, network, malformed responses, a missing key) moves on to the next candidate.
///
/// Each attempt goes through `policy`. Failures another model would not fix
/// (context overflow, bad request, abort) stop the walk at once and come back unchanged as
/// [`FailoverError::Stopped`], so the caller can compact and try again. When everything
/// fails, [`FailoverError::Exhausted`] lists every attempt (OpenClaw's
/// `FallbackSummaryError`).
///
/// Profiles in cooldown are skipped, but a cooldown never stops rustyclaw from trying at all:
/// when every profile of every candidate is resting, the profile that becomes available
/// first is probed once.
///
/// Only the part before the first event is covered: once [`Client::stream`] returned a
/// stream, errors inside it belong to the caller.
///
/// No key of any candidate appears in what comes back (errors, attempt summaries, the
/// stream's events and errors): a provider that quotes one has it replaced by `[REDACTED]`.
pub async fn stream_with_failover(
    client: &Client,
    chain: &[Candidate],
    request: &ModelRequest,
    policy: &RetryPolicy,
    cooldowns: &Cooldowns,
    cancel: &CancellationToken,
) -> Result<FailoverOutcome, FailoverError> {
    let mut log = Log::default();
    let now = rustyclaw_support::now_ms();
    let scrubber = redact::chain_scrubber(chain);
    for (index, candidate) in chain.iter().enumerate() {
        let later_models = index + 1 < chain.len();
        let model_ref = candidate.reference();
        if candidate.profiles.is_empty() {
            let error = candidate.missing_key();
            tracing::info!(model = %model_ref, "skipping model without credentials");
            log.attempts.push(Attempt {
                model_ref,
                profile_id: None,
                error_summary: error.to_string(),
                class: error.class(),
                tries: 0,
            });
            continue;
        }
        let (usable, cooling) = cooldowns.partition(&candidate.profiles, now);
        if usable.is_empty() {
            let soonest = cooling.first().map(|(_, r)| r);
            log.attempts.push(Attempt {
                model_ref,
                profile_id: None,
                error_summary: match soonest {
                    Some(r) => format!(
                        "every auth profile is cooling down; {} is available again in {}s",
                        r.profile_id,
                        r.until_ms.saturating_sub(now).div_ceil(1000)
                    ),
                    None => "every auth profile is cooling down".to_owned(),
                },
                class: soonest
                    .and_then(|r| cooldown::class_of(&r.reason))
                    .unwrap_or(FailureClass::RateLimit),
                tries: 0,
            });
            continue;
        }
        let request = with_params(request, candidate);
        let step = Step {
            client,
            policy,
            cooldowns,
            cancel,
            request: &request,
            scrubber: &scrubber,
        };
        for (i, credential) in usable.iter().enumerate() {
            let more_profiles = i + 1 < usable.len();
            match step
                .try_profile(candidate, credential, more_profiles, later_models, &mut log)
                .await
            {
                Ok(outcome) => return Ok(outcome.finish(log)),
                Err(Next::Stop(error)) => return Err(stop(error, log)),
                Err(Next::Profile) => continue,
                Err(Next::Model) => break,
            }
        }
    }
    if !log.sent
        && let Some((candidate, credential)) = probe_target(chain, cooldowns, now)
    {
        tracing::info!(
            model = %candidate.reference(),
            profile = %credential.profile_id,
            "every auth profile is cooling down; probing the first to recover"
        );
        let request = with_params(request, candidate);
        let step = Step {
            client,
            policy,
            cooldowns,
            cancel,
            request: &request,
            scrubber: &scrubber,
        };
        match step
            .try_profile(candidate, credential, false, false, &mut log)
            .await
        {
            Ok(outcome) => return Ok(outcome.finish(log)),
            Err(Next::Stop(error)) => return Err(stop(error, log)),
            Err(Next::Profile | Next::Model) => {}
        }
    }
    Err(FailoverError::Exhausted {
        attempts: log.attempts,
        cooldowns: log.cooldowns,
    })
}

/// The profile to probe when nothing could be sent: the first candidate's profile whose
/// cooldown ends soonest.
fn probe_target<'a>(
    chain: &'a [Candidate],
    cooldowns: &Cooldowns,
    now: u64,
) -> Option<(&'a Candidate, &'a Credential)> {
    chain.iter().find_map(|candidate| {
        let (_, cooling) = cooldowns.partition(&candidate.profiles, now);
        cooling
            .first()
            .map(|(credential, _)| (candidate, *credential))
    })
}

fn with_params<'a>(request: &'a ModelRequest, candidate: &Candidate) -> Cow<'a, ModelRequest> {
    if candidate.params.is_empty() {
        return Cow::Borrowed(request);
    }
    // Model params sit under the request's own (agent-level params win, as in OpenClaw).
    let mut params = candidate.params.clone();
    params.extend(request.params.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut owned = request.clone();
    owned.params = params;
    Cow::Owned(owned)
}

struct Stopped {
    error: ProviderError,
    model_ref: String,
    profile_id: Option<String>,
}

fn stop(stopped: Stopped, log: Log) -> FailoverError {
    FailoverError::Stopped {
        error: stopped.error,
        model_ref: stopped.model_ref,
        profile_id: stopped.profile_id,
        attempts: log.attempts,
        cooldowns: log.cooldowns,
    }
}

/// Where the walk goes after a failed profile.
enum Next {
    /// Stop with this error.
    Stop(Stopped),
    /// Try the model's next profile.
    Profile,
    /// Try the next model.
    Model,
}

struct Answered {
    stream: EventStream,
    target: Target,
}

impl Answered {
    fn finish(self, log: Log) -> FailoverOutcome {
        FailoverOutcome {
            stream: self.stream,
            target: self.target,
            attempts: log.attempts,
            cooldowns: log.cooldowns,
        }
    }
}

/// The shared inputs of one call.
struct Step<'a> {
    client: &'a Client,
    policy: &'a RetryPolicy,
    cooldowns: &'a Cooldowns,
    cancel: &'a CancellationToken,
    request: &'a ModelRequest,
    /// Every key of the chain.
    scrubber: &'a Scrubber,
}

impl Step<'_> {
    /// Calls `candidate` with `credential`, retrying per policy, and books the result.
    /// `later_models` says whether the chain has models after this one (for the log line).
    async fn try_profile(
        &self,
        candidate: &Candidate,
        credential: &Credential,
        more_profiles: bool,
        later_models: bool,
        log: &mut Log,
    ) -> Result<Answered, Next> {
        let target = Target {
            model: candidate.model.clone(),
            credential: credential.clone(),
        };
        let model_ref = candidate.reference();
        let profile_id = credential.profile_id.clone();
        self.cooldowns.mark_used(&profile_id);
        let (error, tries) = match self.send(&target, more_profiles, log).await {
            Ok(stream) => {
                self.cooldowns.record_success(&profile_id);
                return Ok(Answered { stream, target });
            }
            Err(failed) => failed,
        };
        let class = error.class();
        if !class.allows_failover() {
            return Err(Next::Stop(Stopped {
                error,
                model_ref,
                profile_id: Some(profile_id),
            }));
        }
        // "Failing over" only when there is somewhere to go: a user with one model and one
        // key reads this line while their request simply failed.
        if more_profiles || later_models {
            tracing::warn!(
                model = %model_ref,
                profile = %profile_id,
                class = class.label(),
                tries,
                "model request failed; failing over"
            );
        } else {
            tracing::warn!(
                model = %model_ref,
                profile = %profile_id,
                class = class.label(),
                tries,
                "model request failed; no fallback left to try"
            );
        }
        if let Some(record) = self
            .cooldowns
            .record_failure(&profile_id, class, error.retry_after())
        {
            log.cooldowns.push(record);
        }
        log.attempts.push(Attempt {
            model_ref,
            profile_id: Some(profile_id),
            error_summary: self.scrubber.scrub(&error.to_string()).into_owned(),
            class,
            tries,
        });
        Err(if rotates_profile(class) {
            Next::Profile
        } else {
            Next::Model
        })
    }

    /// One target with retries. A rate limit gives up at once when another profile can take
    /// over: waiting on a throttled key while a fresh one sits idle helps nobody.
    async fn send(
        &self,
        target: &Target,
        more_profiles: bool,
        log: &mut Log,
    ) -> Result<EventStream, (ProviderError, u32)> {
        let mut tries = 0;
        loop {
            tries += 1;
            log.sent = true;
            let attempt = self
                .client
                .stream_scrubbed(target, self.request, self.scrubber);
            let error = match abortable(attempt, self.cancel).await {
                Ok(stream) => return Ok(stream),
                Err(error) => error,
            };
            if more_profiles && error.class() == FailureClass::RateLimit {
                return Err((error, tries));
            }
            let Some(delay) = self.policy.delay_before_retry(tries, &error) else {
                return Err((error, tries));
            };
            tracing::debug!(
                model = %target.model.reference(),
                profile = %target.credential.profile_id,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "retrying model request"
            );
            if let Err(aborted) = sleep_or_abort(delay, self.cancel).await {
                return Err((aborted, tries));
            }
        }
    }
}
