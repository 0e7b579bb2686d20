"""Generated background music: an ffmpeg `aevalsrc` expression for a small four-chord tune."""

from __future__ import annotations

from dataclasses import dataclass

_MAJOR_THIRD = 1.259921  # 2 ** (4 / 12)
_MINOR_THIRD = 1.189207  # 2 ** (3 / 12)
_FIFTH = 1.498307  # 2 ** (7 / 12)


@dataclass(frozen=True)
class Mood:
    """A tune's character: tempo, chord roots (Hz, one chord a bar), which chords are minor."""

    name: str
    bpm: float
    roots: tuple[float, float, float, float]
    minor: tuple[bool, bool, bool, bool]
    drums: float  # 0 (none) .. 1 (full kick and hats)


# Chord roots sit in one octave (F3-E4) so the pad stays warm; I-V-vi-IV and relatives.
MOODS: dict[str, Mood] = {
    "upbeat": Mood("upbeat", 118, (261.63, 196.00, 220.00, 174.61), (False, False, True, False), 1.0),
    "energetic": Mood("energetic", 128, (220.00, 174.61, 261.63, 196.00), (True, False, False, False), 1.0),
    "calm": Mood("calm", 76, (174.61, 220.00, 233.08, 261.63), (False, True, False, False), 0.35),
    "cinematic": Mood("cinematic", 88, (220.00, 174.61, 261.63, 196.00), (True, False, False, False), 0.6),
    "lofi": Mood("lofi", 84, (293.66, 196.00, 246.94, 220.00), (True, False, True, False), 0.6),
}
DEFAULT_MOOD = "upbeat"


def mood_for(name: str | None) -> Mood:
    """The mood called `name` (case-insensitive, loose match), or the default one."""
    key = (name or "").lower().replace("-", "").replace(" ", "")
    for mood_name, mood in MOODS.items():
        if mood_name in key:
            return mood
    return MOODS[DEFAULT_MOOD]


def _pick(index_var: int, values: tuple[float, ...]) -> str:
    """An ffmpeg expression choosing values[ld(index_var)] with nested if()s."""
    expr = f"{values[-1]:.6g}"
    for i in range(len(values) - 2, -1, -1):
        expr = f"if(eq(ld({index_var}),{i}),{values[i]:.6g},{expr})"
    return expr


def cycle_seconds(mood: Mood) -> float:
    """Length of one four-bar chord cycle; the tune is this cycle looped."""
    return 16 * 60.0 / mood.bpm


def tune_expression(mood: Mood) -> str:
    """A mono `aevalsrc` expression for one chord cycle: pad, bass, arpeggio, kick and hats.

    Uses ffmpeg's expression variables 0-4 (st/ld) within one sample, so the tune is
    deterministic; the caller loops the cycle (`aloop`) and fades it, which keeps the
    per-sample evaluation to a few seconds of audio whatever the draft's length.
    """
    beat = 60.0 / mood.bpm
    bar = 4 * beat
    half = beat / 2
    thirds = tuple(_MINOR_THIRD if m else _MAJOR_THIRD for m in mood.minor)
    parts = [
        f"st(0,mod(floor(t/{bar:.6g}),4))",
        f"st(1,{_pick(0, mood.roots)})",
        f"st(2,{_pick(0, thirds)})",
        f"st(3,mod(floor(t/{half:.6g}),4))",
    ]
    pad = (f"0.055*(sin(2*PI*ld(1)*t)+sin(2*PI*ld(1)*ld(2)*t)+sin(2*PI*ld(1)*{_FIFTH}*t))"
           f"*(0.55+0.45*exp(-1.5*mod(t,{bar:.6g})))")
    bass = f"0.17*sin(PI*ld(1)*t)*exp(-2.5*mod(t,{beat:.6g}))"
    arp_ratio = f"if(eq(ld(3),0),1,if(eq(ld(3),1),ld(2),if(eq(ld(3),2),{_FIFTH},2)))"
    arp = f"0.07*sin(4*PI*ld(1)*{arp_ratio}*t)*exp(-5*mod(t,{half:.6g}))"
    voices = [pad, bass, arp]
    if mood.drums > 0:
        tb = f"mod(t,{beat:.6g})"
        kick = f"{0.3 * mood.drums:.3g}*sin(2*PI*(45+90*exp(-25*{tb}))*{tb})*exp(-10*{tb})"
        hat = (f"{0.04 * mood.drums:.3g}*(2*random(4)-1)"
               f"*exp(-70*mod(t+{half:.6g},{beat:.6g}))")
        voices += [kick, hat]
    # ";" sequences sub-expressions (the stores run first); the graph quotes the whole thing.
    return ";".join([*parts, "+".join(voices)])


def tune_filter(mood: Mood, duration: float, volume: float, rate: int = 22050) -> str:
    """A filter chain (no input pad) producing `duration` s of the tune, stereo 44.1 kHz."""
    cycle = cycle_seconds(mood)
    samples = max(1, round(cycle * rate))
    fade = min(1.5, max(0.05, duration / 4))
    return (
        f"aevalsrc=exprs='{tune_expression(mood)}':s={rate}:c=mono:d={cycle:.6f},"
        f"aloop=loop=-1:size={samples},atrim=end={duration:.6f},asetpts=N/SR/TB,"
        f"afade=t=in:d={fade:.3f},afade=t=out:st={max(0.0, duration - fade):.6f}:d={fade:.3f},"
        f"aresample=44100,aformat=sample_fmts=fltp:channel_layouts=stereo,volume={volume:.4f}"
    )
