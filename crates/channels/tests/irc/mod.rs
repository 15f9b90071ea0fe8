//! The IRC client and the IRC channel account against a real ngircd on loopback (started by
//! the test kit), plus a tiny scripted server for what ngircd cannot show (a server that stops
//! answering, the exact lines sent after the welcome).

mod account;
mod flood;
mod messages;
mod reconnect;
mod registration;
mod scripted;
mod support;
