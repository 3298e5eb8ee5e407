"""Refresh the intersphinx snapshots from the live sites (needs the network).

Run ``python docs/_intersphinx/update.py [name ...]`` from the repository root;
with no name every site in ``docs/conf.py``'s ``INTERSPHINX_SITES`` is fetched.
A site that cannot be reached keeps its old snapshot.
"""

import ast
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent
MAGIC = b"# Sphinx inventory version 2"


def sites() -> dict[str, str]:
    """``INTERSPHINX_SITES`` as written in conf.py, read without importing it."""
    tree = ast.parse((HERE.parent / "conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "INTERSPHINX_SITES" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError("INTERSPHINX_SITES not found in docs/conf.py")


def main(names: list[str]) -> int:
    known = sites()
    failed = 0
    for name in names or sorted(known):
        url = f"{known[name]}/objects.inv"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                data = response.read()
        except OSError as exc:
            print(f"{name}: {url} not fetched ({exc}); snapshot kept")
            failed += 1
            continue
        if not data.startswith(MAGIC):
            print(f"{name}: {url} is not a Sphinx inventory; snapshot kept")
            failed += 1
            continue
        (HERE / f"{name}.inv").write_bytes(data)
        print(f"{name}: {len(data)} bytes from {url}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
