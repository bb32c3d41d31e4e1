#!/usr/bin/env bash
# Makes the spoken test commands of a command table with espeak-ng and sox.
#
# usage: scripts/make-test-speech.sh [--table FILE] [OUT_DIR]
#        (defaults: speech/tests/commands.tsv, .cache/test-speech)
#
# For each row (id, text, voice, speed, noise, intent, slots) it writes OUT_DIR/<id>.wav:
# 16 kHz mono 16-bit, 0.3 s of silence before the speech and 0.5 s after, and where `noise`
# is a number, white or pink noise mixed in at that signal-to-noise ratio (dB, measured
# against the RMS of the speech itself). It also writes two non-speech files for
# "no speech" tests: OUT_DIR/silence.wav (1.5 s of faint noise) and OUT_DIR/cough.wav
# (two short bursts of brown noise). Noise is generated with `sox -R`, so reruns give the
# same files. Files newer than the table are kept, so reruns are fast.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
table="$root/speech/tests/commands.tsv"
out=""

while (($#)); do
    case "$1" in
    -h | --help)
        sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    --table)
        [[ $# -ge 2 && -n "$2" ]] || { echo "make-test-speech: --table needs a FILE" >&2; exit 2; }
        table="$2"
        shift 2
        ;;
    --table=*)
        table="${1#--table=}"
        shift
        ;;
    -*)
        echo "make-test-speech: unknown option $1 (usage: [--table FILE] [OUT_DIR])" >&2
        exit 2
        ;;
    *)
        [[ -z "$out" ]] || { echo "make-test-speech: only one OUT_DIR, got '$out' and '$1'" >&2; exit 2; }
        out="$1"
        shift
        ;;
    esac
done
out="${out:-$root/.cache/test-speech}"

missing=()
for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "make-test-speech: missing ${missing[*]}; install with:" >&2
    echo "    sudo apt-get install -y espeak-ng sox" >&2
    exit 1
fi
[[ -f "$table" ]] || { echo "make-test-speech: no $table" >&2; exit 1; }

mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

rate=16000
format=(-r "$rate" -c 1 -b 16 -e signed-integer)

# RMS amplitude of a sound file (0..1), from `sox -n stat`.
rms() {
    sox "$1" -n stat 2>&1 | awk '/^RMS +amplitude/ { print $3; exit }'
}

# fresh FILE: true when FILE exists and is newer than the command table.
fresh() {
    [[ -s "$1" && "$1" -nt "$table" ]]
}

made=0 kept=0 noisy=0
line=0
while IFS=$'\t' read -r id text voice speed noise intent slots || [[ -n "${id:-}" ]]; do
    line=$((line + 1))
    ((line == 1)) && continue # header
    [[ -z "$id" || "$id" == \#* ]] && continue
    if [[ -z "$text" || -z "$voice" || -z "$speed" || -z "$noise" ]]; then
        echo "make-test-speech: $table line $line: needs id, text, voice, speed, noise" >&2
        exit 1
    fi
    if [[ "$noise" != none ]]; then
        noisy=$((noisy + 1))
    fi
    wav="$out/$id.wav"
    if fresh "$wav"; then
        kept=$((kept + 1))
        continue
    fi

    espeak-ng -v "$voice" -s "$speed" -w "$tmp/raw.wav" "$text"
    # Resample first, then measure the speech alone (before the padding).
    sox "$tmp/raw.wav" "${format[@]}" "$tmp/speech.wav" rate -h
    sox "$tmp/speech.wav" "$tmp/padded.wav" pad 0.3 0.5

    if [[ "$noise" == none ]]; then
        sox "$tmp/padded.wav" "$tmp/final.wav" gain -n -1
    else
        if ! [[ "$noise" =~ ^-?[0-9]+([.][0-9]+)?$ ]]; then
            echo "make-test-speech: $id: noise must be none or an SNR in dB, not '$noise'" >&2
            exit 1
        fi
        # Alternate pink and white noise over the noisy rows (fixed by the table's order).
        if ((noisy % 2)); then kind=pinknoise; else kind=whitenoise; fi
        length="$(sox --i -D "$tmp/padded.wav")"
        sox -R -n "${format[@]}" "$tmp/noise.wav" synth "$length" "$kind" vol 0.25
        speech_rms="$(rms "$tmp/speech.wav")"
        noise_rms="$(rms "$tmp/noise.wav")"
        # Noise gain so that 20*log10(speech_rms / (gain*noise_rms)) == SNR.
        gain="$(awk -v s="$speech_rms" -v n="$noise_rms" -v snr="$noise" \
            'BEGIN { printf "%.6f", s / (n * 10 ^ (snr / 20)) }')"
        sox -m -v 1 "$tmp/padded.wav" -v "$gain" "$tmp/noise.wav" "$tmp/final.wav" gain -n -1
    fi
    mv "$tmp/final.wav" "$wav"
    made=$((made + 1))
done <"$table"

# Non-speech: faint noise only, and a cough-like pair of brown-noise bursts.
if ! fresh "$out/silence.wav"; then
    sox -R -n "${format[@]}" "$tmp/silence.wav" synth 1.5 pinknoise vol 0.003
    mv "$tmp/silence.wav" "$out/silence.wav"
    made=$((made + 1))
fi
if ! fresh "$out/cough.wav"; then
    sox -R -n "${format[@]}" "$tmp/burst1.wav" synth 0.25 brownnoise fade q 0.01 0.25 0.15 gain -n -3
    sox -R -n "${format[@]}" "$tmp/burst2.wav" synth 0.18 brownnoise fade q 0.01 0.18 0.12 gain -n -6
    sox -n "${format[@]}" "$tmp/gap.wav" trim 0 0.12
    sox "$tmp/burst1.wav" "$tmp/gap.wav" "$tmp/burst2.wav" "$tmp/cough.wav" pad 0.3 0.5
    mv "$tmp/cough.wav" "$out/cough.wav"
    made=$((made + 1))
fi

echo "make-test-speech: $made made, $kept kept, in $out"
