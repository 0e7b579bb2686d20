"""What the local agent says: acknowledgements, results (some in GUI speak), help and errors."""

from __future__ import annotations

import random
from typing import Any

from .prompt import MOOD_TITLES, Request

# Ops answered with text only (no tool call, no credits).
TALK = {"help", "hello", "thanks", "unknown", "no_draft", "no_upload", "no_generated", "unclear",
        "export_hint"}

CAPABILITIES_EN = (
    "I can generate a video from a description and then edit it. Try:\n"
    "• \"generate a 30-second vertical video about city nights with background music\"\n"
    "• \"change the title to Summer Sale\" / \"remove the title\"\n"
    "• \"add background music\" / \"music volume 20%\" / \"remove the music\"\n"
    "• \"make it 20 seconds\"\n"
    "• \"add a clip of the beach\" / \"remove scene 2\" / \"move scene 3 to the start\"\n"
    "• \"make it warmer\" / \"faster pacing\" / \"make it square\"\n"
    "• \"use my uploaded clip as the intro\"\n"
    "When you're happy with it, click the Export button to get the MP4."
)
CAPABILITIES_ZH = (
    "我可以根据描述生成视频，然后帮你修改。试试：\n"
    "• “生成一个30秒的竖屏视频，关于城市夜景，带背景音乐”\n"
    "• “标题改为 夏日促销” / “删除标题”\n"
    "• “添加背景音乐” / “音乐音量20%” / “删除背景音乐”\n"
    "• “时长改为20秒”\n"
    "• “添加一个海滩的镜头” / “删除第二个场景”\n"
    "• “用我上传的视频作为开头”\n"
    "满意后点击导出按钮即可下载 MP4。"
)
_UNCLEAR = {
    "title": "What should the title say? For example: change the title to \"Summer Sale\".",
    "volume": "What volume should the music have? For example: music volume 20%.",
    "move": "Where should that scene go? For example: move scene 3 to the start.",
    "track": "I couldn't find that track. Name it like the timeline does: \"the Video track\" "
             "or \"track 3\".",
    "segment": "I couldn't tell what to do with that segment. Try: split segment 2 of the "
               "Video track at 9s.",
    "remove_scene": "Which scene should I remove? For example: remove scene 2, or remove the "
                    "last scene.",
}
_ASPECT_LABEL = {"landscape": "16:9", "portrait": "9:16 vertical", "square": "1:1 square"}
_ASPECT_ZH = {"landscape": "横屏", "portrait": "竖屏", "square": "方形"}


def talk(op: Any, message: str, zh: bool) -> str:
    """A text-only answer: help, greetings, and helpful refusals."""
    caps = CAPABILITIES_ZH if zh else CAPABILITIES_EN
    if op.kind == "hello":
        return ("你好！" if zh else "Hi! ") + caps
    if op.kind == "thanks":
        return ("不客气！还需要修改什么吗？" if zh else
                "You're welcome! Tell me if you'd like any other change, or click Export.")
    if op.kind == "no_draft":
        return ("这个会话里还没有视频。先描述一下你想要的视频，例如“生成一个15秒的城市夜景视频，带背景音乐”。"
                if zh else
                "There's no video in this session yet. Describe one first — for example: "
                "\"generate a 15-second video about city nights with background music\".")
    if op.kind == "no_upload":
        kind = op.args.get("kind", "file")
        return ("这个会话里还没有上传的文件。请先上传，然后再说“用我上传的视频作为开头”。" if zh else
                f"I couldn't find an uploaded {kind} in this session. Upload it first (drag it "
                "onto the chat or use the Upload button), then say \"use my uploaded clip as "
                "the intro\".")
    if op.kind == "no_generated":
        name = op.args.get("name", "")
        return (f"这个会话里没有名为“{name}”的生成素材。" if zh else
                f"I haven't generated anything called \"{name}\" in this session; the media "
                "bin lists what I made.")
    if op.kind == "unclear":
        return _UNCLEAR.get(op.args.get("about", ""), caps)
    if op.kind == "help":
        return caps
    if op.kind == "export_hint":
        if not op.args.get("has_draft"):
            return talk(type(op)("no_draft"), message, zh)
        return ("视频已准备好，点击导出按钮即可渲染并下载 MP4。" if zh else
                "Your video is ready to export: click the Export button to render and download "
                "the MP4.")
    shown = message.strip().replace("\n", " ")
    shown = shown[:60] + ("…" if len(shown) > 60 else "")
    if zh:
        return f"抱歉，我没理解“{shown}”。\n" + caps
    return f"Sorry, I didn't understand \"{shown}\".\n" + caps


def failure(exc: BaseException, zh: bool) -> str:
    """A reply for an unexpected internal error: the session stays usable."""
    if zh:
        return f"抱歉，处理时出错了（{type(exc).__name__}）。你的视频没有改变，请换个说法再试。"
    return (f"Sorry, something went wrong while doing that ({type(exc).__name__}). Your video "
            "is unchanged; please try again or rephrase.")


def generation_ack(req: Request) -> str:
    """The first words of a generation."""
    secs = f"{req.seconds:g}"
    if req.chinese:
        music = "，带背景音乐" if req.music else ""
        text = f"好的！正在生成一段{secs}秒的{_ASPECT_ZH[req.aspect]}视频：{req.subject or '你的创意'}{music}。大约需要一两分钟。"
    else:
        music = " with background music" if req.music else ""
        about = f" about {req.subject}" if req.subject else ""
        text = (f"Sure — generating a {secs}-second {_ASPECT_LABEL[req.aspect]} video{about}"
                f"{music}. This usually takes a minute or two.")
    return f"{text} {req.note}".strip()


def generation_done(rng: random.Random, req: Request, title: str, scenes: int) -> str:
    """The closing words of a generation (some variants speak GUI)."""
    secs = f"{req.seconds:g}"
    if req.chinese:
        music = "、背景音乐" if req.music else ""
        return (f"完成！你的{secs}秒视频《{title}》已生成：{scenes}个场景{music}和标题。"
                "点击导出按钮即可下载，或者告诉我需要修改的地方。")
    music = f", {MOOD_TITLES.get(req.mood, 'background')} music at 35%" if req.music else ""
    n = f"{scenes} scene{'' if scenes == 1 else 's'}"
    variants = (
        (f"Done! Your {secs}-second video \"{title}\" is ready: {n}{music} and a "
        "title. Click the Export button to download it."),
        (f"All set — \"{title}\" is on the timeline ({n}, {secs}s{music}). Preview "
        "it in the timeline, then click Export when you're happy."),
        (f"Your video \"{title}\" is ready ({n}{music}). Open the timeline panel to "
        "review it, or tell me what to change — e.g. \"change the title to …\" or \"music "
        "volume 20%\"."),
    )
    return rng.choice(variants)


def edit_done(rng: random.Random, summary: str, zh: bool) -> str:
    """A short confirmation of an edit (sometimes with a GUI hint)."""
    if zh:
        return f"已完成：{summary}。可以在时间线中预览，满意后点击导出。"
    tail = rng.choice(("", " You can preview it in the timeline.",
                       " Click Export when you're ready.", ""))
    return f"Done — {summary}.{tail}"


def op_args(op: Any) -> dict[str, Any]:
    """Tool-call arguments for an edit (uploads named by file name, not the whole record)."""
    out: dict[str, Any] = {}
    for key, value in op.args.items():
        if key == "upload":
            if value:
                out["media"] = value.get("filename")
        elif value is not None:
            out[key] = value
    return out
