#!/usr/bin/env python3
"""Writes gRPC-framed request bodies for h2load: one fixed Decide (agent, action with target and parameters, context)
and an empty grpc.health.v1.HealthCheckRequest. Protobuf is encoded by hand so the script needs nothing installed."""
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, wire, payload):
    return varint(number << 3 | wire) + payload


def string(number, text):
    data = text.encode()
    return field(number, 2, varint(len(data)) + data)


def message(number, body):
    return field(number, 2, varint(len(body)) + body)


def double(number, value):
    return field(number, 1, struct.pack("<d", value))


def struct_of(pairs):
    # google.protobuf.Struct: map<string, Value> fields = 1; Value.string_value = 3.
    body = b""
    for key, value in pairs.items():
        entry = string(1, key) + message(2, string(3, value))
        body += message(1, entry)
    return body


def decide():
    agent = string(1, "triage-bot") + string(2, "gpt-x") + string(5, "alice@example.com")
    target = string(1, "account") + string(2, "bob@example.com")
    action = (string(1, "iam.account.disable") + message(2, target) + message(3, struct_of({"reason": "impossible travel"}))
              + string(4, "impossible travel from two countries") + double(5, 0.93) + double(6, 72))
    context = struct_of({"environment": "production", "incident_id": "INC-1234"})
    return message(2, agent) + message(3, action) + message(4, context)


def frame(body):
    return b"\x00" + struct.pack(">I", len(body)) + body


if __name__ == "__main__":
    out = sys.argv[1]
    with open(out + "/decide.bin", "wb") as f:
        f.write(frame(decide()))
    with open(out + "/health.bin", "wb") as f:
        f.write(frame(b""))
