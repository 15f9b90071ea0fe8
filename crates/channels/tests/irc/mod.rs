//! The IRC client against a real ngircd on loopback (started by the test kit), plus a tiny
//! scripted server for what ngircd cannot show (a server that stops answering, the exact lines
//! sent after the welcome).

mod flood;
mod messages;
mod reconnect;
mod registration;
mod scripted;
mod support;
