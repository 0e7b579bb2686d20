"""Building and editing drafts (PROTOCOL.md §8 short keys). Pure functions on plain dicts."""

from __future__ import annotations

import copy
import math
from typing import Any

from .prompt import MOOD_TITLES, Request
from .style import PACE_SCENE_SECONDS

VIDEO, AUDIO, TEXT = 0, 1, 7
SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920), "square": (1080, 1080)}
EN_BEATS = ("opening", "close-up", "in motion", "details", "wide shot", "highlight", "people",
            "closing")
ZH_BEATS = ("开场", "特写", "动态", "细节", "全景", "亮点", "人物", "结尾")
TITLE_MS = 3000
MAX_SCENES = 12
MAX_DRAFT_MS = 180_000


class EditError(Exception):
    """An edit that cannot be applied; the message is shown to the user as is."""


def _int(value: Any, default: int = 0) -> int:
    """An int from JSON (rounding floats), or the default."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return round(value) if math.isfinite(value) else default


def new_raw_draft(req: Request) -> dict[str, Any]:
    """The first-pass draft of a generation: the video track only, scenes named after the subject."""
    total = round(req.seconds * 1000)
    per = PACE_SCENE_SECONDS.get(req.pace or "medium", PACE_SCENE_SECONDS["medium"])
    count = max(1, min(MAX_SCENES, math.ceil(req.seconds / per - 0.25)))
    beats = ZH_BEATS if req.chinese else EN_BEATS
    subject = req.subject or ("我的视频" if req.chinese else "my video")
    cuts = [round(i * total / count) for i in range(count + 1)]
    scenes = []
    for i in range(count):
        beat = beats[-1] if i == count - 1 and count > 1 else beats[i % (len(beats) - 1)]
        name = f"{subject}·{beat}" if req.chinese else f"{subject} — {beat}"
        scenes.append({"s": cuts[i], "d": cuts[i + 1] - cuts[i], "m": {"name": name}})
    width, height = SIZES[req.aspect]
    meta: dict[str, Any] = {"width": width, "height": height}  # the title comes in pass two
    if req.palette:
        meta["style"] = req.palette
    if req.pace:
        meta["pace"] = req.pace
    return {"d": total, "m": meta, "t": [{"tt": VIDEO, "sg": scenes}]}


def normalize(draft: Any) -> dict[str, Any]:
    """A deep copy of the draft with the containers edits rely on (tolerates odd input)."""
    out = copy.deepcopy(draft) if isinstance(draft, dict) else {}
    if not isinstance(out.get("m"), dict):
        out["m"] = {}
    if not isinstance(out.get("t"), list):
        out["t"] = []
    out["t"] = [t for t in out["t"] if isinstance(t, dict)]
    for track in out["t"]:
        if not isinstance(track.get("sg"), list):
            track["sg"] = []
        track["sg"] = [sg for sg in track["sg"] if isinstance(sg, dict)]
        for sg in track["sg"]:
            if not isinstance(sg.get("m"), dict):
                sg["m"] = {}
    if _int(out.get("d")) <= 0:
        out["d"] = max((_int(sg.get("s")) + _int(sg.get("d")) for t in out["t"]
                        for sg in t["sg"]), default=0)
    return out


def track(draft: dict[str, Any], kind: int, create: bool = False) -> dict[str, Any] | None:
    """The draft's first track of a type, optionally created (in video, audio, text order)."""
    for t in draft["t"]:
        if t.get("tt") == kind:
            return t
    if not create:
        return None
    new: dict[str, Any] = {"tt": kind, "sg": []}
    order = {VIDEO: 0, AUDIO: 1, TEXT: 2}
    pos = sum(1 for t in draft["t"] if order.get(t.get("tt"), 3) <= order[kind])
    draft["t"].insert(pos, new)
    return new


