//! The classifier against real photos, ONNX Runtime and the Python reference pipeline.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use classifier::{Classifier, Model, preprocess};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn lite0() -> PathBuf {
    repo().join("classifier-lambda/models/efficientnet-lite0")
}

fn photos() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("classifier-lambda/testdata"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    files
}

/// The Python of the test tools (scripts/setup.sh --test makes it).
fn python() -> PathBuf {
    let python = std::env::var_os("GALLERY_TEST_PYTHON")
        .map_or_else(|| repo().join(".cache/venv/bin/python"), PathBuf::from);
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup.sh --test",
        python.display()
    );
    python
}

fn classifier(dir: &Path) -> Classifier {
    Classifier::new(Arc::new(Model::load(dir).expect("model loads")), 2).expect("session starts")
}

#[test]
fn coffee_is_espresso_and_chelsea_is_a_cat() {
    let mut c = classifier(&lite0());
    let coffee = c
        .classify(
            &std::fs::read(repo().join("classifier-lambda/testdata/coffee.png")).unwrap(),
            3,
        )
        .unwrap();
    assert_eq!(coffee[0].label, "espresso");
    let class = &c.model().labels[coffee[0].class_index as usize];
    assert_eq!(class.wnid, "n07920052");
    assert!(coffee[0].score > 0.9, "{coffee:?}");
    let cat = c
        .classify(
            &std::fs::read(repo().join("classifier-lambda/testdata/chelsea.jpg")).unwrap(),
            3,
        )
        .unwrap();
    let cats = ["tiger cat", "Egyptian Mau", "tabby cat"];
    assert!(
        cat.iter().all(|p| cats.contains(&p.label.as_str())),
        "{cat:?}"
    );
    assert!(
        cat.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
}

/// Our top five against the Python reference's probability of every class: each within
/// 0.01 (the decoders differ: libjpeg-turbo's DCT scaling here, Pillow's draft there), and
/// only classes tied within that may trade places (`classifier::agreement`).
#[test]
fn top_five_and_probabilities_match_the_python_reference() {
    let files = photos();
    let out = Command::new(python())
        .arg(repo().join("classifier-lambda/tools/reference.py"))
        .arg("--model")
        .arg(lite0())
        .args(["--top", "1000"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reference.len(), files.len());
    let mut c = classifier(&lite0());
    for (file, expected) in files.iter().zip(&reference) {
        let ours = c.classify(&std::fs::read(file).unwrap(), 5).unwrap();
        let mut theirs = vec![0.0; 1000];
        for l in expected["labels"].as_array().unwrap() {
            theirs[l["class_index"].as_u64().unwrap() as usize] = l["score"].as_f64().unwrap();
        }
        if let Err(why) = classifier::agreement::check(&ours, &theirs, 0.01) {
            panic!("{}: {why}", file.display());
        }
    }
}

#[test]
fn large_jpegs_are_decoded_at_reduced_scale_like_pillow_draft() {
    assert_eq!(preprocess::draft_scale(4000, 3000, 256), 8);
    assert_eq!(preprocess::draft_scale(1200, 800, 256), 2);
    assert_eq!(preprocess::draft_scale(2048, 1024, 256), 4);
    assert_eq!(preprocess::draft_scale(451, 300, 256), 1);
    let bytes = std::fs::read(repo().join("classifier-lambda/testdata/coffee-large.jpg")).unwrap();
    let image = preprocess::decode(&bytes, 256).unwrap();
    assert_eq!(image.dimensions(), (600, 400), "1200x800 decoded at 1/2");
    assert_eq!(preprocess::resized_size(600, 400, 256), (384, 256));
}

#[test]
fn unreadable_photos_are_decode_errors_not_crashes() {
    let mut c = classifier(&lite0());
    for bytes in [
        b"not an image".to_vec(),
        vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16],
        Vec::new(),
    ] {
        match c.classify(&bytes, 3) {
            Err(classifier::Error::Decode(message)) => assert!(!message.is_empty()),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
}

#[test]
fn missing_or_corrupt_models_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let err = Model::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("model.json"), "{err}");

    for file in ["model.json", "labels.json", "model.onnx"] {
        std::fs::copy(lite0().join(file), dir.path().join(file)).unwrap();
    }
    let mut onnx = std::fs::read(dir.path().join("model.onnx")).unwrap();
    onnx.truncate(onnx.len() / 2);
    std::fs::write(dir.path().join("model.onnx"), &onnx).unwrap();
    let err = Model::load(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains("is corrupt") && err.contains("SHA-256"),
        "{err}"
    );

    // Without a checksum to catch it, ONNX Runtime refuses the graph with a clear error.
    let desc = std::fs::read_to_string(lite0().join("model.json")).unwrap();
    let mut desc: Value = serde_json::from_str(&desc).unwrap();
    desc.as_object_mut().unwrap().remove("sha256");
    std::fs::write(dir.path().join("model.json"), desc.to_string()).unwrap();
    let model = Model::load(dir.path()).unwrap();
    let err = Classifier::new(Arc::new(model), 1)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("cannot load the model efficientnet-lite0"),
        "{err}"
    );
}

