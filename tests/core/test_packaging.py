"""Every package on disk is in setup.cfg, so a wheel install has all of it."""
from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_setup_cfg_lists_every_package():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    listed = set(parser["options"]["packages"].split())
    mapping = dict(line.split(" = ") for line in parser["options"]["package_dir"].strip().splitlines())
    on_disk = set()
    for top, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "node_modules" in init.parts:
                continue
            relative = init.parent.relative_to(ROOT / folder)
            on_disk.add(".".join((top, *relative.parts)))
    assert on_disk - listed == set(), "add these to packages = in setup.cfg"


def test_the_wheel_leaves_out_test_doubles_and_demo_props(tmp_path):
    """What setuptools puts in the wheel (its build_py step): the bridge, but not the Jenkins simulator or demo."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py", "-d",
                    str(tmp_path)], cwd=ROOT, check=True, capture_output=True)
    shipped = {path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*.py")}
    assert "wyzepal_jenkins/step/cli.py" in shipped and "wyzepal_jenkins/watch/cli.py" in shipped
    doubles = sorted(path for path in shipped if path.startswith("devtools/") or "simulator" in path
                     or path == "wyzepal_jenkins/demo.py")
    assert doubles == []
