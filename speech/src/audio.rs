//! A recorded command to 16 kHz mono samples, from what clients send: WAV (any PCM or
//! float, any rate, mono or stereo), raw 16-bit PCM at 16 kHz, or Opus in Ogg (Firefox's
//! MediaRecorder) or WebM (Chrome's, with clusters of unknown size). Opus is decoded by
//! libopus itself, at 16 kHz; other rates are resampled. Recordings longer than allowed
//! are refused as soon as that is known, before they are decoded to the end.

use std::io::Cursor;

use crate::Error;
use crate::mel::SAMPLE_RATE;

/// What a Content-Type says the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Wav,
    /// Raw signed 16-bit samples at 16 kHz, mono; `big_endian` for RFC 2586's `audio/L16`.
    Pcm16 {
        big_endian: bool,
    },
    Ogg,
    WebM,
}

impl Kind {
    /// The kind of a Content-Type header, or None for one that is not taken (raw PCM at
    /// another rate or with more channels is not taken either: it carries no header to
    /// check).
    pub fn of(content_type: &str) -> Option<Self> {
        let mut parts = content_type.split(';').map(str::trim);
        let base = parts.next()?.to_ascii_lowercase();
        let params: Vec<(String, String)> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_ascii_lowercase(),
                )
            })
            .collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let opus_or_none = || matches!(param("codecs"), None | Some("opus"));
        let raw = |big_endian| {
            (param("rate") == Some("16000") && matches!(param("channels"), None | Some("1")))
                .then_some(Kind::Pcm16 { big_endian })
        };
        match base.as_str() {
            "audio/wav" | "audio/wave" | "audio/x-wav" | "audio/vnd.wave" => Some(Kind::Wav),
            "audio/l16" => raw(true),
            "audio/pcm" => raw(false),
            "audio/ogg" | "audio/opus" | "application/ogg" if opus_or_none() => Some(Kind::Ogg),
            "audio/webm" | "video/webm" if opus_or_none() => Some(Kind::WebM),
            _ => None,
        }
    }
}

/// The samples of `bytes`, 16 kHz mono in -1..1; an error when they cannot be read or
/// last longer than `max_seconds`.
pub fn decode(bytes: &[u8], kind: Kind, max_seconds: f32) -> Result<Vec<f32>, Error> {
    let limit = (max_seconds * SAMPLE_RATE as f32) as usize;
    let too_long = || {
        Error::TooLong(format!(
            "a voice command may be at most {max_seconds} seconds long"
        ))
    };
    let samples = match kind {
        Kind::Wav => wav(bytes, max_seconds, &too_long)?,
        Kind::Pcm16 { big_endian } => {
            if bytes.len() / 2 > limit {
                return Err(too_long());
            }
            bytes
                .chunks_exact(2)
                .map(|b| {
                    let v = if big_endian {
                        i16::from_be_bytes([b[0], b[1]])
                    } else {
                        i16::from_le_bytes([b[0], b[1]])
                    };
                    f32::from(v) / 32768.0
                })
                .collect()
        }
        Kind::Ogg => opus(ogg_packets(bytes)?, limit, &too_long)?,
        Kind::WebM => opus(webm_packets(bytes)?, limit, &too_long)?,
    };
    if samples.len() > limit {
        return Err(too_long());
    }
    if samples.is_empty() {
        return Err(Error::Input("the recording holds no sound".into()));
    }
    Ok(samples)
}

fn wav(bytes: &[u8], max_seconds: f32, too_long: &dyn Fn() -> Error) -> Result<Vec<f32>, Error> {
    let bad = |e: hound::Error| Error::Input(format!("the WAV file cannot be read: {e}"));
    let mut reader = hound::WavReader::new(Cursor::new(bytes)).map_err(bad)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    if channels == 0 || !(8_000..=192_000).contains(&spec.sample_rate) {
        return Err(Error::Input(format!(
            "the WAV file has {} channels at {} Hz; a voice command needs 1 or 2 channels at 8 to 192 kHz",
            spec.channels, spec.sample_rate
        )));
    }
    if reader.duration() as f32 / spec.sample_rate as f32 > max_seconds {
        return Err(too_long());
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(bad)?,
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|v| v.map(|v| v as f32 / scale))
                .collect::<Result<_, _>>()
                .map_err(bad)?
        }
    };
    let mono: Vec<f32> = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    resample(mono, spec.sample_rate)
}

/// `samples` at `rate` brought to 16 kHz.
fn resample(samples: Vec<f32>, rate: u32) -> Result<Vec<f32>, Error> {
    use rubato::audioadapter_buffers::direct::InterleavedSlice;
    use rubato::{Fft, FixedSync, Resampler};
    if rate as usize == SAMPLE_RATE || samples.is_empty() {
        return Ok(samples);
    }
    let failed =
        |e: &dyn std::fmt::Display| Error::Model(format!("cannot resample the recording: {e}"));
    let mut resampler = Fft::<f32>::new(rate as usize, SAMPLE_RATE, 1024, 1, FixedSync::Both)
        .map_err(|e| failed(&e))?;
    let input = InterleavedSlice::new(&samples, 1, samples.len()).map_err(|e| failed(&e))?;
    let out = resampler
        .process_all(&input, samples.len(), None)
        .map_err(|e| failed(&e))?;
    Ok(out.take_data())
}

