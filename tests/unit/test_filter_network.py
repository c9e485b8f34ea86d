from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labforge_filters.errors import LabforgeFilterError
from labforge_filters.network import libvirt_net_cidrs, libvirt_subnet_plan

# What `ip -j route` prints in the Molecule host: the uplink and its default route.
CONTAINER_ROUTES = [
    {"dst": "default", "gateway": "172.17.0.1", "dev": "eth0", "flags": []},
    {"dst": "172.17.0.0/16", "dev": "eth0", "protocol": "kernel", "scope": "link", "prefsrc": "172.17.0.2"},
]
LABFORGE_ROUTE = {"dst": "192.168.100.0/24", "dev": "virbr-labforge", "flags": ["linkdown"]}
DEFAULT_XML = """<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
  </ip>
  <ip family='ipv6' address='fd00::1' prefix='64'/>
</network>"""


def test_net_cidrs_reads_netmask_and_prefix_and_skips_ipv6() -> None:
    assert libvirt_net_cidrs(DEFAULT_XML) == ["192.168.122.0/24"]
    assert libvirt_net_cidrs("<network><ip address='10.1.2.1' prefix='16'/></network>") == ["10.1.0.0/16"]
    assert libvirt_net_cidrs("<network><name>isolated</name></network>") == []


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (None, "expected the XML text of a libvirt network, got null"),
        ("<network>", "does not parse"),
        ("<pool/>", "expected a <network> document, got <pool>"),
        ("<network><ip address='10.1.2.1' prefix='40'/></network>", "bad <ip>: '10.1.2.1/40'"),
    ],
)
def test_net_cidrs_errors(xml: object, message: str) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        libvirt_net_cidrs(xml)


def test_auto_picks_the_first_free_24_and_describes_it() -> None:
    plan = libvirt_subnet_plan([{"name": "labforge", "subnet": "auto"}], CONTAINER_ROUTES)
    assert plan == {
        "labforge": {
            "name": "labforge",
            "subnet": "auto",
            "bridge": "virbr-labforge",
            "cidr": "192.168.100.0/24",
            "prefix": 24,
            "netmask": "255.255.255.0",
            "gateway": "192.168.100.1",
            "dhcp_start": "192.168.100.2",
            "dhcp_end": "192.168.100.254",
            "origin": "picked",
        }
    }


def test_auto_skips_routes_networks_and_reserved_subnets() -> None:
    routes = [*CONTAINER_ROUTES, {"dst": "192.168.100.0/24", "dev": "docker1"}]
    existing = {"other": ["192.168.101.0/24"]}
    plan = libvirt_subnet_plan([{"name": "lab"}], routes, existing, ["192.168.100.0/22"], ["192.168.102.0/25"])
    assert plan["lab"]["cidr"] == "192.168.103.0/24"


def test_auto_keeps_the_subnet_of_its_existing_definition() -> None:
    """The re-run case: the network exists, its own route and definition are no clash."""
    routes = [*CONTAINER_ROUTES, {**LABFORGE_ROUTE, "dst": "192.168.105.0/24"}]
    plan = libvirt_subnet_plan([{"name": "labforge"}], routes, {"labforge": ["192.168.105.0/24"]})
    assert (plan["labforge"]["cidr"], plan["labforge"]["origin"]) == ("192.168.105.0/24", "kept")


def test_auto_moves_when_its_old_subnet_is_taken_now() -> None:
    routes = [*CONTAINER_ROUTES, {"dst": "192.168.105.0/24", "dev": "tun0"}]
    plan = libvirt_subnet_plan([{"name": "labforge"}], routes, {"labforge": ["192.168.105.0/24"]})
    assert (plan["labforge"]["cidr"], plan["labforge"]["origin"]) == ("192.168.100.0/24", "picked")


