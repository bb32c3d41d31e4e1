//! The ImageNet classifier of Gallery: decode, preprocess, run an ONNX model, name the
//! top classes. The server runs it in-process; the AWS Lambda runs the same code, down to
//! the one classify step of a job ([`step`]).

pub mod agreement;
pub mod model;
pub mod preprocess;
pub mod protocol;
pub mod runtime;
pub mod step;

use std::sync::Arc;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;

pub use model::Model;
pub use protocol::Label;

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The photo cannot be read: a problem with the input, not with the classifier.
    #[error("{0}")]
    Decode(String),
    /// The model or ONNX Runtime is missing, corrupt or failed.
    #[error("{0}")]
    Model(String),
}

/// One ONNX Runtime session over a shared model. `Session::run` needs `&mut`, so each
/// worker thread owns one; the model bytes are read once and shared.
pub struct Classifier {
    model: Arc<Model>,
    session: Session,
}

impl Classifier {
    /// A session with `threads` intra-op threads (1 per worker keeps a pool of one
    /// worker per core from oversubscribing the cores).
    pub fn new(model: Arc<Model>, threads: usize) -> Result<Self, Error> {
        let env = runtime::environment()?;
        let failed = |e: ort::Error| {
            Error::Model(format!(
                "cannot load the model {}: {e}",
                model.description.name
            ))
        };
        let session = Session::builder(&env)
            .map_err(failed)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| failed(e.into()))?
            .with_intra_threads(threads.max(1))
            .map_err(|e| failed(e.into()))?
            .with_inter_threads(1)
            .map_err(|e| failed(e.into()))?
            .commit_from_memory(&model.onnx)
            .map_err(failed)?;
        Ok(Self { model, session })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Decodes and preprocesses one photo into the network's input values.
    pub fn prepare(model: &Model, bytes: &[u8]) -> Result<Vec<f32>, Error> {
        let image = preprocess::decode(bytes, model.description.resize)?;
        preprocess::to_input(&image, &model.description)
    }

