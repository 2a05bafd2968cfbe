"""Outbound HTTP requests that cannot reach inside (server-side request forgery).

The platform sends requests to addresses chosen by its users (organisations' webhooks). An
address that names the server itself, its private network or a cloud metadata service
would turn the platform into a port scanner of its own network with readable answers. So:

- `address_problem(url)` checks an address when it is registered: `https://` only, no user
  name or password, no metadata or internal host name, no blocked literal address, and no
  host name that resolves to a blocked address now;
- `post(url, ...)` checks it again at every request: the host name is resolved **once**,
  every address it resolves to must be allowed, and the connection goes to the first of
  those checked addresses (the `Host` header, TLS SNI and the certificate check keep the
  original host name), so a DNS answer that changes between the check and the connection
  (rebinding) cannot reach inside. Redirects are never followed (http.client follows none).

An address is blocked when it is loopback, private (RFC 1918), carrier-grade NAT
(100.64.0.0/10), link-local (169.254.0.0/16, fe80::/10), unique-local (fc00::/7),
multicast, unspecified, reserved, documentation or benchmarking, or an IPv6 form that
embeds an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) whose IPv4 is blocked.

Plain `http://` and local addresses are allowed only when the setting
`OUTBOUND_ALLOW_LOCAL` is true: development (`make demo` with a receiver on the same
machine). The production settings refuse to start with it.

What happened is told by a fixed error class (`ERROR_CLASSES`), never by the answer's body
or the socket's error text, so the delivery log cannot be used to read what is behind an
address.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT, RFC 6598
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, where cloud metadata services listen
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::ffff:0:0/96",  # IPv4-mapped (checked through the IPv4 too)
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/32",  # Teredo
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "fc00::/7",  # unique-local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

METADATA_HOSTS = frozenset(
    {
        "localhost",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "metadata.packet.net",
        "metadata.platformequinix.com",
    }
)
"""Host names of cloud metadata services and of the machine itself."""
INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa", ".lan")
"""Suffixes that only name hosts of a private network."""

ERROR_CLASSES = (
    "blocked_address",
    "dns",
    "refused",
    "timeout",
    "tls",
    "connection",
    "http_3xx",
    "http_4xx",
    "http_5xx",
    "http_other",
)
"""The only texts a failed request leaves in a log."""


def address_blocked(address: IPAddress) -> bool:
    """Whether a request must not go to `address` (see the module's list)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and address_blocked(embedded):
            return True
        if address.teredo is not None:
            return True
    if any(address in network for network in BLOCKED_NETWORKS):
        return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _literal_address(host: str) -> IPAddress | None:
    """The address `host` spells, including the legacy IPv4 forms the C library accepts
    (`2130706433`, `0x7f.1`, `127.1`)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def host_name_blocked(host: str) -> bool:
    """Whether `host` (a name, not an address) names the machine, its private network or a
    metadata service; a single-label name is blocked too, as the server's search domains
    would complete it to an internal host."""
    name = host.lower().rstrip(".")
    return name in METADATA_HOSTS or name.endswith(INTERNAL_SUFFIXES) or "." not in name


Resolver = Callable[[str, int], Sequence[str]]


def system_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(answer[4][0]) for answer in answers]


resolve: Resolver = system_resolve
"""The resolver used by `checked_address` (tests replace it)."""


class BlockedAddressError(Exception):
    """The address may not be reached."""


def _allow_local() -> bool:
    return bool(settings.OUTBOUND_ALLOW_LOCAL)


def checked_address(host: str, port: int) -> str:
    """The one address to connect to for `host`: resolved once, every answer checked.
    Raises BlockedAddressError, or OSError (socket.gaierror) when `host` does not resolve."""
    allow_local = _allow_local()
    literal = _literal_address(host)
    if literal is not None:
        if address_blocked(literal) and not allow_local:
            raise BlockedAddressError(host)
        return str(literal)
    if host_name_blocked(host) and not allow_local:
        raise BlockedAddressError(host)
    answers = [ipaddress.ip_address(answer.split("%")[0]) for answer in resolve(host, port)]
    if not answers:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    if not allow_local and any(address_blocked(answer) for answer in answers):
        # One blocked answer is enough: a name that mixes public and private answers is how
        # rebinding attacks are usually set up.
        raise BlockedAddressError(host)
    return str(answers[0])


def address_problem(url: str) -> str | None:
    """What is wrong with `url` as an address to send requests to, in words for the person
    who typed it (translated), or None. Checked again at every request (`post`)."""
    from django.utils.translation import gettext as _

    parsed = urllib.parse.urlsplit(url)
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    allow_local = _allow_local()
    schemes = {"https", "http"} if allow_local else {"https"}
    if not host or parsed.scheme not in schemes or len(url) > 500:
        return str(_("An https:// address of at most 500 characters."))
    if parsed.username or parsed.password:
        return str(_("No user name or password in the address: the signature authenticates."))
    try:
        checked_address(host, port or (443 if parsed.scheme == "https" else 80))
    except BlockedAddressError:
        return str(
            _(
                "This address points to a private, local or reserved network or to a "
                "metadata service; use the public https:// address of your system."
            )
        )
    except (OSError, ValueError):
        # Not resolvable yet (a system still being set up): every request checks it again.
        return None
    return None


@dataclass(frozen=True)
class Answer:
    """What came of one request: the HTTP status (None when none came back) and the error
    class (one of ERROR_CLASSES; empty on a 2xx)."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def status_class(status: int) -> str:
    if 200 <= status < 300:
        return ""
    if 300 <= status < 600:
        return f"http_{status // 100}xx"
    return "http_other"


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address while the Host header keeps the host name."""

    def __init__(self, host: str, port: int | None, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a checked address; TLS SNI and the certificate check use the host name."""

    def __init__(
        self,
        host: str,
        port: int | None,
        *,
        address: str,
        timeout: float,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls_context = context

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.tls_context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def tls_context() -> ssl.SSLContext:
    """The default verification: a trusted certificate for the host name."""
    return ssl.create_default_context()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to `url` through the checks above; the status and the error class."""
    parsed = urllib.parse.urlsplit(url)
    allow_local = _allow_local()
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        return Answer(None, "blocked_address")
    if not host or parsed.scheme not in ({"https", "http"} if allow_local else {"https"}):
        return Answer(None, "blocked_address")
    port = port or (443 if parsed.scheme == "https" else 80)
    try:
        address = checked_address(host, port)
    except BlockedAddressError:
        return Answer(None, "blocked_address")
    except (OSError, ValueError, UnicodeError):
        return Answer(None, "dns")
    path = parsed.path or "/"
    if parsed.query:
        path += "?" + parsed.query
    connection: http.client.HTTPConnection
    if parsed.scheme == "https":
        connection = _PinnedHTTPSConnection(
            host, port, address=address, timeout=timeout, context=tls_context()
        )
    else:
        connection = _PinnedHTTPConnection(host, port, address=address, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # drained, never kept
        status = int(response.status)
        return Answer(status, status_class(status))
    except ssl.SSLError:
        return Answer(None, "tls")
    except TimeoutError:
        return Answer(None, "timeout")
    except ConnectionRefusedError:
        return Answer(None, "refused")
    except (OSError, http.client.HTTPException, ValueError):
        return Answer(None, "connection")
    finally:
        connection.close()