def test_explicit_subnet_is_given_and_its_own_route_is_no_clash() -> None:
    plan = libvirt_subnet_plan(
        [{"name": "labforge", "subnet": "192.168.100.0/24"}],
        [*CONTAINER_ROUTES, LABFORGE_ROUTE],
        {"labforge": ["192.168.100.0/24"]},
    )
    assert (plan["labforge"]["cidr"], plan["labforge"]["origin"]) == ("192.168.100.0/24", "given")


def test_explicit_subnets_are_placed_before_automatic_ones() -> None:
    plan = libvirt_subnet_plan([{"name": "a"}, {"name": "b", "subnet": "192.168.100.0/24"}], [])
    assert (plan["a"]["cidr"], plan["b"]["cidr"]) == ("192.168.101.0/24", "192.168.100.0/24")
    assert list(plan) == ["a", "b"]


def test_small_subnet_and_custom_bridge() -> None:
    plan = libvirt_subnet_plan([{"name": "p2p", "subnet": "10.9.9.8/30", "bridge": "br-p2p", "dhcp": False}])
    assert plan["p2p"] == {
        "name": "p2p",
        "subnet": "10.9.9.8/30",
        "dhcp": False,
        "bridge": "br-p2p",
        "cidr": "10.9.9.8/30",
        "prefix": 30,
        "netmask": "255.255.255.252",
        "gateway": "10.9.9.9",
        "dhcp_start": "10.9.9.10",
        "dhcp_end": "10.9.9.10",
        "origin": "given",
    }


def test_default_bridge_is_cut_to_15_characters() -> None:
    plan = libvirt_subnet_plan([{"name": "a-very-long-network-name"}])
    assert plan["a-very-long-network-name"]["bridge"] == "virbr-a-very-lo"


@pytest.mark.parametrize(
    ("networks", "routes", "existing", "message"),
    [
        (
            [{"name": "lab", "subnet": "172.17.5.0/24"}],
            CONTAINER_ROUTES,
            None,
            r"hypervisor_networks\[0\] \('lab'\)\.subnet '172\.17\.5\.0/24' overlaps the host route 172\.17\.0\.0/16 "
            r"\(dev eth0\); choose a free subnet or 'auto'",
        ),
        (
            [{"name": "clash", "subnet": "192.168.100.128/25"}],
            [LABFORGE_ROUTE],
            {"labforge": ["192.168.100.0/24"]},
            r"\('clash'\)\.subnet '192\.168\.100\.128/25' overlaps the host route 192\.168\.100\.0/24 "
            r"\(dev virbr-labforge\), libvirt network 'labforge' \(192\.168\.100\.0/24\)",
        ),
        (
            [{"name": "a", "subnet": "10.0.0.0/16"}, {"name": "b", "subnet": "10.0.3.0/24"}],
            [],
            None,
            r"hypervisor_networks\[1\] \('b'\)\.subnet '10\.0\.3\.0/24' overlaps hypervisor_networks\[0\] \('a'\) "
            r"\(10\.0\.0\.0/16\)",
        ),
        ([{"name": "a", "subnet": "10.0.0.1/24"}], [], None, r"has host bits set; did you mean '10\.0\.0\.0/24'\?"),
        ([{"name": "a", "subnet": "10.0.0.0/31"}], [], None, r"accepted: 'auto' or an IPv4 network"),
        ([{"name": "a", "subnet": "fd00::/64"}], [], None, r"is IPv6"),
        ([{"name": "a", "subnet": 24}], [], None, r"must be an IPv4 network in CIDR notation, got 24 \(integer\)"),
        ([{"name": "a"}, {"name": "a"}], [], None, r"hypervisor_networks\[1\] \('a'\): the name is also used by"),
        ([{"name": "bad name"}], [], None, r"hypervisor_networks\[0\]\.name is a string 'bad name'; accepted:"),
        ([{"name": "a", "bridge": "b" * 16}], [], None, r"\.bridge is a string 'bbbb"),
        ([{"name": "a", "bridge": "x"}, {"name": "b", "bridge": "x"}], [], None, r"bridge 'x' is also used by"),
        ("labforge", [], None, r"hypervisor_networks must be a list of networks, got a string"),
        ([{"name": "a"}], "ip route", None, r"routes must be the list printed by 'ip -j route'"),
        ([{"name": "a"}], [], ["10.0.0.0/8"], r"existing must map libvirt network names to lists of CIDRs"),
    ],
)
def test_errors_name_the_network_the_value_and_the_clash(
    networks: object, routes: object, existing: object, message: str
) -> None:
    with pytest.raises(LabforgeFilterError, match=message):
        libvirt_subnet_plan(networks, routes, existing)


