//! Test harness shared by every test binary (each includes it with `mod common;`), split by
//! concern:
//!
//! - [`app`]: the real server on port 0 against a fresh database and storage folder, its
//!   settings, restarts, and the API calls that sign up, sign in and make folders;
//! - [`photos`]: uploading photos, waiting for their labels, and the test images;
//! - [`forms`]: a browser without JavaScript, the CSRF tokens of the HTML pages and
//!   [`post_form`], which posts a page's form the way a browser does;
//! - [`binary`]: the `gallery` binary in a process of its own.
//!
//! Everything is re-exported here, so tests call `common::spawn_app`, `common::post_form`
//! and so on whatever module a helper lives in.
// Each test binary uses only some of the helpers.
#![allow(dead_code)]

pub mod app;
pub mod binary;
pub mod forms;
pub mod mail;
pub mod photos;

// A test binary that needs nothing from one of the modules would call its re-export unused.
#[allow(unused_imports)]
pub use app::*;
#[allow(unused_imports)]
pub use binary::*;
#[allow(unused_imports)]
pub use forms::*;
#[allow(unused_imports)]
pub use photos::*;