/// An Opus stream's header and packets.
struct OpusPackets {
    head: Vec<u8>,
    packets: Vec<Vec<u8>>,
}

fn ogg_packets(bytes: &[u8]) -> Result<OpusPackets, Error> {
    let bad = |e: &dyn std::fmt::Display| Error::Input(format!("the Ogg file cannot be read: {e}"));
    let mut reader = ogg::PacketReader::new(Cursor::new(bytes));
    let head = reader
        .read_packet()
        .map_err(|e| bad(&e))?
        .ok_or_else(|| bad(&"it is empty"))?
        .data;
    // OpusTags, then the audio.
    reader.read_packet().map_err(|e| bad(&e))?;
    let mut packets = Vec::new();
    while let Some(packet) = reader.read_packet().map_err(|e| bad(&e))? {
        packets.push(packet.data);
    }
    Ok(OpusPackets { head, packets })
}

fn webm_packets(bytes: &[u8]) -> Result<OpusPackets, Error> {
    let bad =
        |e: &dyn std::fmt::Display| Error::Input(format!("the WebM file cannot be read: {e}"));
    let mut file = matroska_demuxer::MatroskaFile::open(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    let track = file
        .tracks()
        .iter()
        .find(|t| t.codec_id() == "A_OPUS")
        .ok_or_else(|| Error::Unsupported("the WebM file holds no Opus audio".into()))?;
    let number = track.track_number().get();
    let head = track
        .codec_private()
        .ok_or_else(|| bad(&"its Opus track has no header"))?
        .to_vec();
    let mut frame = matroska_demuxer::Frame::default();
    let mut packets = Vec::new();
    while file.next_frame(&mut frame).map_err(|e| bad(&e))? {
        if frame.track == number {
            packets.push(std::mem::take(&mut frame.data));
        }
    }
    Ok(OpusPackets { head, packets })
}

/// Decodes Opus packets at 16 kHz mono (libopus mixes stereo down itself), without the
/// encoder's pre-skip, with the header's gain.
fn opus(
    stream: OpusPackets,
    limit: usize,
    too_long: &dyn Fn() -> Error,
) -> Result<Vec<f32>, Error> {
    let head = &stream.head;
    if head.len() < 19 || &head[..8] != b"OpusHead" {
        return Err(Error::Unsupported("the recording is not Opus audio".into()));
    }
    let pre_skip = usize::from(u16::from_le_bytes([head[10], head[11]])) / 3;
    let gain = 10f32.powf(f32::from(i16::from_le_bytes([head[16], head[17]])) / (20.0 * 256.0));
    let bad = |e: opus::Error| Error::Input(format!("the Opus audio cannot be decoded: {e}"));
    let mut decoder = opus::Decoder::new(SAMPLE_RATE as u32, opus::Channels::Mono).map_err(bad)?;
    // 120 ms, the longest Opus packet.
    let mut buffer = vec![0f32; SAMPLE_RATE * 120 / 1000];
    let mut out = Vec::new();
    for packet in &stream.packets {
        let n = decoder
            .decode_float(packet, &mut buffer, false)
            .map_err(bad)?;
        out.extend(buffer[..n].iter().map(|s| s * gain));
        if out.len() > limit + pre_skip {
            return Err(too_long());
        }
    }
    Ok(out.split_off(pre_skip.min(out.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(Kind::of("audio/wav"), Some(Kind::Wav));
        assert_eq!(Kind::of("Audio/WAV; charset=binary"), Some(Kind::Wav));
        assert_eq!(Kind::of("audio/webm;codecs=opus"), Some(Kind::WebM));
        assert_eq!(Kind::of("audio/webm; codecs=\"opus\""), Some(Kind::WebM));
        assert_eq!(Kind::of("audio/ogg"), Some(Kind::Ogg));
        assert_eq!(
            Kind::of("audio/L16; rate=16000"),
            Some(Kind::Pcm16 { big_endian: true })
        );
        assert_eq!(
            Kind::of("audio/pcm;rate=16000;channels=1"),
            Some(Kind::Pcm16 { big_endian: false })
        );
        assert_eq!(Kind::of("audio/L16; rate=44100"), None);
        assert_eq!(Kind::of("audio/L16"), None);
        assert_eq!(Kind::of("audio/webm;codecs=vorbis"), None);
        assert_eq!(Kind::of("audio/mpeg"), None);
        assert_eq!(Kind::of("application/json"), None);
        assert_eq!(Kind::of(""), None);
    }
}