def test_no_free_subnet_left() -> None:
    with pytest.raises(LabforgeFilterError, match=r"'auto' but no free /24 is left in 10\.0\.0\.0/23"):
        libvirt_subnet_plan([{"name": "a"}, {"name": "b"}, {"name": "c"}], [], None, ["10.0.0.0/23"])


def test_variable_and_prefix_arguments() -> None:
    with pytest.raises(LabforgeFilterError, match=r"^my_nets\[0\]"):
        libvirt_subnet_plan([{"name": "a", "subnet": "10.0.0.1/8"}], variable="my_nets")
    with pytest.raises(LabforgeFilterError, match=r"prefix must be an integer from 8 to 30, got True \(boolean\)"):
        libvirt_subnet_plan([], prefix=True)
    assert libvirt_subnet_plan([{"name": "a"}], candidates=["10.8.0.0/16"], prefix=28)["a"]["cidr"] == "10.8.0.0/28"


subnets = st.builds(
    lambda third, size: str(ipaddress.ip_network(f"192.168.{third}.0/{size}", strict=False)),
    st.integers(0, 255),
    st.integers(16, 26),
)


@given(
    used=st.lists(subnets, max_size=12),
    count=st.integers(1, 6),
)
def test_planned_subnets_never_overlap_anything(used: list[str], count: int) -> None:
    routes = [{"dst": cidr, "dev": f"eth{index}"} for index, cidr in enumerate(used)]
    try:
        plan = libvirt_subnet_plan([{"name": f"n{i}"} for i in range(count)], routes, None, ["192.168.0.0/16"])
    except LabforgeFilterError as exc:
        assert "no free /24" in str(exc)
        return
    nets = [ipaddress.ip_network(entry["cidr"]) for entry in plan.values()]
    for index, net in enumerate(nets):
        assert not any(net.overlaps(ipaddress.ip_network(cidr)) for cidr in used)
        assert not any(net.overlaps(other) for other in nets[index + 1 :])


def test_default_candidates_run_from_100_to_111() -> None:
    plan = libvirt_subnet_plan([{"name": f"n{i}"} for i in range(12)])
    assert [entry["cidr"] for entry in plan.values()] == [f"192.168.{third}.0/24" for third in range(100, 112)]
    with pytest.raises(LabforgeFilterError, match=r"candidates\[0\] '10\.0\.0\.1/16' has host bits set"):
        libvirt_subnet_plan([{"name": "a"}], candidates=["10.0.0.1/16"])


def test_the_pools_variables_are_named_when_given():
    from labforge_filters.network import libvirt_subnet_plan

    names = {"candidates": "hypervisor_subnet_candidates", "reserved": "hypervisor_reserved_subnets",
             "prefix": "hypervisor_subnet_prefix"}
    with pytest.raises(LabforgeFilterError, match=r"^hypervisor_subnet_candidates\[0\] '300.0.0.0/22'"):
        libvirt_subnet_plan([], None, None, ["300.0.0.0/22"], None, 24, "hypervisor_networks", names)
    with pytest.raises(LabforgeFilterError, match=r"^hypervisor_reserved_subnets\[0\]"):
        libvirt_subnet_plan([], None, None, ["10.0.0.0/16"], ["nope"], 24, "hypervisor_networks", names)
    with pytest.raises(LabforgeFilterError, match=r"^hypervisor_subnet_prefix must be an integer"):
        libvirt_subnet_plan([], None, None, ["10.0.0.0/16"], None, 99, "hypervisor_networks", names)
