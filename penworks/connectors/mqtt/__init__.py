"""The MQTT connector: JSON payloads on topics -> observations; commands as JSON."""

from penworks.connectors.mqtt.connector import MqttConnector
from penworks.connectors.mqtt.jsonpath import MISSING, JsonPath, compile_path
from penworks.connectors.mqtt.routes import Refusal, Refused, TopicRoute, build_routes, decode
from penworks.connectors.mqtt.timestamps import device_time

__all__ = [
    "MISSING",
    "JsonPath",
    "MqttConnector",
    "Refusal",
    "Refused",
    "TopicRoute",
    "build_routes",
    "compile_path",
    "decode",
    "device_time",
]
