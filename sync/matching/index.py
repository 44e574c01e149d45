"""Hash indexes and disjoint sets the matching rules share."""

from __future__ import annotations


class UnionFind:
    """Disjoint sets over ints, created on first use; iteration order is first-use order."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        """The root of ``x``'s set (adding ``x`` alone if new), halving the path on the way."""
        parent = self.parent
        root = parent.setdefault(x, x)
        while root != parent[root]:
            parent[root] = parent[parent[root]]
            root = parent[root]
        return root

    def union(self, a: int, b: int) -> None:
        """Merge the sets of ``a`` and ``b``."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def groups(self) -> list[list[int]]:
        """Every set's members, in first-use order."""
        members: dict[int, list[int]] = {}
        for node in self.parent:
            members.setdefault(self.find(node), []).append(node)
        return list(members.values())


def add_to_index(index: dict[str, list[int]], key: str, x: int) -> None:
    """Append ``x`` under ``key`` (cheaper than ``setdefault``, which builds a list each call)."""
    holders = index.get(key)
    if holders is None:
        index[key] = [x]
    else:
        holders.append(x)


def add_holder(index: dict[str, int | list[int]], key: str, x: int) -> None:
    """Like ``add_to_index``, but a key's only holder is kept as the bare int, not a list: most
    emails have one holder, and at a million records a side the one-element lists were 60 MB
    of the planning peak. Read back with ``holders``."""
    held = index.get(key)
    if held is None:
        index[key] = x
    elif type(held) is int:
        index[key] = [held, x]
    else:
        held.append(x)


def holders(index: dict[str, int | list[int]], key: str) -> list[int]:
    """The holders of ``key`` in an index built by ``add_holder``, in order."""
    held = index[key]
    return [held] if type(held) is int else held


def name_index(keys_list, members, among=None) -> tuple[dict, dict]:
    """Person and company name keys (apart: a person never links to a company record)."""
    index: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
    for x in members:
        keys = keys_list[x]
        if keys.name_key and (among is None or keys.name_key in among[keys.is_company]):
            add_to_index(index[keys.is_company], keys.name_key, x)
    return index


def overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two keys' ``emails`` (or ``phones``) share a value."""
    return any(x in b for x in a)


def shared_keys(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """The values two keys' ``emails`` (or ``phones``) share, sorted."""
    return tuple(x for x in a if x in b)
