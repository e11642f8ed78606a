"""Helpers for the exchangelib conformance tests: simulator URL, control API, account factory and
recording of every HTTP request exchangelib sends (to assert on what went over the wire)."""

import json
import os
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import requests.adapters
from exchangelib import BASIC, IMPERSONATION, Account, Build, Configuration, Credentials, Version
from exchangelib.protocol import BaseProtocol

DOMAIN = "contoso.test"
NETBIOS = "CONTOSO"
SERVICE_UPN = f"MasterImpersonation@{DOMAIN}"
SERVICE_DOWNLEVEL = f"{NETBIOS}\\MasterImpersonation"
SERVICE_PASSWORD = "Demo-Impersonation-1"
PINNED_BUILD = (15, 1, 2507, 6)

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MNS = "http://schemas.microsoft.com/exchange/services/2006/messages"

# Fail instead of hanging for exchangelib's default 120 s if the simulator stops answering.
BaseProtocol.TIMEOUT = 30


def sim_url():
    value = os.environ.get("IMPERSYNC_SIM_URL", "").strip()
    if not value:
        raise RuntimeError("IMPERSYNC_SIM_URL is not set")
    return value.rstrip("/")


def ews_url():
    return sim_url() + "/EWS/Exchange.asmx"


def control(method, path, payload=None):
    """Call the simulator control API. Returns the decoded JSON body (or None); fails on non-2xx."""
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(sim_url() + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
    except urllib.error.HTTPError as e:
        raise AssertionError(f"control API {method} {path} failed: HTTP {e.code} {e.read()[:500]!r}") from e
    return json.loads(body) if body.strip() else None


def make_config(username=SERVICE_UPN, password=SERVICE_PASSWORD, auth_type=BASIC, pinned=True, retry_policy=None):
    kwargs = {"retry_policy": retry_policy} if retry_policy is not None else {}
    return Configuration(
        service_endpoint=ews_url(),
        credentials=Credentials(username, password),
        auth_type=auth_type,
        version=Version(build=Build(*PINNED_BUILD)) if pinned else None,
        **kwargs,
    )


def make_account(smtp, config=None):
    return Account(smtp, config=config or make_config(), autodiscover=False, access_type=IMPERSONATION)


# --- request recording ---------------------------------------------------------------------------
# exchangelib creates its requests sessions with BaseProtocol.HTTP_ADAPTER_CLS, so a recording
# adapter sees every request, including the individual legs of an NTLM handshake.


class SentRequest:
    def __init__(self, prepared):
        self.method = prepared.method
        self.url = prepared.url
        self.headers = dict(prepared.headers)
        body = prepared.body
        if isinstance(body, str):
            body = body.encode()
        self.body = body or b""
        self.operation = None
        self.element = None  # the operation element, e.g. <m:FindItem>
        if self.body:
            try:
                soap_body = ET.fromstring(self.body).find(f"{{{SOAP_NS}}}Body")
            except ET.ParseError:
                soap_body = None
            if soap_body is not None and len(soap_body):
                self.element = soap_body[0]
                self.operation = self.element.tag.split("}", 1)[1]


SENT = []
_SENT_LOCK = threading.Lock()


class RecordingAdapter(requests.adapters.HTTPAdapter):
    def send(self, request, *args, **kwargs):
        with _SENT_LOCK:
            SENT.append(SentRequest(request))
        return super().send(request, *args, **kwargs)


BaseProtocol.HTTP_ADAPTER_CLS = RecordingAdapter


def clear_sent():
    with _SENT_LOCK:
        SENT.clear()


def sent(operation=None):
    with _SENT_LOCK:
        return [r for r in SENT if operation is None or r.operation == operation]
