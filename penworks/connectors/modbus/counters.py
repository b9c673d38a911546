"""What the Modbus connector counts, as stats() reports it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class Counters:
    reads: int = 0  # read requests answered with values
    observations: int = 0  # good observations published
    bad_observations: int = 0  # bad-quality observations published (a point went bad)
    dead_letters: int = 0  # values that could not become observations
    errors: int = 0  # requests that failed, for whatever reason
    exception_responses: int = 0  # requests the device answered with an exception code
    link_failures: int = 0  # no answer, no connection
    fallbacks: int = 0  # blocks re-read point by point after 'illegal data address'
    writes: int = 0  # write requests the device accepted
    commands_rejected: int = 0  # commands refused before reaching the device

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
