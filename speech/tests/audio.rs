//! What browsers and other clients send, decoded to the 16 kHz mono samples Whisper reads:
//! Chrome's MediaRecorder WebM (Opus, clusters of unknown size), Ogg Opus (ffmpeg's, as
//! Firefox records), WAV at other rates and in stereo; and what is refused.

use speech::audio::{Kind, decode};
use speech::score::{word_error_rate, words};
use speech::{Error, Recogniser};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn recogniser() -> Recogniser {
    Recogniser::load(&speech::default_model_dir().unwrap(), 2).unwrap()
}

/// Heard well enough, on any CPU: at most one word in five missed, added or changed (ONNX
/// Runtime's kernels differ by CPU, and a greedy decoder may then take another word: "set
/// the thermostat 21 degrees" on AVX2, "… to 21 degrees" with AVX-512), and every word
/// that carries the meaning there.
fn assert_heard(heard: &str, said: &str, meaning: &[&str], what: &str) {
    let error_rate = word_error_rate(said, heard);
    assert!(
        error_rate <= 0.2,
        "{what}: heard {heard:?} for {said:?}, a word error rate of {error_rate:.2}"
    );
    let words = words(heard);
    for word in meaning {
        assert!(
            words.iter().any(|w| w == word),
            "{what}: {word:?} is missing from {heard:?}"
        );
    }
}

#[test]
fn opus_from_chrome_and_from_ogg_is_heard() {
    let r = recogniser();
    for (name, kind) in [
        ("chrome-mediarecorder.webm", Kind::WebM),
        ("ffmpeg.ogg", Kind::Ogg),
    ] {
        let samples = decode(&data(name), kind, 30.0).unwrap();
        let seconds = samples.len() as f32 / 16_000.0;
        assert!((3.9..4.3).contains(&seconds), "{name}: {seconds} s");
        let heard = r.recognise(&samples).unwrap();
        assert_heard(
            heard.text(),
            "turn on the kitchen lights and set the thermostat to 21 degrees",
            &["kitchen", "lights", "thermostat", "21"],
            name,
        );
    }
}

/// The committed 16 kHz command as a 48 kHz stereo float WAV (each sample held three
/// times, the right channel at half the level).
fn as_48k_stereo_float(samples: &[f32]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
    for &s in samples {
        for _ in 0..3 {
            w.write_sample(s).unwrap();
            w.write_sample(s * 0.5).unwrap();
        }
    }
    w.finalize().unwrap();
    out.into_inner()
}

#[test]
fn a_wav_at_another_rate_in_stereo_is_brought_to_16_khz_mono() {
    let original = decode(&data("show-me-pictures-of-my-dog.wav"), Kind::Wav, 30.0).unwrap();
    let converted = decode(&as_48k_stereo_float(&original), Kind::Wav, 30.0).unwrap();
    let len = original.len() as i64;
    assert!(
        (converted.len() as i64 - len).abs() < 64,
        "{} samples for {len}",
        converted.len()
    );
    let heard = recogniser().recognise(&converted).unwrap();
    assert_heard(
        heard.text(),
        "show me pictures of my dog",
        &["pictures", "dog"],
        "48 kHz stereo",
    );
}

#[test]
fn raw_pcm_either_way_round() {
    let original = decode(&data("show-me-pictures-of-my-dog.wav"), Kind::Wav, 30.0).unwrap();
    let le: Vec<u8> = original
        .iter()
        .flat_map(|s| ((s * 32767.0) as i16).to_le_bytes())
        .collect();
    let be: Vec<u8> = original
        .iter()
        .flat_map(|s| ((s * 32767.0) as i16).to_be_bytes())
        .collect();
    let a = decode(&le, Kind::Pcm16 { big_endian: false }, 30.0).unwrap();
    let b = decode(&be, Kind::Pcm16 { big_endian: true }, 30.0).unwrap();
    assert_eq!(a, b);
    assert!(a.iter().zip(&original).all(|(x, y)| (x - y).abs() < 1e-3));
}

#[test]
fn too_long_broken_or_mislabelled_audio_is_refused() {
    let wav = data("show-me-pictures-of-my-dog.wav");
    // 2.9 s of speech against a 2 s limit, in every format.
    assert!(matches!(
        decode(&wav, Kind::Wav, 2.0),
        Err(Error::TooLong(_))
    ));
    assert!(matches!(
        decode(&data("ffmpeg.ogg"), Kind::Ogg, 2.0),
        Err(Error::TooLong(_))
    ));
    assert!(matches!(
        decode(&data("chrome-mediarecorder.webm"), Kind::WebM, 2.0),
        Err(Error::TooLong(_))
    ));
    assert!(matches!(
        decode(&[0u8; 64_000 * 2], Kind::Pcm16 { big_endian: false }, 2.0),
        Err(Error::TooLong(_))
    ));
    // Something else under the name.
    for kind in [Kind::Wav, Kind::Ogg, Kind::WebM] {
        let refused = decode(b"this is not audio at all, just some text", kind, 30.0);
        assert!(
            matches!(refused, Err(Error::Input(_) | Error::Unsupported(_))),
            "{kind:?}: {refused:?}"
        );
        assert!(matches!(
            decode(&wav[..40], kind, 30.0),
            Err(Error::Input(_) | Error::Unsupported(_))
        ));
    }
    // A WAV as Ogg, an Ogg as WebM.
    assert!(decode(&wav, Kind::Ogg, 30.0).is_err());
    assert!(decode(&data("ffmpeg.ogg"), Kind::WebM, 30.0).is_err());
    assert!(matches!(
        decode(&[], Kind::Pcm16 { big_endian: false }, 30.0),
        Err(Error::Input(_))
    ));
}
