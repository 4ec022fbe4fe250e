"""Stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip.py from its own file host to put pip into the venvs it makes for
sanity tests; that host is not reachable from our build machines, while PyPI is. ansible-test
looks for a cached copy first, so tools/sanity installs this file there: it seeds pip with the
interpreter's own ensurepip, then installs the exact packages ansible-test asked for from PyPI.
"""

import subprocess
import sys

# ansible-test passes pip options, pinned packages and --no-setuptools/--no-wheel (get-pip flags).
GET_PIP_ONLY_FLAGS = ("--no-setuptools", "--no-wheel")

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
pip_args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *pip_args])
