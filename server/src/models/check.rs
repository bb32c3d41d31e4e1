//! Checking a submitted model before it is accepted: it loads, its input and output are
//! the ones its description names, it classifies a real photo in time, one value per label.

use super::*;

/// Runs one model over the photo with a session kept from an earlier comparison.
pub(super) fn compare_one(
    kept: &mut Vec<(String, Classifier)>,
    id: String,
    default: bool,
    model: std::result::Result<Arc<Model>, String>,
    photo: &[u8],
) -> Compared {
    let mut answer = Compared {
        model_id: id.clone(),
        model: id.clone(),
        default,
        labels: Vec::new(),
        prepare_ms: 0.0,
        predict_ms: 0.0,
        error: None,
    };
    let model = match model {
        Ok(model) => model,
        Err(reason) => {
            answer.error = Some(reason);
            return answer;
        }
    };
    answer.model = model.description.name.clone();
    // A session of another version of this id (never: ids are not reused) or of a model
    // no longer kept is made again.
    let at = kept
        .iter()
        .position(|(k, c)| *k == id && std::ptr::eq(c.model(), &*model));
    let at = match at {
        Some(at) => at,
        None => match Classifier::new(model.clone(), 1) {
            Ok(session) => {
                kept.retain(|(k, _)| *k != id);
                kept.push((id, session));
                kept.len() - 1
            }
            Err(err) => {
                answer.error = Some(err.to_string());
                return answer;
            }
        },
    };
    let session = &mut kept[at].1;
    let started = Instant::now();
    let input = match Classifier::prepare(&model, photo) {
        Ok(input) => input,
        Err(err) => {
            answer.error = Some(err.to_string());
            return answer;
        }
    };
    answer.prepare_ms = ms(started);
    let started = Instant::now();
    match session.predict_top_k(input, super::TOP_K) {
        Ok(labels) => answer.labels = labels,
        Err(err) => answer.error = Some(err.to_string()),
    }
    answer.predict_ms = ms(started);
    answer
}

pub(super) fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 100_000.0).round() / 100.0
}

/// Loads a submitted model and classifies the check photo with it on one core: the
/// milliseconds it took, or why it is refused.
pub(super) fn check_model(
    description: Description,
    labels: Vec<Class>,
    onnx: Arc<[u8]>,
    max_time: Duration,
) -> std::result::Result<f64, String> {
    {
        let model = Arc::new(
            Model::from_parts(description, labels, onnx)
                .map_err(|e| format!("the model cannot be used: {e}"))?,
        );
        let mut session = Classifier::new(model.clone(), 1).map_err(|e| {
            format!(
                "the file is not an ONNX model that ONNX Runtime can load: {}",
                e.to_string().trim_start_matches("cannot load the model ")
            )
        })?;
        session
            .check_names()
            .map_err(|e| format!("the description does not fit the model: {e}"))?;
        let input = Classifier::prepare(&model, CHECK_PHOTO)
            .map_err(|e| format!("the check photo could not be prepared: {e}"))?;
        let (_, took) = session
            .predict_within(input, 3, max_time)
            .map_err(|e| format!("the model failed its check: {e}"))?;
        Ok((took.as_secs_f64() * 100_000.0).round() / 100.0)
    }
}

/// The labels as sent: a JSON list of `{"name", "wordnet_id"?}`.
pub(super) fn parse_labels(text: &str) -> Result<Vec<Class>> {
    let labels: Vec<LabelIn> = serde_json::from_str(text).map_err(|e| {
        Error::bad_request(format!(
            "the labels must be a JSON list of {{\"name\", \"wordnet_id\"?}}: {e}"
        ))
    })?;
    if labels.is_empty() || labels.len() > classifier::model::MAX_CLASSES {
        return Err(Error::bad_request(format!(
            "a model needs between 1 and {} labels, not {}",
            classifier::model::MAX_CLASSES,
            labels.len()
        )));
    }
    labels
        .into_iter()
        .enumerate()
        .map(|(n, label)| {
            let name = label.name.trim().to_owned();
            if name.is_empty()
                || name.chars().count() > MAX_LABEL_CHARS
                || name.chars().any(char::is_control)
            {
                return Err(Error::bad_request(format!(
                    "label {n}: a name must be 1 to {MAX_LABEL_CHARS} characters, without control characters"
                )));
            }
            let wnid = label.wordnet_id.unwrap_or_default();
            let plain_wnid = wnid.len() == 9
                && wnid.starts_with('n')
                && wnid[1..].bytes().all(|b| b.is_ascii_digit());
            if !wnid.is_empty() && !plain_wnid {
                return Err(Error::bad_request(format!(
                    "label {n}: a WordNet id is n and 8 digits (such as n02124075), not {wnid:?}"
                )));
            }
            Ok(Class {
                name,
                wnid,
                synonyms: Vec::new(),
            })
        })
        .collect()
}
