//! Finding and loading ONNX Runtime (`ort` with `load-dynamic`): the library comes from
//! the PyPI `onnxruntime` wheel, unpacked by the setup script into `.cache/onnxruntime/`.
//! Nobody has to export anything: the program looks in the usual places itself.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

use crate::Error;

pub const LIBRARY: &str = "libonnxruntime.so.1.32.0";
/// A setting that names the library file, for installs that keep it elsewhere.
pub const LIBRARY_SETTING: &str = "GALLERY_ORT_LIBRARY";
/// A setting that names the model folder.
pub const MODEL_SETTING: &str = "GALLERY_MODEL_DIR";
pub const DEFAULT_MODEL: &str = "efficientnet-lite0";

/// Folders to look in, nearest first: beside the executable and its parents, the
/// working directory and its parents, and this source tree.
fn search_roots() -> Vec<PathBuf> {
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

pub fn find_library() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os(LIBRARY_SETTING) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(Error::Model(format!(
                "{LIBRARY_SETTING} names {}, which does not exist",
                path.display()
            )))
        };
    }
    search_roots()
        .into_iter()
        .flat_map(|root| [root.join(LIBRARY), root.join(".cache/onnxruntime").join(LIBRARY)])
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::Model(format!(
                "ONNX Runtime ({LIBRARY}) was not found: run scripts/setup.sh, or set {LIBRARY_SETTING} to its path"
            ))
        })
}

/// The model folder: the setting, or the shipped EfficientNet-Lite0.
pub fn default_model_dir() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os(MODEL_SETTING) {
        return Ok(PathBuf::from(dir));
    }
    search_roots()
        .into_iter()
        .flat_map(|root| {
            [
                root.join("models").join(DEFAULT_MODEL),
                root.join("classifier-lambda/models").join(DEFAULT_MODEL),
            ]
        })
        .find(|p| p.join("model.json").is_file())
        .ok_or_else(|| {
            Error::Model(format!(
                "the model folder was not found: set {MODEL_SETTING}"
            ))
        })
}

/// The process's one ONNX Runtime environment, loaded on first use.
pub fn environment() -> Result<Environment, Error> {
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let path = find_library().map_err(|e| e.to_string())?;
        let builder = ort::init_from(&path)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?;
        builder
            .with_name("gallery")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime: {e}"))
    })
    .clone()
    .map_err(Error::Model)
}
