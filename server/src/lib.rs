//! Gallery: a self-hostable, multi-user AI photo gallery.

pub mod activity;
pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod everyday;
pub mod folders;
pub mod images;
pub mod jobs;
pub mod models;
pub mod names;
pub mod net;
pub mod paging;
pub mod search;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod transcription;
pub mod usage;
pub mod voice;
pub mod web;
pub mod when;

pub use config::Config;
pub use state::AppState;
