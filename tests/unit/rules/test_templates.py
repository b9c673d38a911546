"""Message templates: plain names and format specs only; rendering never fails."""

from __future__ import annotations

import pytest

from penworks.rules.templates import MessageTemplate, TemplateError


def test_names_and_specs_render() -> None:
    template = MessageTemplate.compile("{point} is {value:.1f} °C (setpoint {setpoint:>5})")
    assert template.names == {"point", "value", "setpoint"}
    text = template.render({"point": "b15.f3.r301", "value": 29.04, "setpoint": 25})
    assert text == "b15.f3.r301 is 29.0 °C (setpoint    25)"


def test_braces_are_written_doubled() -> None:
    assert MessageTemplate.compile("{{literal}} {x}").render({"x": 1}) == "{literal} 1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{}", "empty fields"),
        ("{0}", "only plain names"),
        ("{value.__class__}", "only plain names"),
        ("{value[0]}", "only plain names"),
        ("{value!r}", "conversions are not allowed"),
        ("{value:{width}}", "nested fields"),
        ("{value:.1q}", "is not a format specification"),
        ("a { b", "write {{ and }} for braces"),
        ("a } b", "write {{ and }} for braces"),
        ("x" * 4_001, "longer than"),
    ],
)
def test_what_is_refused(text: str, reason: str) -> None:
    with pytest.raises(TemplateError) as caught:
        MessageTemplate.compile(text)
    assert reason in str(caught.value)


def test_unknown_and_mismatched_values_still_render() -> None:
    template = MessageTemplate.compile("{value:.1f} in {space}")
    assert template.render({"value": None}) == "? in ?"
    assert template.render({"value": "fault", "space": "r301"}) == "fault in r301"
    assert template.render_known({"value": 1.0}) is None
    assert template.render_known({"value": 1.0, "space": "r301"}) == "1.0 in r301"
