//! A model folder: `model.json` (how to feed the network), the ONNX file and the labels.
//! Any ImageNet-1k classifier fits once it has such a description.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Layout {
    NCHW,
    NHWC,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    Bilinear,
    Bicubic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// Raw scores: softmax gives probabilities.
    Logits,
    /// Already probabilities.
    Probabilities,
}

/// How one model wants its input: shorter side resized to `resize`, centre crop of
/// `crop`, then `(x / scale * 255 - mean) / std` per channel (x in 0..255, `scale` 255
/// means mean/std are in 0..255 units, `scale` 1 that they are in 0..1 units).
#[derive(Debug, Clone, Deserialize)]
pub struct Description {
    pub name: String,
    pub model: String,
    pub labels: String,
    pub input: String,
    pub output: String,
    pub layout: Layout,
    pub resize: u32,
    pub crop: u32,
    pub interpolation: Interpolation,
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub scale: f32,
    pub output_kind: OutputKind,
    /// SHA-256 of the ONNX file, checked at load when present.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// One class the model tells apart: its name, WordNet id and other names.
#[derive(Debug, Clone, Deserialize)]
pub struct Class {
    pub name: String,
    pub wnid: String,
    #[serde(default)]
    pub synonyms: Vec<String>,
}

/// A loaded model: its description, labels and ONNX bytes (read once, shared by sessions).
pub struct Model {
    pub dir: PathBuf,
    pub description: Description,
    pub labels: Vec<Class>,
    pub onnx: Arc<[u8]>,
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::Model(format!("cannot read {}: {e}", path.display())))
}

impl Description {
    /// The `model.json` of a model folder.
    pub fn read(dir: &Path) -> Result<Self, Error> {
        serde_json::from_slice(&read(&dir.join("model.json"))?).map_err(|e| {
            Error::Model(format!(
                "{}/model.json is not a valid model description: {e}",
                dir.display()
            ))
        })
    }
}

impl Model {
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref().to_path_buf();
        let description = Description::read(&dir)?;
        let labels: Vec<Class> = serde_json::from_slice(&read(&dir.join(&description.labels))?)
            .map_err(|e| {
                Error::Model(format!("{}: the labels are not valid: {e}", dir.display()))
            })?;
        if labels.len() != 1000 {
            return Err(Error::Model(format!(
                "{}: expected 1000 ImageNet labels, found {}",
                dir.display(),
                labels.len()
            )));
        }
        if description.crop == 0 || description.resize < description.crop {
            return Err(Error::Model(format!(
                "{}: resize must be at least crop, and crop above 0",
                dir.display()
            )));
        }
        let onnx = read(&dir.join(&description.model))?;
        if let Some(expected) = &description.sha256 {
            let actual = sha256_hex(&onnx);
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(Error::Model(format!(
                    "{} is corrupt: its SHA-256 is {actual}, the description says {expected}",
                    dir.join(&description.model).display()
                )));
            }
        }
        Ok(Self {
            dir,
            description,
            labels,
            onnx: onnx.into(),
        })
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}