    /// Whether the session takes the input and gives the output its description names.
    pub fn check_names(&self) -> Result<(), Error> {
        let d = &self.model.description;
        let names = |outlets: &[ort::value::Outlet]| {
            outlets
                .iter()
                .map(|o| format!("{:?}", o.name()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.session.inputs().iter().any(|i| i.name() == d.input) {
            return Err(Error::Model(format!(
                "the model has no input {:?} (its inputs: {})",
                d.input,
                names(self.session.inputs())
            )));
        }
        if !self.session.outputs().iter().any(|o| o.name() == d.output) {
            return Err(Error::Model(format!(
                "the model has no output {:?} (its outputs: {})",
                d.output,
                names(self.session.outputs())
            )));
        }
        Ok(())
    }

    /// Runs one prepared input, stopped once `limit` has passed: its `k` most likely
    /// classes and how long the run took. A model too slow for the limit is refused.
    pub fn predict_within(
        &mut self,
        input: Vec<f32>,
        k: usize,
        limit: std::time::Duration,
    ) -> Result<(Vec<Label>, std::time::Duration), Error> {
        let failed = |e: ort::Error| Error::Model(format!("inference failed: {e}"));
        let options = Arc::new(ort::session::RunOptions::new().map_err(failed)?);
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let fired = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let watchdog = {
            let (options, fired) = (options.clone(), fired.clone());
            std::thread::spawn(move || {
                if finished.recv_timeout(limit).is_err() {
                    fired.store(true, std::sync::atomic::Ordering::SeqCst);
                    let _ = options.terminate();
                }
            })
        };
        let started = std::time::Instant::now();
        let outcome = self.predict_with(std::slice::from_ref(&input), Some(&options));
        let took = started.elapsed();
        let _ = done.send(());
        let _ = watchdog.join();
        if fired.load(std::sync::atomic::Ordering::SeqCst) || took >= limit {
            let limit = if limit.as_millis() >= 1000 {
                format!("{:.1} s", limit.as_secs_f64())
            } else {
                format!("{} ms", limit.as_millis())
            };
            return Err(Error::Model(format!(
                "the model is too slow: it did not classify a photo within {limit} (one core)"
            )));
        }
        let probabilities = outcome?;
        Ok((top_k(&probabilities[0], k, &self.model.labels), took))
    }

    /// Runs prepared inputs as one batch; returns each one's probabilities.
    pub fn predict(&mut self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, Error> {
        self.predict_with(inputs, None)
    }

    fn predict_with(
        &mut self,
        inputs: &[Vec<f32>],
        options: Option<&ort::session::RunOptions>,
    ) -> Result<Vec<Vec<f32>>, Error> {
        let d = &self.model.description;
        let crop = d.crop as usize;
        let shape = match d.layout {
            model::Layout::NCHW => [inputs.len(), 3, crop, crop],
            model::Layout::NHWC => [inputs.len(), crop, crop, 3],
        };
        let data: Vec<f32> = inputs.concat();
        let failed = |e: ort::Error| Error::Model(format!("inference failed: {e}"));
        let tensor = TensorRef::from_array_view((shape, data.as_slice())).map_err(failed)?;
        let inputs_of = ort::inputs![d.input.as_str() => tensor];
        let outputs = match options {
            Some(options) => self.session.run_with_options(inputs_of, options),
            None => self.session.run(inputs_of),
        }
        .map_err(failed)?;
        let output = outputs
            .get(d.output.as_str())
            .ok_or_else(|| Error::Model(format!("the model gave no output {:?}", d.output)))?;
        let (out_shape, values) = output.try_extract_tensor::<f32>().map_err(|e| {
            Error::Model(format!(
                "the output {:?} is not a tensor of 32-bit floats: {e}",
                d.output
            ))
        })?;
        let classes = out_shape.last().copied().unwrap_or(0) as usize;
        if classes != self.model.labels.len() || values.len() != classes * inputs.len() {
            return Err(Error::Model(format!(
                "the model gives {} values per photo, but there are {} labels",
                values.len() / inputs.len().max(1),
                self.model.labels.len()
            )));
        }
        Ok(values
            .chunks(classes)
            .map(|row| match d.output_kind {
                model::OutputKind::Logits => onnx_runtime::softmax(row),
                model::OutputKind::Probabilities => row.to_vec(),
            })
            .collect())
    }

    /// The `k` most likely classes of one prepared input, best first.
    pub fn predict_top_k(&mut self, input: Vec<f32>, k: usize) -> Result<Vec<Label>, Error> {
        let probabilities = self.predict(std::slice::from_ref(&input))?;
        Ok(top_k(&probabilities[0], k, &self.model.labels))
    }

    /// The whole pipeline for one photo: its `k` most likely classes, best first.
    pub fn classify(&mut self, bytes: &[u8], k: usize) -> Result<Vec<Label>, Error> {
        let input = Self::prepare(&self.model, bytes)?;
        self.predict_top_k(input, k)
    }
}

/// An error and its causes on one line, without the debug dump.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

/// The short form of an AWS SDK failure: the service's code and message when it answered,
/// else the chain of causes (connection refused, timeout…).
#[cfg(feature = "aws")]
pub fn sdk_error_reason<E, R>(err: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        aws_smithy_runtime_api::client::result::SdkError::ServiceError(service) => {
            let err = service.into_err();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => err.to_string(),
            }
        }
        other => error_chain(&other),
    }
}

/// The `k` most likely classes, best first.
pub fn top_k(probabilities: &[f32], k: usize, classes: &[model::Class]) -> Vec<Label> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_unstable_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    order
        .into_iter()
        .take(k)
        .map(|i| Label {
            label: classes[i].name.clone(),
            class_index: i as i64,
            score: f64::from(probabilities[i]),
        })
        .collect()
}
