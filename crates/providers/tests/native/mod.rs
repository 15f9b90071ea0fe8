#![cfg(test)]
//! The Anthropic, Gemini and Ollama wire formats against the fake LLM server over loopback:
//! shared scenarios, run once per format, plus what only one format has.

mod anthropic;
mod gemini;
mod ollama;
