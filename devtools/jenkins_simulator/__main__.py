"""``python -m devtools.jenkins_simulator``: a sample Jenkins on loopback, for a look with curl or python-jenkins."""
from __future__ import annotations

import argparse
import threading

from .executor import Executor
from .sample import sample_jenkins
from .server import JenkinsSimulator


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.jenkins_simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--token", default="demo-token-0123456789abcdef", help="API token of the user admin")
    args = parser.parse_args()
    simulator = JenkinsSimulator(sample_jenkins(args.token), port=args.port).start()
    executor = Executor(simulator.jenkins).start()
    print(f"Jenkins simulator at {simulator.url} (user admin, API token {args.token}); Ctrl-C stops")
    print(f"  curl -g -u admin:{args.token} '{simulator.url}api/json?tree=jobs[name,color,jobs[name,color]]'")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        executor.stop()
        simulator.stop()


if __name__ == "__main__":
    main()
