//! Test modules and the shared harness.

mod agent_files;
mod channel_pairing;
mod channels;
mod channels_official_cli;
mod chat;
mod config_rpc;
mod control_ui;
mod devices;
mod docs_table;
mod events;
mod exhaustion;
mod fake_channels;
mod frames;
mod handshake;
mod harness;
mod http_api;
mod limits;
mod logs;
mod memory;
mod operator;
mod sessions;
mod skills;
mod slow_clients;
mod waiting;
mod weakening;
