"""The Jenkins REST API through python-jenkins, with its errors wrapped in ours.

Every call is one HTTP request (plus python-jenkins' one-off crumb fetch before
the first POST); the watcher's cost per poll is counted in these calls.

Jobs, builds, test reports and queue items are read with ``get_info``:
python-jenkins' own ``get_build_info`` and friends report a 502/503 from a proxy
or a restarting Jenkins as "does not exist", and a build mistaken for deleted
would never be announced. ``get_info`` keeps 404 (NotFound) apart from 5xx
(JenkinsUnavailable: try again later).
"""
from __future__ import annotations

import functools
import json
from typing import Any, Callable, Mapping, Optional, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import jenkins
import requests

from .errors import JenkinsError, JenkinsRefused, JenkinsRejected, JenkinsUnavailable, NotFound

T = TypeVar("T")
BUILD_HISTORY_TREE = "builds[number,result,timestamp,duration,building]{0,%d}"


def _translated(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(self: JenkinsAPI, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except JenkinsError:
            raise
        except jenkins.NotFoundException:
            raise NotFound(f"{self.shown_url}: {method.__name__}{args!r} does not exist") from None
        except jenkins.TimeoutException:
            raise JenkinsUnavailable(f"{self.shown_url} did not answer within {self.timeout} s") from None
        except jenkins.JenkinsException as exc:
            raise self._explain(str(exc), method.__name__, args) from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if 400 <= status < 500:  # 401, 403 and 404 python-jenkins turned into its own errors already
                said = _first_line(exc.response.text if exc.response is not None else "")
                raise JenkinsRejected(f"{self.shown_url} refused {method.__name__}: HTTP {status}"
                                      + (f" ({said})" if said else ""), status, said) from None
            raise JenkinsUnavailable(f"{self.shown_url} answered HTTP {status}") from None
        except (requests.RequestException, OSError):
            raise JenkinsUnavailable(f"{self.shown_url} could not be reached (connection failed)") from None
        except ValueError:
            raise JenkinsUnavailable(f"{self.shown_url} sent an answer that is not JSON; is it Jenkins?") from None
    return wrapper


class JenkinsAPI:
    """One Jenkins controller as one user (API token), or anonymously."""

    def __init__(self, url: str, user: Optional[str] = None, token: Optional[str] = None, *,
                 timeout: float = 10.0, retries: int = 0) -> None:
        self.url = url if url.endswith("/") else url + "/"
        #: The address for messages: ``https://user:token@host/`` would put a secret in logs.
        self.shown_url = without_credentials(self.url)
        self.user = user
        self.timeout = timeout
        self.server = jenkins.Jenkins(self.url, username=user, password=token, timeout=timeout, retries=retries)

    def __repr__(self) -> str:
        return f"JenkinsAPI({self.shown_url!r}, user={self.user!r})"

    def _explain(self, text: str, call: str, args: tuple) -> JenkinsError:
        if "does not exist" in text:
            return NotFound(f"{self.shown_url}: {text.replace(self.url, self.shown_url)}")
        if "[401]" in text:
            return JenkinsRefused(f"{self.shown_url} rejected the API token of {self.user or 'anonymous'}; "
                                  "check JENKINS_USER and JENKINS_API_TOKEN")
        if "[403]" in text:
            return JenkinsRefused(f"{self.shown_url} refused {call} to {self.user or 'anonymous'} "
                                  "(missing permission, or no credentials given)")
        if "[500]" in text or "communicating" in text:
            return JenkinsUnavailable(f"{self.shown_url} failed to answer {call}")
        return JenkinsError(f"{self.shown_url}: {text.splitlines()[0].replace(self.url, self.shown_url)}")

    # -- reading ---------------------------------------------------------------

    @_translated
    def whoami(self) -> dict[str, Any]:
        return self.server.get_whoami()

    @_translated
    def version(self) -> str:
        return self.server.get_version()

    @_translated
    def jobs(self, fields: str = "", levels_per_request: int = 10) -> list[dict[str, Any]]:
        """Every job with ``fields`` (a ``tree`` fragment), folders walked; each gets ``fullname``."""
        query = "?tree=" + _jobs_tree(fields, levels_per_request)
        found: list[dict[str, Any]] = []
        pending: list[tuple[list[str], list[dict[str, Any]]]] = [([], self._info("", query)["jobs"])]
        while pending:
            path, entries = pending.pop(0)
            for entry in entries:
                full = path + [entry["name"]]
                if "jobs" not in entry:
                    found.append({**entry, "fullname": "/".join(full)})
                    continue
                children = entry["jobs"]
                if any("url" not in child for child in children):
                    children = self._info(item_path("/".join(full)), query)["jobs"]
                pending.append((full, children))
        return found

    def _info(self, item: str, query: str) -> dict[str, Any]:
        return self.server.get_info(item, query=query)

    @_translated
    def job(self, name: str) -> dict[str, Any]:
        return self._info(item_path(name), "?depth=0")

    @_translated
    def history(self, name: str, limit: int = 50) -> list[dict[str, Any]]:
        """The job's latest ``limit`` builds, newest first: number, result, timestamp, duration, building."""
        return self._info(item_path(name), "?tree=" + BUILD_HISTORY_TREE % limit).get("builds") or []

    @_translated
    def build(self, name: str, number: int) -> dict[str, Any]:
        return self._info(f"{item_path(name)}/{int(number)}", "?depth=0")

    @_translated
    def test_report(self, name: str, number: int) -> Optional[dict[str, Any]]:
        """The build's test report; NotFound when it has none."""
        return self._info(f"{item_path(name)}/{int(number)}/testReport", "?depth=0")

    @_translated
    def queue(self) -> list[dict[str, Any]]:
        return self.server.get_queue_info()

    @_translated
    def queue_item(self, item_id: int) -> dict[str, Any]:
        return self._info(f"queue/item/{int(item_id)}", "?depth=0")

    @_translated
    def stages(self, name: str, number: int) -> dict[str, Any]:
        """The pipeline's stages and their status (pipeline-rest-api's ``wfapi/describe``)."""
        return self._json("GET", f"{item_url_path(name)}/{int(number)}/wfapi/describe")

    @_translated
    def pending_inputs(self, name: str, number: int) -> list[dict[str, Any]]:
        """The ``input`` steps the build waits at (``wfapi/pendingInputActions``): id, message, inputs."""
        return self._json("GET", f"{item_url_path(name)}/{int(number)}/wfapi/pendingInputActions") or []

    @_translated
    def input_submitters(self, name: str, number: int) -> dict[str, Optional[str]]:
        """Input id to its ``submitter`` setting (None: anyone who may build), from the run's ``input`` action."""
        tree = "executions[id,settled,input[id,submitter]]"
        data = self._info(f"{item_path(name)}/{int(number)}/input", f"?tree={tree}")
        return {str(entry["input"]["id"]): entry["input"].get("submitter")
                for entry in data.get("executions") or [] if isinstance(entry.get("input"), Mapping)}

    @_translated
    def log_tail(self, name: str, number: int, max_bytes: int = 65536) -> str:
        """The end of the console log, without downloading all of it.

        ``logText/progressiveText`` with a ``start`` past the end answers nothing
        but the log's size (``X-Text-Size``); a second request reads the tail.
        """
        path = f"{item_url_path(name)}/{int(number)}/logText/progressiveText"
        size = int(self._raw("GET", f"{path}?start={2 ** 62}").headers.get("X-Text-Size") or 0)
        tail = self._raw("GET", f"{path}?start={max(0, size - max_bytes)}")
        tail.encoding = tail.encoding or "utf-8"
        return tail.text

    # -- acting ----------------------------------------------------------------

    @_translated
    def start(self, name: str, parameters: Optional[dict[str, str]] = None) -> int:
        """Queue a build; returns the queue item id.

        ``parameters`` None: a job without parameters (``/build``). A parameterized
        job must get its values through ``buildWithParameters`` (Jenkins answers
        ``/build`` with 400), so pass its defaults filled in: see ``parameter_defaults``.
        """
        if parameters is not None and not parameters:
            raise ValueError("a parameterized build needs its values (the job's defaults at least)")
        return self.server.build_job(name, parameters)

    @_translated
    def stop(self, name: str, number: int) -> None:
        """Abort a running build (``/stop``, as the build page's red X)."""
        self._raw("POST", f"{item_url_path(name)}/{int(number)}/stop")

    @_translated
    def set_description(self, name: str, number: int, text: str) -> None:
        """Write the build's description (``submitDescription``), e.g. who acted on it from chat."""
        self._raw("POST", f"{item_url_path(name)}/{int(number)}/submitDescription", data={"description": text})

    @_translated
    def proceed_input(self, name: str, number: int, input_id: str, values: Optional[Mapping[str, str]] = None,
                      ok: str = "Proceed") -> None:
        """Answer an ``input`` step: ``proceedEmpty`` without parameters, else ``submit`` (``json``, ``proceed``)."""
        base = f"{item_url_path(name)}/{int(number)}/input/{quote(input_id, safe='')}"
        if not values:
            self._raw("POST", f"{base}/proceedEmpty")
            return
        form = {"json": json.dumps({"parameter": [{"name": k, "value": v} for k, v in values.items()]}),
                "proceed": ok}
        self._raw("POST", f"{base}/submit", data=form)

    @_translated
    def abort_input(self, name: str, number: int, input_id: str) -> None:
        self._raw("POST", f"{item_url_path(name)}/{int(number)}/input/{quote(input_id, safe='')}/abort")

    # -- plain requests (what python-jenkins has no call for) -------------------

    def _raw(self, method: str, path: str, data: Optional[Mapping[str, str]] = None) -> requests.Response:
        request = requests.Request(method, self.url + path, data=dict(data) if data else None)
        return self.server.jenkins_request(request, add_crumb=method == "POST")

    def _json(self, method: str, path: str) -> Any:
        return self._raw(method, path).json()


def item_path(full_name: str) -> str:
    """``team/app`` is ``job/team/job/app`` in Jenkins URLs (python-jenkins' ``get_info`` encodes it)."""
    return "/".join(f"job/{part}" for part in full_name.split("/"))


def item_url_path(full_name: str) -> str:
    """:func:`item_path` encoded for a URL: the branch item ``feature%2Flogin`` is ``feature%252Flogin``."""
    return "/".join(f"job/{quote(part, safe='')}" for part in full_name.split("/"))


def display_name(full_name: str) -> str:
    """The full name as people read it: ``team/app/feature%2Flogin`` is ``team/app/feature/login``."""
    return "/".join(unquote(part) for part in full_name.split("/"))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("<"):
            return line[:200]
    return ""


def _jobs_tree(fields: str, levels: int) -> str:
    own = "name,url,color" + (f",{fields}" if fields else "")
    query = "jobs"
    for _ in range(max(1, levels)):
        query = f"jobs[{own},{query}]"
    return query


def without_credentials(url: str) -> str:
    """``https://user:token@host/`` as ``https://host/``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
