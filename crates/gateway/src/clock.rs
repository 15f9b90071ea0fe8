//! The wall clock as the gateway's payloads carry it (`ts` fields, presence rows, pairing
//! records, audit entries): `rustyclaw_support`'s, named here so the gateway's modules keep
//! importing their clock from a leaf of their own crate.

pub(crate) use rustyclaw_support::{now_ms, now_ms_i64};
