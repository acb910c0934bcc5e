"""What the caller hears: TwiML for the menu, the recording, and the reference read out slowly.

French is spoken by Twilio's text-to-speech in a French voice. Bambara has no such voice: its
prompts are recorded audio files (``TIPLINE_HOTLINE_BM_*_AUDIO_URL``). The menu offers Bambara
only when every prompt a Bambara caller must understand is recorded: offering it and then
speaking French would mislead the very callers it is for. The offer to hear the reference again
falls back to French speech when its file is missing (the digits are read in French anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from twilio.twiml.voice_response import Gather, Say, VoiceResponse

from channels.i18n import DEFAULT_LANGUAGE, translate

FRENCH = "fr"
BAMBARA = "bm"
VOICE_PATH = "/channels/hotline/twilio/voice"
RECORDING_PATH = "/channels/hotline/twilio/recording"
# The number's "call status changes" webhook: a call over, whether or not it left a message.
CALL_STATUS_PATH = "/channels/hotline/twilio/status"
REFERENCE_PATH = f"{VOICE_PATH}/reference"
REPEAT_DIGIT = "1"
# Long enough for a caller to write each character down.
_CHARACTER_PAUSE = "700ms"
_GROUP_PAUSE = "1500ms"
# Seconds to find a pen before the first reading.
_PEN_PAUSE_SECONDS = 3
# Letters a caller mishears on a phone line (bé/dé/pé/té/vé, emme/enne, effe/esse) are followed
# by a word of the French spelling alphabet; the others are clear enough alone.
_SPELLED_WITH_A_WORD = frozenset("BDPTVMNFS")


@dataclass(frozen=True)
class HotlineConfig:
    public_base_url: str
    voice: str = "Polly.Lea"
    record_max_seconds: int = 180
    # Prompt name ("menu", "record", "reference", "repeat", "texts", "goodbye") → recorded
    # Bambara audio.
    bambara_audio: Mapping[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.public_base_url.rstrip("/") + path

    @property
    def missing_bambara_prompts(self) -> tuple[str, ...]:
        return tuple(name for name in BAMBARA_PROMPTS if not self.bambara_audio.get(name))

    @property
    def offers_bambara(self) -> bool:
        return not self.missing_bambara_prompts


# Without any one of these recorded, a Bambara caller would be left with French instructions.
BAMBARA_PROMPTS = ("menu", "record", "reference", "goodbye")


def menu(config: HotlineConfig) -> VoiceResponse:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=config.url(f"{VOICE_PATH}/language"), method="POST")
    _say(gather, config, "hotline.welcome")
    _say(gather, config, "hotline.menu_fr")
    if config.offers_bambara:
        _prompt(gather, config, BAMBARA, "menu", "hotline.menu_bm")
    response.append(gather)
    # No key pressed: French, rather than losing the caller in a loop.
    response.redirect(config.url(f"{VOICE_PATH}/language"), method="POST")
    return response


def record(config: HotlineConfig, language: str) -> VoiceResponse:
    response = VoiceResponse()
    duration = spoken_duration(config.record_max_seconds)
    _prompt(response, config, language, "record", "hotline.record", duration=duration)
    response.record(
        max_length=config.record_max_seconds,
        play_beep=True,
        finish_on_key="#",
        timeout=8,
        trim="trim-silence",
        action=config.url(f"{VOICE_PATH}/recorded?lang={language}"),
        method="POST",
        recording_status_callback=config.url(f"{RECORDING_PATH}?lang={language}"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    # Reached only when nothing was recorded.
    return nothing_recorded(config, language, response)


def nothing_recorded(
    config: HotlineConfig, language: str, response: VoiceResponse | None = None
) -> VoiceResponse:
    response = response or VoiceResponse()
    _say(response, config, "hotline.nothing_recorded")
    response.hangup()
    return response


def spoken_duration(seconds: int) -> str:
    """« 45 secondes », « 1 minute », « 3 minutes », « 1 minute 30 »: as French speakers say it."""
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return translate("hotline.duration.seconds", seconds=rest)
    key = "hotline.duration.one_minute" if minutes == 1 else "hotline.duration.minutes"
    spoken = translate(key, minutes=minutes)
    return f"{spoken} {rest}" if rest else spoken


def reference_read_out(
    config: HotlineConfig,
    language: str,
    reference: str,
    *,
    recording: str,
    again: bool = False,
    texts_notice: bool = False,
) -> VoiceResponse:
    """The reference, twice, slowly, then the offer to hear it again; the caller may hang up.

    The offer's action names the recording (Twilio's own id, which Twilio holds anyway), so the
    repeat files the same call again and reads the same reference, whichever request came first.
    """
    response = VoiceResponse()
    if not again:
        _prompt(response, config, language, "reference", "hotline.reference")
        response.pause(length=_PEN_PAUSE_SECONDS)
    for _ in range(2):  # twice: the first time the caller is still writing
        _spell(response.say(voice=config.voice, language="fr-FR"), reference)
    gather = Gather(
        num_digits=1,
        timeout=5,
        action=config.url(f"{REFERENCE_PATH}?lang={language}&recording={recording}"),
        method="POST",
    )
    _prompt(gather, config, language, "repeat", "hotline.repeat", digit=REPEAT_DIGIT)
    response.append(gather)
    return goodbye(config, language, response, texts_notice=texts_notice)


def goodbye(
    config: HotlineConfig,
    language: str,
    response: VoiceResponse | None = None,
    *,
    texts_notice: bool = False,
) -> VoiceResponse:
    """``texts_notice``: tell the caller the office may text them, and how to refuse (STOP);
    only then may an officer's question reach them by SMS."""
    response = response or VoiceResponse()
    if texts_notice and tells_of_texts(config, language):
        _prompt(response, config, language, "texts", "hotline.texts_notice")
    _prompt(response, config, language, "goodbye", "hotline.goodbye")
    response.hangup()
    return response


def tells_of_texts(config: HotlineConfig, language: str) -> bool:
    """Whether the end of the call can tell this caller, in their language, that the office may
    text them: in French always; in Bambara only with its recorded prompt."""
    return language != BAMBARA or bool(config.bambara_audio.get("texts"))


def _spell(spelled: Say, reference: str) -> None:
    for group in reference.split("-"):
        for character in group:
            spelled.say_as(character, interpret_as="characters")
            if character in _SPELLED_WITH_A_WORD:
                spelled.prosody(translate(f"hotline.spelling.{character}"), rate="90%")
            spelled.break_(time=_CHARACTER_PAUSE)
        spelled.break_(time=_GROUP_PAUSE)


def _say(node: VoiceResponse | Gather, config: HotlineConfig, key: str, **values: object) -> None:
    node.say(translate(key, DEFAULT_LANGUAGE, **values), voice=config.voice, language="fr-FR")


def _prompt(
    node: VoiceResponse | Gather,
    config: HotlineConfig,
    language: str,
    name: str,
    key: str,
    **values: object,
) -> None:
    audio = config.bambara_audio.get(name) if language == BAMBARA else None
    if audio:
        node.play(audio)
    else:
        _say(node, config, key, **values)
