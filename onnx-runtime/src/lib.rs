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

static CONFIGURED: OnceLock<PathBuf> = OnceLock::new();

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
