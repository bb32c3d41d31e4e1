//! A model folder: `model.json` (how to feed the network), the ONNX file and the labels.
//! Any ImageNet-1k classifier fits once it has such a description.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Description {
    pub name: String,
    /// The ONNX file and the labels, in the folder (a registered model's are its own).
    #[serde(default = "default_onnx_file")]
    pub model: String,
    #[serde(default = "default_labels_file")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

fn default_onnx_file() -> String {
    "model.onnx".into()
}

fn default_labels_file() -> String {
    "labels.json".into()
}

/// The most classes a model may tell apart (ImageNet-21k has 21 841).
pub const MAX_CLASSES: usize = 50_000;
/// The largest input side a description may ask for.
pub const MAX_SIDE: u32 = 1024;

/// One class the model tells apart: its name, WordNet id and other names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Class {
    pub name: String,
    /// Empty for a class without one (a registered model's own labels may have none).
    #[serde(default)]
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
    /// A model folder of the gallery's own: `model.json`, its ONNX file and 1000 ImageNet labels.
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
        let onnx = read(&dir.join(&description.model))?;
        match Self::from_parts(description, labels, onnx.into()) {
            Ok(model) => Ok(Self { dir, ..model }),
            Err(Error::Model(e) | Error::Decode(e)) => {
                Err(Error::Model(format!("{}: {e}", dir.display())))
            }
        }
    }

    /// A model from its description, labels and ONNX bytes (a registered model, read from
    /// storage): checked as far as it can be without running it.
    pub fn from_parts(
        description: Description,
        labels: Vec<Class>,
        onnx: Arc<[u8]>,
    ) -> Result<Self, Error> {
        description.check()?;
        if labels.is_empty() || labels.len() > MAX_CLASSES {
            return Err(Error::Model(format!(
                "a model needs between 1 and {MAX_CLASSES} labels, not {}",
                labels.len()
            )));
        }
        if let Some(expected) = &description.sha256 {
            let actual = sha256_hex(&onnx);
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(Error::Model(format!(
                    "{} is corrupt: its SHA-256 is {actual}, the description says {expected}",
                    description.model
                )));
            }
        }
        Ok(Self {
            dir: PathBuf::new(),
            description,
            labels,
            onnx,
        })
    }
}

impl Description {
    /// Sizes and numbers a model can be fed with.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |why: String| Err(Error::Model(why));
        if self.crop == 0 || self.resize < self.crop {
            return bad("resize must be at least crop, and crop above 0".into());
        }
        if self.resize > MAX_SIDE {
            return bad(format!("resize may be at most {MAX_SIDE} pixels"));
        }
        if self.std.iter().any(|s| !s.is_finite() || *s == 0.0)
            || self.mean.iter().any(|m| !m.is_finite())
            || !self.scale.is_finite()
            || self.scale <= 0.0
        {
            return bad("mean must be finite, std and scale finite and not 0".into());
        }
        if self.input.is_empty() || self.output.is_empty() {
            return bad("the description must name the input and the output".into());
        }
        Ok(())
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}
