//! Where the classifier finds ONNX Runtime and its model folder.

use std::path::{Path, PathBuf};

use ort::environment::Environment;

use crate::Error;

/// The setting (of each program) that names another model folder.
pub const MODEL_SETTING: &str = "GALLERY_MODEL_DIR";
pub const DEFAULT_MODEL: &str = "efficientnet-lite0";

/// The model folder a program's setting names, or else the shipped EfficientNet-Lite0.
pub fn model_dir(setting: Option<PathBuf>) -> Result<PathBuf, Error> {
    setting.map_or_else(default_model_dir, Ok)
}

/// The shipped EfficientNet-Lite0, wherever the program runs from.
pub fn default_model_dir() -> Result<PathBuf, Error> {
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
