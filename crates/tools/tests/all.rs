#![cfg(test)]
//! Integration tests of the built-in tools, called through `ToolRegistry::call` with real
//! temporary workspaces, real child processes and a real HTTP server on loopback.

mod exec;
mod files;
mod sandbox;
mod status;
mod support;
mod web;
