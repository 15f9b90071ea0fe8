#![cfg(test)]
//! The OpenAI wire formats against the fake LLM server over loopback: shared scenarios, run
//! once per format, plus what only one format has.

mod completions;
mod responses;