def scenes(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """The segments of the main video track (empty list when there is none)."""
    t = track(draft, VIDEO)
    return t["sg"] if t else []


def _relayout(draft: dict[str, Any]) -> None:
    """Lay scenes end to end from 0 and make the draft as long as they are; fit other tracks."""
    cursor = 0
    for sg in scenes(draft):
        sg["s"] = cursor
        sg["d"] = max(1, _int(sg.get("d"), 1000))
        cursor += sg["d"]
    if scenes(draft):
        _fit_duration(draft, cursor)


def _fit_duration(draft: dict[str, Any], total: int) -> None:
    """Set the draft length; music that covered the whole draft keeps covering it."""
    old = _int(draft.get("d"))
    draft["d"] = total
    for t in draft["t"]:
        if t.get("tt") == VIDEO:
            continue
        kept = []
        for sg in t["sg"]:
            s, d = _int(sg.get("s")), _int(sg.get("d"))
            if t.get("tt") == AUDIO and s == 0 and d >= old:
                sg["d"] = total
            elif s + d > total:
                sg["d"] = total - s
            if _int(sg.get("d")) > 0:
                kept.append(sg)
        t["sg"] = kept


def set_title(draft: dict[str, Any], text: str) -> str:
    """Set (or add) the title overlay and the draft's title; returns what was done."""
    text = text.strip()[:80]
    if not text:
        raise EditError("What should the title say? For example: change the title to \"Summer Sale\".")
    draft["m"]["title"] = text
    t = track(draft, TEXT, create=True)
    assert t is not None
    if t["sg"]:
        old = t["sg"][0]["m"].get("text")
        t["sg"][0]["m"]["text"] = text
        return f'title changed from "{old}" to "{text}"' if old else f'title set to "{text}"'
    t["sg"].append({"s": 0, "d": min(TITLE_MS, max(1, _int(draft.get("d")))), "m": {"text": text}})
    return f'title "{text}" added'


def _remove_tracks(draft: dict[str, Any], kind: int, none_left: str) -> None:
    """Drop every track of type `kind`; EditError(`none_left`) when there was none."""
    before = len(draft["t"])
    draft["t"] = [t for t in draft["t"] if t.get("tt") != kind]
    if len(draft["t"]) == before:
        raise EditError(none_left)


def remove_title(draft: dict[str, Any]) -> str:
    """Remove every title overlay."""
    _remove_tracks(draft, TEXT, "There is no title to remove.")
    return "title removed"


def add_music(draft: dict[str, Any], mood: str, volume: float = 0.35,
              upload: dict[str, Any] | None = None) -> str:
    """Add background music over the whole draft, replacing any existing music."""
    total = max(1, _int(draft.get("d")))
    meta: dict[str, Any] = {"volume": round(volume, 2)}
    if upload:
        meta["name"] = str(upload.get("filename") or "uploaded track")
        meta["src"] = upload.get("cdn_url")
    else:
        meta["name"] = MOOD_TITLES.get(mood, "Background music")
        meta["mood"] = mood
    t = track(draft, AUDIO, create=True)
    assert t is not None
    had = bool(t["sg"])
    t["sg"] = [{"s": 0, "d": total, "m": meta}]
    verb = "replaced with" if had else "added:"
    return f"background music {verb} {meta['name']} at {round(volume * 100)}%"


def remove_music(draft: dict[str, Any]) -> str:
    """Remove every audio track."""
    _remove_tracks(draft, AUDIO, "There is no background music to remove.")
    return "background music removed"


def set_music_volume(draft: dict[str, Any], volume: float) -> str:
    """Set the volume (0-1) of every background music segment."""
    t = track(draft, AUDIO)
    if t is None or not t["sg"]:
        raise EditError("There is no background music yet. Say \"add background music\" first.")
    # Whole percents, so the reply and the timeline (which shows percents) say the same figure.
    percent = round(min(1.0, max(0.0, volume)) * 100)
    old = t["sg"][0]["m"].get("volume")
    for sg in t["sg"]:
        sg["m"]["volume"] = percent / 100
    before = f"{round(float(old) * 100)}% → " if isinstance(old, (int, float)) else ""
    return f"music volume {before}{percent}%"


def set_duration(draft: dict[str, Any], seconds: float) -> str:
    """Stretch or shrink the scenes proportionally to a new total length."""
    total = round(min(MAX_DRAFT_MS / 1000, max(1.0, seconds)) * 1000)
    old = _int(draft.get("d"))
    sgs = scenes(draft)
    if sgs:
        weights = [max(1, _int(sg.get("d"), 1)) for sg in sgs]
        cuts = [0]
        acc = 0
        for w in weights:
            acc += w
            cuts.append(round(total * acc / sum(weights)))
        for sg, a, b in zip(sgs, cuts, cuts[1:], strict=False):
            sg["d"] = max(1, b - a)
        _relayout(draft)
        draft["d"] = total
    else:
        _fit_duration(draft, total)
    return f"duration {old / 1000:g}s → {total / 1000:g}s"


def add_scene(draft: dict[str, Any], name: str, *, seconds: float | None = None,
              position: int | None = None, upload: dict[str, Any] | None = None) -> str:
    """Insert a scene (generated, or an uploaded clip/image) at a position (default: the end)."""
    t = track(draft, VIDEO, create=True)
    assert t is not None
    if len(t["sg"]) >= 40:
        raise EditError("This draft already has 40 scenes; remove one before adding more.")
    if seconds is None:
        if upload and upload.get("file_type") == "video" and upload.get("duration"):
            seconds = min(10.0, float(upload["duration"]))
        else:
            seconds = 3.0 if upload else 5.0
    seconds = min(60.0, max(1.0, seconds))
    meta: dict[str, Any] = {"name": name[:60]}
    if upload:
        meta["src"] = upload.get("cdn_url")
    pos = len(t["sg"]) if position is None else max(0, min(len(t["sg"]), position))
    t["sg"].insert(pos, {"s": 0, "d": round(seconds * 1000), "m": meta})
    if _int(draft.get("d")) + seconds * 1000 > MAX_DRAFT_MS:
        del t["sg"][pos]
        raise EditError(f"That would make the video longer than {MAX_DRAFT_MS // 1000} s.")
    _relayout(draft)
    where = "at the start" if pos == 0 else "at the end" if pos == len(t["sg"]) - 1 else \
        f"as scene {pos + 1}"
    return f"scene \"{meta['name']}\" ({seconds:g}s) added {where}"


def remove_scene(draft: dict[str, Any], index: int) -> str:
    """Remove the scene at a 0-based index; later scenes move up."""
    sgs = scenes(draft)
    if not 0 <= index < len(sgs):
        raise EditError(f"There is no scene {index + 1}; the video has {len(sgs)} scene(s).")
    if len(sgs) == 1:
        raise EditError("That is the only scene; a video needs at least one.")
    gone = sgs.pop(index)
    _relayout(draft)
    return f"scene {index + 1} (\"{gone['m'].get('name', '')}\") removed"


def move_scene(draft: dict[str, Any], index: int, to: int) -> str:
    """Move the scene at `index` to position `to` (0-based, clamped)."""
    sgs = scenes(draft)
    if not 0 <= index < len(sgs):
        raise EditError(f"There is no scene {index + 1}; the video has {len(sgs)} scene(s).")
    to = max(0, min(len(sgs) - 1, to))
    if to == index:
        raise EditError(f"Scene {index + 1} is already there.")
    sgs.insert(to, sgs.pop(index))
    _relayout(draft)
    return f"scene {index + 1} moved to position {to + 1}"


def swap_scenes(draft: dict[str, Any], a: int, b: int) -> str:
    """Swap two scenes (0-based)."""
    sgs = scenes(draft)
    for i in (a, b):
        if not 0 <= i < len(sgs):
            raise EditError(f"There is no scene {i + 1}; the video has {len(sgs)} scene(s).")
    if a == b:
        raise EditError("Those are the same scene.")
    sgs[a], sgs[b] = sgs[b], sgs[a]
    _relayout(draft)
    return f"scenes {a + 1} and {b + 1} swapped"


def find_scene(draft: dict[str, Any], words: str) -> int | None:
    """The index of the scene whose name contains `words` (case-insensitive)."""
    needle = words.lower().strip()
    if not needle:
        return None
    for i, sg in enumerate(scenes(draft)):
        if needle in str(sg["m"].get("name", "")).lower():
            return i
    return None


def set_style(draft: dict[str, Any], palette: str | None, pace: str | None) -> str:
    """Change the colour palette and/or pacing of the generated scenes."""
    done = []
    if palette:
        draft["m"]["style"] = palette
        done.append(f"colours set to {palette}")
    if pace:
        draft["m"]["pace"] = pace
        done.append(f"pacing set to {pace}")
    return " and ".join(done)


def set_aspect(draft: dict[str, Any], aspect: str) -> str:
    """Change the output shape (landscape 16:9, portrait 9:16, square 1:1)."""
    draft["m"]["width"], draft["m"]["height"] = SIZES[aspect]
    label = {"landscape": "16:9 landscape", "portrait": "9:16 vertical", "square": "1:1 square"}
    return f"format changed to {label[aspect]}"


def reverse_scenes(draft: dict[str, Any]) -> str:
    """Play the scenes in the opposite order."""
    sgs = scenes(draft)
    if len(sgs) < 2:
        raise EditError("There is only one scene, so there is nothing to reorder.")
    sgs.reverse()
    _relayout(draft)
    return "scene order reversed"


def replace_scene(draft: dict[str, Any], index: int, upload: dict[str, Any]) -> str:
    """Show an uploaded clip or image in place of a scene (the scene keeps its length)."""
    sgs = scenes(draft)
    if not 0 <= index < len(sgs):
        raise EditError(f"There is no scene {index + 1}; the video has {len(sgs)} scene(s).")
    name = str(upload.get("filename") or "uploaded clip")[:60]
    sgs[index]["m"] = {"name": name, "src": upload.get("cdn_url")}
    return f"scene {index + 1} now shows {name}"
