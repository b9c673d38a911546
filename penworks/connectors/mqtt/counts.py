"""Dead letters counted per topic and per reason code."""

from __future__ import annotations

from penworks.connectors.mqtt.routes import Refusal

OTHER_TOPICS = "(other topics)"


class RefusalCounts:
    """Counts per (topic, reason code) and per code.

    Stray topics arriving through a watch filter are unbounded in number, so past `max_keys`
    distinct keys new topics are counted together under OTHER_TOPICS.
    """

    def __init__(self, max_keys: int = 10_000) -> None:
        self._max_keys = max_keys
        self._by_topic: dict[tuple[str, Refusal], int] = {}
        self._by_code: dict[Refusal, int] = {}
        self.total = 0

    def add(self, topic: str, code: Refusal) -> None:
        key = (topic, code)
        if key not in self._by_topic and len(self._by_topic) >= self._max_keys:
            key = (OTHER_TOPICS, code)
        self._by_topic[key] = self._by_topic.get(key, 0) + 1
        self._by_code[code] = self._by_code.get(code, 0) + 1
        self.total += 1

    def by_topic(self) -> dict[tuple[str, str], int]:
        return {(topic, code.value): n for (topic, code), n in self._by_topic.items()}

    def by_code(self) -> dict[str, int]:
        return {code.value: n for code, n in self._by_code.items()}
