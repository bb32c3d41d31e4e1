//! Voice commands recognised on the server (`POST /api/v1/voice/transcribe`, and the page's
//! `/voice/transcribe`): the shipped Whisper-base and voice activity models on real
//! recordings, the limits, and what a burst or one eager account meets.
mod common;

use common::{TestApp, error_of, spawn_app_with};
use reqwest::StatusCode;
use serde_json::Value;
use speech::score::{word_error_rate, words};

fn recording(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../speech/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// 16-bit mono PCM at 16 kHz in a WAV.
fn wav(samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    let data = (samples.len() * 2) as u32;
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&32_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

async fn signed_in(app: &TestApp, email: &str) -> String {
    app.signup(email).await;
    let login: Value = app
        .login(email, "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    app.post(token, "/api/v1/voice/transcribe")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Whether a transcript has the word, whatever its case and punctuation.
fn has_word(transcript: &str, word: &str) -> bool {
    words(transcript).iter().any(|w| w == word)
}

/// The answer to a recording that must be understood (200), and its transcript in lower case.
async fn heard(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> (Value, String) {
    let res = send(app, token, content_type, body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{content_type}: {body}");
    let transcript = body["transcript"].as_str().unwrap().to_lowercase();
    (body, transcript)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spoken_command_comes_back_as_words_and_an_intent() {
    let app = spawn_app_with(|_| {}).await;
    let token = signed_in(&app, "ada@example.org").await;
    let command = recording("show-me-pictures-of-my-dog.wav");
    let (body, transcript) = heard(&app, &token, "audio/wav", command).await;
    // Heard, give or take a word (ONNX Runtime's kernels differ by CPU: speech/tests/audio.rs).
    let error_rate = word_error_rate("show me pictures of my dog", &transcript);
    assert!(error_rate <= 0.2 && has_word(&transcript, "dog"), "{body}");
    assert_eq!(body["intent"], "search", "{body}");
    assert_eq!(body["slots"]["query"], "dog", "{body}");
    assert!(body["say"].as_str().unwrap().contains("dog"), "{body}");

    // Chrome's recording of a sentence from elsewhere: heard, and not a gallery command.
    let chrome = recording("chrome-mediarecorder.webm");
    let (body, transcript) = heard(&app, &token, "audio/webm;codecs=opus", chrome).await;
    assert!(has_word(&transcript, "kitchen"), "{body}");
    assert_eq!(body["intent"], "none", "{body}");
    let (_, transcript) = heard(&app, &token, "audio/ogg", recording("ffmpeg.ogg")).await;
    assert!(has_word(&transcript, "kitchen"), "{transcript}");

    // Silence and noise are nothing: no words made up, no action.
    let (body, transcript) = heard(&app, &token, "audio/wav", wav(&[0; 24_000])).await;
    assert_eq!(transcript, "", "{body}");
    assert_eq!(body["intent"], "none");
    let mut seed = 7u32;
    let hiss: Vec<i16> = (0..32_000)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((seed >> 16) as i16) / 16
        })
        .collect();
    let (body, transcript) = heard(&app, &token, "audio/wav", wav(&hiss)).await;
    assert_eq!(transcript, "", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn other_kinds_and_sizes_are_refused_with_the_reason() {
    let app = spawn_app_with(|c| {
        c.speech_max_bytes = 200_000;
        c.speech_max_seconds = 5.0;
    })
    .await;
    let token = signed_in(&app, "ada@example.org").await;
    let command = recording("show-me-pictures-of-my-dog.wav");

    let res = send(&app, &token, "audio/mpeg", command.clone()).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error_of(res).await.contains("audio/wav"));
    let res = send(&app, &token, "audio/L16;rate=44100", command.clone()).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = app
        .post(&token, "/api/v1/voice/transcribe")
        .body(command.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "no Content-Type"
    );

    // Past the size limit (refused as it arrives), past the duration limit (6 s of audio).
    let res = send(&app, &token, "audio/wav", vec![0; 300_000]).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(res).await.contains("at most"));
    let res = send(&app, &token, "audio/wav", wav(&vec![0; 96_000])).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(res).await.contains("5 seconds"));

    // Not what it says it is; empty.
    let res = send(&app, &token, "audio/wav", b"RIFF and then nothing".to_vec()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("WAV"));
    let res = send(&app, &token, "audio/webm", command.clone()).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = send(&app, &token, "audio/wav", Vec::new()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Signed out.
    let res = app
        .client
        .post(app.url("/api/v1/voice/transcribe"))
        .header("content-type", "audio/wav")
        .body(command)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_queue_answers_busy_and_one_account_cannot_keep_it_full() {
    let app = spawn_app_with(|c| {
        c.speech_workers = 1;
        c.speech_queue = 1;
        c.speech_per_minute = 6;
    })
    .await;
    let tokens = [
        signed_in(&app, "ada@example.org").await,
        signed_in(&app, "bo@example.org").await,
        signed_in(&app, "cy@example.org").await,
    ];
    let command = recording("show-me-pictures-of-my-dog.wav");
    // Six commands at once from three people: one runs, one waits, the rest are told to
    // come back.
    let sends = (0..6).map(|i| send(&app, &tokens[i % 3], "audio/wav", command.clone()));
    let answers = futures_util::future::join_all(sends).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    let done = answers
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    assert!(
        done >= 2,
        "{:?}",
        answers.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
    assert!(
        !busy.is_empty(),
        "{:?}",
        answers.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
    for r in &busy {
        assert_eq!(r.headers()["retry-after"], "2");
    }
    // Once they are done, there is room again.
    let res = send(&app, &tokens[1], "audio/wav", command.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);

    // One account past its rate is refused (429), and the others are not.
    let mut limited = None;
    for _ in 0..8 {
        let res = send(&app, &tokens[0], "audio/wav", wav(&[0; 8_000])).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
    }
    let limited = limited.expect("the account's rate stops it");
    assert!(limited.headers().contains_key("retry-after"));
    let res = send(&app, &tokens[2], "audio/wav", wav(&[0; 8_000])).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_sends_its_recording_with_its_csrf_token() {
    let app = spawn_app_with(|_| {}).await;
    let browser = common::browser();
    let csrf = common::sign_up_in_browser(&app, &browser, "ada@example.org").await;
    let post = |audio: Vec<u8>| {
        browser
            .post(app.url("/voice/transcribe"))
            .header("content-type", "audio/wav")
            .body(audio)
    };
    // The refusal comes before the body is read: a short one, so that the connection is
    // not cut while a long one is still being written.
    let res = post(wav(&[0; 1_600])).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "without the CSRF token"
    );
    let res = post(recording("show-me-pictures-of-my-dog.wav"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(
        has_word(body["transcript"].as_str().unwrap(), "dog"),
        "{body}"
    );
    assert!(body["speech_seconds"].as_f64().unwrap() > 1.0, "{body}");
    // Signed out: 401 in JSON, as the page's other scripts get.
    let res = common::browser()
        .post(app.url("/voice/transcribe"))
        .header("content-type", "audio/wav")
        .body(recording("show-me-pictures-of-my-dog.wav"))
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == StatusCode::UNAUTHORIZED || res.status() == StatusCode::FORBIDDEN,
        "{}",
        res.status()
    );
}
