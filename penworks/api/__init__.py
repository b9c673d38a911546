"""The HTTP API: an app factory over the model, the history store and the live status."""

from penworks.api.app import create_app
from penworks.api.problems import PROBLEM_MEDIA_TYPE, Problem, ProblemError
from penworks.api.protocols import ModelView, StatusSource

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ModelView",
    "Problem",
    "ProblemError",
    "StatusSource",
    "create_app",
]
