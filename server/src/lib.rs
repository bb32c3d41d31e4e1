//! Gallery: a self-hostable, multi-user AI photo gallery.

pub mod activity;
pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod config;
pub mod db;
pub mod error;
pub mod everyday;
pub mod export;
pub mod folders;
pub mod images;
pub mod jobs;
pub mod leaving;
pub mod mail;
pub mod models;
pub mod names;
pub mod net;
pub mod paging;
pub mod search;
pub mod spool;
pub mod state;
pub mod stats;
pub mod storage;
pub mod telemetry;
pub mod transcription;
pub mod trash;
pub mod undo;
pub mod usage;
pub mod voice;
pub mod web;
pub mod when;

pub use config::Config;
pub use state::AppState;
