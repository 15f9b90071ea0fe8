//! The wall clock as the transcript, the session entries, the run ledger and the audit log
//! record it: `rustyclaw_support`'s signed milliseconds, named here so the agent's modules keep
//! importing their clock from a leaf of their own crate.

pub(crate) use rustyclaw_support::now_ms_i64 as now_ms;
