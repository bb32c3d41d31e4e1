//! ONNX Runtime (`ort` with `load-dynamic`) for every model of the project. The library
//! comes from the PyPI `onnxruntime` wheel, unpacked by the setup script into
//! `.cache/onnxruntime/`; nobody has to export anything, the program looks in the usual
//! places itself, unless its settings name the file ([`use_library`]). One environment per
//! process, shared by all sessions. Also what the models' outputs share: [`softmax`].

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use ort;
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::SessionBuilder;

pub const LIBRARY: &str = "libonnxruntime.so.1.32.0";
/// The setting (of each program) that names the library file, for installs that keep it
/// elsewhere.
pub const LIBRARY_SETTING: &str = "GALLERY_ORT_LIBRARY";

/// What ONNX Runtime reads when it starts: its official builds (the PyPI wheel's library
/// among them) send usage telemetry to Microsoft, and keep a device id for it under
/// `~/.cache`, unless this is "1". Disabling it later, through the API, comes too late for
/// what it sends at start.
pub const TELEMETRY_SETTING: &str = "ORT_DISABLE_TELEMETRY";

static CONFIGURED: OnceLock<PathBuf> = OnceLock::new();

/// Turns ONNX Runtime's telemetry off for this process and what it starts: every program
/// of the project calls it first thing in `main`. A gallery reports on nobody.
///
/// # Safety
///
/// It sets an environment variable: call it before any other thread of the process starts
/// (see [`std::env::set_var`]).
pub unsafe fn disable_telemetry() {
    // SAFETY: the caller guarantees that no other thread runs yet.
    unsafe { std::env::set_var(TELEMETRY_SETTING, "1") };
}

/// Names the library file, from the program's settings; call it before the first model
/// loads. Without it the usual places are searched.
pub fn use_library(path: Option<PathBuf>) {
    if let Some(path) = path {
        let _ = CONFIGURED.set(path);
    }
}

/// Folders to look in, nearest first: beside the executable and its parents, the
/// working directory and its parents, and this source tree.
pub fn search_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        roots.extend(exe.ancestors().skip(1).take(6).map(Path::to_path_buf));
    }
    if let Ok(cwd) = std::env::current_dir() {
        roots.extend(cwd.ancestors().take(6).map(Path::to_path_buf));
    }
    roots.push(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")));
    roots
}

/// The first of `relative` paths that exists below one of the search roots.
pub fn find(relative: &[&str], exists: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    search_roots()
        .into_iter()
        .flat_map(|root| relative.iter().map(move |r| root.join(r)))
        .find(|p| exists(p))
}

pub fn find_library() -> Result<PathBuf, String> {
    if let Some(path) = CONFIGURED.get() {
        return if path.is_file() {
            Ok(path.clone())
        } else {
            Err(format!(
                "{LIBRARY_SETTING} names {}, which does not exist",
                path.display()
            ))
        };
    }
    let relative = [LIBRARY.to_owned(), format!(".cache/onnxruntime/{LIBRARY}")];
    let relative: Vec<&str> = relative.iter().map(String::as_str).collect();
    find(&relative, Path::is_file).ok_or_else(|| {
        format!("ONNX Runtime ({LIBRARY}) was not found: run scripts/setup.sh, or set {LIBRARY_SETTING} to its path")
    })
}

/// The process's one ONNX Runtime environment, loaded on first use.
pub fn environment() -> Result<Environment, String> {
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let path = find_library()?;
        let builder = ort::init_from(&path)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?;
        builder
            .with_name("gallery")
            .with_telemetry(false)
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime: {e}"))
    })
    .clone()
}

/// A session of the ONNX file at `path`: `threads` threads within an operator, one across
/// them, and whatever else `tune` sets on the builder (most models: nothing). Errors name
/// the file.
pub fn session(
    path: &Path,
    threads: usize,
    tune: impl FnOnce(SessionBuilder) -> ort::Result<SessionBuilder>,
) -> Result<Session, String> {
    let env = environment()?;
    Session::builder(&env)
        .and_then(|b| {
            Ok(b.with_intra_threads(threads.max(1))?
                .with_inter_threads(1)?)
        })
        .and_then(tune)
        .and_then(|mut b| b.commit_from_file(path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Probabilities from a model's raw scores.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|&x| (x - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}
