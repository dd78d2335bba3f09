//! The handlers, one module per resource — and the web app, its fonts and the probes. A resource
//! uses the shared modules (`auth`, `state`, `links`, `ingest`, …), not another resource.

pub mod account;
pub mod auth;
pub mod captions;
pub mod emoji;
pub mod events;
pub mod files;
pub mod health;
pub mod imports;
pub mod jobs;
pub mod media;
pub mod pages;
pub mod projects;
pub mod renders;
pub mod replacements;
pub mod saved_styles;
pub mod style_frames;
pub mod styles;
pub mod tokens;
pub mod uploads;
pub mod usage;
pub mod waveform;
pub mod web;
pub mod webhooks;
