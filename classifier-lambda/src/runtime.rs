//! Where the classifier finds ONNX Runtime and its model folder.

use std::path::{Path, PathBuf};

use ort::environment::Environment;

use crate::Error;

/// A setting that names the model folder.
pub const MODEL_SETTING: &str = "GALLERY_MODEL_DIR";
pub const DEFAULT_MODEL: &str = "efficientnet-lite0";

/// The model folder: the setting, or the shipped EfficientNet-Lite0.
pub fn default_model_dir() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os(MODEL_SETTING) {
        return Ok(PathBuf::from(dir));
    }
    let relative = [
        format!("models/{DEFAULT_MODEL}"),
        format!("classifier-lambda/models/{DEFAULT_MODEL}"),
    ];
    let relative: Vec<&str> = relative.iter().map(String::as_str).collect();
    onnx_runtime::find(&relative, |p: &Path| p.join("model.json").is_file()).ok_or_else(|| {
        Error::Model(format!(
            "the model folder was not found: set {MODEL_SETTING}"
        ))
    })
}

pub fn environment() -> Result<Environment, Error> {
    onnx_runtime::environment().map_err(Error::Model)
}
