//! Whisper's front end: 16 kHz samples to the log-mel spectrogram its encoder reads (80 mel
//! bands, a 25 ms Hann window every 10 ms), as `whisper/audio.py` and transformers'
//! `WhisperFeatureExtractor` compute it: a centred STFT with reflected edges, the power
//! spectrum through librosa's Slaney mel filters, log10, floored 8 below the loudest value,
//! then `(x + 4) / 4`.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

pub const SAMPLE_RATE: usize = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const N_MELS: usize = 80;
const BINS: usize = N_FFT / 2 + 1;

/// The filters and the FFT plan, made once.
pub struct LogMel {
    /// `N_MELS` rows of `BINS` weights.
    filters: Vec<[f32; BINS]>,
    window: [f32; N_FFT],
    fft: Arc<dyn RealToComplex<f32>>,
}

impl Default for LogMel {
    fn default() -> Self {
        Self::new()
    }
}

impl LogMel {
    pub fn new() -> Self {
        let mut window = [0f32; N_FFT];
        // torch.hann_window(N_FFT), periodic.
        for (i, w) in window.iter_mut().enumerate() {
            *w = (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64).cos()) as f32;
        }
        Self {
            filters: slaney_filters(),
            window,
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT),
        }
    }

    /// The spectrogram of `samples` padded with silence to `frames * HOP` samples (or cut
    /// there): `N_MELS` rows of `frames` values, row after row, as the encoder's `[80,
    /// frames]` input wants them.
    pub fn compute(&self, samples: &[f32], frames: usize) -> Vec<f32> {
        let len = frames * HOP;
        let mut audio = vec![0f32; len];
        let n = samples.len().min(len);
        audio[..n].copy_from_slice(&samples[..n]);
        // Centred frames: the signal reflected by N_FFT / 2 at both ends.
        let pad = N_FFT / 2;
        let mut padded = Vec::with_capacity(len + 2 * pad);
        padded.extend((1..=pad).rev().map(|i| reflect(&audio, -(i as isize))));
        padded.extend_from_slice(&audio);
        padded.extend((0..pad).map(|i| reflect(&audio, (len + i) as isize)));

        let mut out = vec![0f32; N_MELS * frames];
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = [0f32; BINS];
        for f in 0..frames {
            let start = f * HOP;
            for (i, x) in input.iter_mut().enumerate() {
                *x = padded[start + i] * self.window[i];
            }
            self.fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .expect("buffers come from the plan");
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for (m, filter) in self.filters.iter().enumerate() {
                let energy: f32 = filter.iter().zip(&power).map(|(w, p)| w * p).sum();
                out[m * frames + f] = energy.max(1e-10).log10();
            }
        }
        let top = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in &mut out {
            *v = (v.max(top - 8.0) + 4.0) / 4.0;
        }
        out
    }
}

/// `audio[i]` with the edges reflected (numpy's "reflect": the edge sample is not repeated).
fn reflect(audio: &[f32], i: isize) -> f32 {
    let n = audio.len() as isize;
    if n == 1 {
        return audio[0];
    }
    let period = 2 * (n - 1);
    let mut j = i.rem_euclid(period);
    if j >= n {
        j = period - j;
    }
    audio[j as usize]
}

/// librosa.filters.mel(sr=16000, n_fft=400, n_mels=80): Slaney's mel scale, triangles
/// normalised to equal area.
fn slaney_filters() -> Vec<[f32; BINS]> {
    fn hz_to_mel(hz: f64) -> f64 {
        let f_sp = 200.0 / 3.0;
        let min_log_mel = 1000.0 / f_sp;
        let logstep = 6.4f64.ln() / 27.0;
        if hz >= 1000.0 {
            min_log_mel + (hz / 1000.0).ln() / logstep
        } else {
            hz / f_sp
        }
    }
    fn mel_to_hz(mel: f64) -> f64 {
        let f_sp = 200.0 / 3.0;
        let min_log_mel = 1000.0 / f_sp;
        let logstep = 6.4f64.ln() / 27.0;
        if mel >= min_log_mel {
            1000.0 * (logstep * (mel - min_log_mel)).exp()
        } else {
            f_sp * mel
        }
    }
    let top = hz_to_mel(SAMPLE_RATE as f64 / 2.0);
    let points: Vec<f64> = (0..N_MELS + 2)
        .map(|i| mel_to_hz(top * i as f64 / (N_MELS + 1) as f64))
        .collect();
    let freqs: Vec<f64> = (0..BINS)
        .map(|k| k as f64 * SAMPLE_RATE as f64 / N_FFT as f64)
        .collect();
    (0..N_MELS)
        .map(|m| {
            let (lo, mid, hi) = (points[m], points[m + 1], points[m + 2]);
            let norm = 2.0 / (hi - lo);
            let mut row = [0f32; BINS];
            for (w, f) in row.iter_mut().zip(&freqs) {
                let rising = (f - lo) / (mid - lo);
                let falling = (hi - f) / (hi - mid);
                *w = (rising.min(falling).max(0.0) * norm) as f32;
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_matches_numpy() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let left: Vec<f32> = (1..=3).rev().map(|i| reflect(&a, -i)).collect();
        assert_eq!(left, [4.0, 3.0, 2.0]);
        let right: Vec<f32> = (4..7).map(|i| reflect(&a, i)).collect();
        assert_eq!(right, [3.0, 2.0, 1.0]);
    }
}