#[test]
fn the_resnet50_path_runs_with_an_untrained_graph() {
    let dir = repo().join(".cache/models/resnet50-untrained");
    if !dir.join("model.onnx").exists() {
        let out = Command::new(python())
            .arg(repo().join("classifier-lambda/tools/make_resnet50_untrained.py"))
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let model = Model::load(&dir).unwrap();
    assert_eq!(model.description.input, "data");
    assert_eq!(model.description.mean, [0.485, 0.456, 0.406]);
    let mut c = Classifier::new(Arc::new(model), 2).unwrap();
    let bytes = std::fs::read(repo().join("classifier-lambda/testdata/rocket.jpg")).unwrap();
    let top = c.classify(&bytes, 3).unwrap();
    assert_eq!(top.len(), 3);
    let total: f64 = top.iter().map(|p| p.score).sum();
    assert!(total <= 1.0 + 1e-5 && top[0].score >= top[2].score);
    // Batched inputs give one row of probabilities per photo.
    let input = Classifier::prepare(c.model(), &bytes).unwrap();
    let rows = c.predict(&[input.clone(), input]).unwrap();
    assert_eq!(rows.len(), 2);
    assert!((rows[0].iter().sum::<f32>() - 1.0).abs() < 1e-3);
}

/// A photo as a camera would store it: chelsea enlarged to `w`×`h`, encoded by
/// libjpeg-turbo with the given chroma sampling.
fn camera_jpeg(w: u32, h: u32, subsamp: turbojpeg::Subsamp) -> Vec<u8> {
    let photo = image::open(repo().join("classifier-lambda/testdata/chelsea.jpg"))
        .unwrap()
        .resize_exact(w, h, image::imageops::FilterType::CatmullRom)
        .into_rgb8();
    let mut compressor = turbojpeg::Compressor::new().unwrap();
    compressor.set_quality(90).unwrap();
    compressor.set_subsamp(subsamp).unwrap();
    let image = turbojpeg::Image {
        pixels: photo.as_raw().as_slice(),
        width: w as usize,
        pitch: w as usize * 3,
        height: h as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    compressor.compress_to_vec(image).unwrap()
}

#[test]
fn a_coarser_dct_decode_is_made_from_a_finer_one_to_a_fraction_of_a_level() {
    use turbojpeg::Subsamp;
    // Odd sizes: the last blocks are cut by the edge.
    for subsamp in [
        Subsamp::Sub2x2,
        Subsamp::Sub2x1,
        Subsamp::None,
        Subsamp::Gray,
    ] {
        let bytes = camera_jpeg(2410, 1606, subsamp);
        for (finer, coarser) in [(2, 8), (1, 8), (4, 8), (1, 2), (2, 4), (1, 4)] {
            let stored = preprocess::decode_stored(&bytes, |_, _| finer).unwrap();
            let made = stored.reduced(coarser).unwrap();
            let decoded = preprocess::decode_stored(&bytes, |_, _| coarser)
                .unwrap()
                .image;
            assert_eq!(made.dimensions(), decoded.dimensions());
            let diffs: Vec<u8> = made
                .as_raw()
                .iter()
                .zip(decoded.as_raw())
                .map(|(a, b)| a.abs_diff(*b))
                .collect();
            let mean = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / diffs.len() as f64;
            let far = diffs.iter().filter(|&&d| d > 4).count() as f64 / diffs.len() as f64;
            println!(
                "{subsamp:?} 1/{finer} to 1/{coarser}: mean {mean:.3}, beyond 4 levels {far:.5}"
            );
            assert!(mean < 0.6, "{subsamp:?} 1/{finer} to 1/{coarser}: {mean}");
            assert!(far < 0.005, "{subsamp:?} 1/{finer} to 1/{coarser}: {far}");
        }
        // A finer decode is never made from a coarser one.
        let stored = preprocess::decode_stored(&bytes, |_, _| 4).unwrap();
        assert!(stored.reduced(2).is_none());
    }
}

#[test]
fn the_classifiers_rendition_gives_the_originals_input() {
    // What the upload keeps for the classifier (its 1/8 decode made from the 1/2 one, then
    // resized) is what the classifier makes of the original, to within rounding.
    let model = Model::load(lite0()).unwrap();
    let bytes = camera_jpeg(4000, 3000, turbojpeg::Subsamp::Sub2x2);
    let stored = preprocess::decode_stored(&bytes, |_, _| 2).unwrap();
    let made = stored.reduced(8).unwrap();
    let sized =
        preprocess::resize_shorter(&made, preprocess::Sizing::of(&model.description)).unwrap();
    assert_eq!(sized.dimensions(), (341, 256));
    let from_rendition = preprocess::to_input(&sized, &model.description).unwrap();
    let from_original = Classifier::prepare(&model, &bytes).unwrap();
    let worst = from_rendition
        .iter()
        .zip(&from_original)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    // Input values are (x - 127) / 128: 3 levels is 0.023.
    assert!(worst < 0.025, "{worst}");
}
