//! The log-mel front end against transformers' `WhisperFeatureExtractor` (the reference
//! Whisper was trained with), on a spoken command: the first 300 frames of its features,
//! computed by `speech/tools/whisper_onnx.py`'s environment and kept beside the WAV.

use speech::mel::{LogMel, N_MELS};

#[test]
fn the_features_are_whispers_own() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let wav = std::fs::read(format!("{data}show-me-pictures-of-my-dog.wav")).unwrap();
    let samples = speech::audio::decode(&wav, speech::audio::Kind::Wav, 30.0).unwrap();
    let reference: Vec<f32> = std::fs::read(format!("{data}show-me-pictures-of-my-dog.mel300.f32"))
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let frames = 300;
    assert_eq!(reference.len(), N_MELS * frames);
    let ours = LogMel::new().compute(&samples, frames);
    let worst = ours
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst < 2e-3, "the features differ by up to {worst}");
}
