#![cfg(test)]
//! Integration tests of the built-in tools and of tools registered at run time, called through
//! `ToolRegistry::call` with real temporary workspaces, real child processes and a real HTTP
//! server on loopback.

mod dynamic;
mod exec;
mod files;
mod sandbox;
mod status;
mod support;
mod web;
