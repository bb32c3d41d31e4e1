//! Benchmark (not a test): how faithful the classifier's rendition is.
//!
//!     rendition_fidelity DIR [DIR…]
//!
//! For each photo (JPEG, PNG, WebP, GIF) in each folder: the upload path's classifier
//! rendition (`decode::prepare`, from the upload's one decode) and the original as the
//! `classify` command reads it, each through the shipped model. Prints, per folder, how
//! often the top-1 is the same, how much the top-3 sets overlap, the largest change of a
//! class's probability, the bytes read, and every photo whose top-1 differs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use clap::Parser;
use classifier::{Classifier, Model, preprocess, runtime};
use gallery::images::decode::{self, Policy};
use gallery::spool::Received;

/// How faithful the classifier's rendition is: the upload path's rendition and the
/// original, each through the shipped model, per folder of photos.
#[derive(Parser)]
#[command(name = "rendition_fidelity")]
struct Args {
    /// Folders of photos (JPEG, PNG, WebP, GIF).
    #[arg(value_name = "DIR", required = true)]
    dirs: Vec<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let Args { dirs } = Args::parse();
    let model = Arc::new(Model::load(runtime::model_dir(None)?)?);
    let policy = Policy {
        max_bytes: 200 << 20,
        max_pixels: 200_000_000,
        tmp_dir: None,
        sizing: preprocess::Sizing::of(&model.description),
    };
    let mut classifier = Classifier::new(model, 2)?;
    let (mut all, mut all_same) = (0usize, 0usize);
    for dir in &dirs {
        let (mut n, mut same, mut overlap, mut worst) = (0usize, 0usize, 0usize, 0f64);
        let (mut input_bytes, mut original_bytes) = (0usize, 0usize);
        let mut differ = Vec::new();
        for path in photos(dir)? {
            let bytes = Bytes::from(std::fs::read(&path)?);
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let prepared = decode::prepare(name.clone(), Received::memory(bytes.clone()), &policy)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let input = prepared
                .input
                .ok_or_else(|| anyhow::anyhow!("{name}: no classifier rendition"))?;
            let from_input = classifier.classify(&input, 1000)?;
            let from_original = classifier.classify(&bytes, 1000)?;
            let top3 = |labels: &[classifier::Label]| -> Vec<i64> {
                labels.iter().take(3).map(|l| l.class_index).collect()
            };
            let (a, b) = (top3(&from_input), top3(&from_original));
            overlap += a.iter().filter(|c| b.contains(c)).count();
            let mut by_class = vec![0f64; 1000];
            for l in &from_original {
                by_class[l.class_index as usize] = l.score;
            }
            for l in &from_input {
                worst = worst.max((l.score - by_class[l.class_index as usize]).abs());
            }
            n += 1;
            input_bytes += input.len();
            original_bytes += bytes.len();
            if a[0] == b[0] {
                same += 1;
            } else {
                differ.push(format!(
                    "    {name}: {} {:.2} from the rendition, {} {:.2} from the original",
                    from_input[0].label,
                    from_input[0].score,
                    from_original[0].label,
                    from_original[0].score
                ));
            }
        }
        if n == 0 {
            println!("{}: no photos", dir.display());
            continue;
        }
        println!(
            "{}: {n} photos; top-1 the same on {same} ({:.1} %); top-3 overlap {:.1} %; largest change of a probability {worst:.3}; reads {} KB instead of {} KB",
            dir.display(),
            100.0 * same as f64 / n as f64,
            100.0 * overlap as f64 / (3 * n) as f64,
            input_bytes / n / 1024,
            original_bytes / n / 1024
        );
        for line in differ {
            println!("{line}");
        }
        all += n;
        all_same += same;
    }
    println!(
        "all: top-1 the same on {all_same} of {all} photos ({:.1} %)",
        100.0 * all_same as f64 / all as f64
    );
    Ok(())
}

fn photos(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| {
                ["jpg", "jpeg", "png", "webp", "gif"]
                    .contains(&e.to_string_lossy().to_lowercase().as_str())
            })
        })
        .collect();
    files.sort();
    Ok(files)
}
