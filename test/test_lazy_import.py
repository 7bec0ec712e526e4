"""``import kenar_api_client`` stays cheap, and every public name still resolves on first use.

The import-state checks run in fresh interpreters: this test process has long since
loaded the models, so only a new one can show what the bare import loads.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import pytest

import kenar_api_client
from kenar_api_client import models as models_package

api_package = importlib.import_module("kenar_api_client.api")

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("kenar_api_client", "kenar_api_client.models", "kenar_api_client.api")
BASE_CLASSES = {"KenarModel", "KenarEnum"}


def run_fresh(code: str, timeout: float = 120) -> Any:
    """Run ``code`` in a new interpreter (the repository first on the path); return what it printed, as JSON."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=str(REPO),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"the child failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def _is_generated_or_pydantic(name: str) -> bool:
    return name in ("kenar_api_client.models", "kenar_api_client.api", "pydantic", "pydantic_core") or name.startswith(
        ("kenar_api_client.models.", "kenar_api_client.api.", "pydantic.", "pydantic_core.")
    )


# ---------------------------------------------------------------- what the bare import loads


def test_import_loads_no_model_no_api_module_and_no_pydantic() -> None:
    loaded = run_fresh(
        """
        import json, sys
        import kenar_api_client
        print(json.dumps(sorted(sys.modules)))
        """
    )
    assert "kenar_api_client" in loaded
    offending = [name for name in loaded if _is_generated_or_pydantic(name)]
    assert offending == [], f"import kenar_api_client loaded {offending}"


def test_dir_and_version_do_not_trigger_loading() -> None:
    result = run_fresh(
        """
        import json, sys
        import kenar_api_client
        listed = dir(kenar_api_client)
        version = kenar_api_client.__version__
        names = kenar_api_client.__all__
        print(json.dumps({"listed": listed, "all": names, "version": version, "modules": sorted(sys.modules)}))
        """
    )
    assert set(result["all"]) <= set(result["listed"])
    assert result["version"]
    assert [m for m in result["modules"] if _is_generated_or_pydantic(m)] == []


def test_first_use_loads_only_what_it_needs() -> None:
    loaded = run_fresh(
        """
        import json, sys
        import kenar_api_client
        kenar_api_client.FinderSearchPostItem
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("kenar_api_client."))))
        """
    )
    models = {m for m in loaded if m.startswith("kenar_api_client.models.")}
    # the item and the models its fields refer to, and nothing else
    assert "kenar_api_client.models.finder_search_post_item" in models
    assert "kenar_api_client.models.search_post_item_price" in models
    assert "kenar_api_client.models.finder_search_post_v2_response" not in models
    assert "kenar_api_client.models.post_submit_post_request" not in models
    assert len(models) < 10, sorted(models)
    assert not [m for m in loaded if m.startswith("kenar_api_client.api.")]


# ---------------------------------------------------------------- __all__: sorted, complete, resolving


@pytest.mark.parametrize("package_name", PACKAGES)
def test_all_is_sorted_without_duplicates_and_matches_the_export_table(package_name: str) -> None:
    package = importlib.import_module(package_name)
    names = package.__all__
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert set(names) == set(package._EXPORTS)


def test_all_lists_exactly_the_official_models_and_apis(
    official_names: Dict[str, Any], current_spec_doc: Dict[str, Any]
) -> None:
    official_models = {m["class"]: m["module"] for m in official_names["models"]}
    official_apis = {a["class"]: a["module"] for a in official_names["apis"]}

    # 0.291's classes, and the classes of the schemas the current spec added (nothing else)
    from codegen import compat

    current_classes = {s.class_name for s in compat.shapes_of(current_spec_doc).values() if s.is_model}
    assert set(models_package.__all__) - BASE_CLASSES == set(official_models) | current_classes
    assert set(api_package.__all__) == set(official_apis)
    for name, module in official_models.items():
        assert models_package._EXPORTS[name] == module, name
        assert kenar_api_client._EXPORTS[name] == module, name
    for name, module in official_apis.items():
        assert api_package._EXPORTS[name] == module, name
        assert kenar_api_client._EXPORTS[name] == module, name

    # the top level adds the runtime names (client, configuration, exceptions, ...) and nothing generated
    extra = set(kenar_api_client.__all__) - set(official_models) - set(official_apis) - current_classes
    for name in extra:
        module = kenar_api_client._EXPORTS[name]
        assert not module.startswith(("kenar_api_client.models", "kenar_api_client.api.")), (name, module)
    for name in ("ApiClient", "Configuration", "ApiException", "ApiResponse"):
        assert name in extra


def test_every_public_name_resolves_in_a_fresh_interpreter() -> None:
    problems: List[str] = run_fresh(
        """
        import importlib, json
        problems = []
        for package_name in ("kenar_api_client", "kenar_api_client.models", "kenar_api_client.api"):
            package = importlib.import_module(package_name)
            missing = sorted(set(package.__all__) - set(dir(package)))
            if missing:
                problems.append(f"{package_name}: dir() lacks {missing[:5]}")
            for name in package.__all__:
                try:
                    value = getattr(package, name)
                except Exception as error:
                    problems.append(f"{package_name}.{name}: {type(error).__name__}: {error}")
                    continue
                # a renamed schema's 0.291 name is the new class itself, exported under both names
                if getattr(value, "__name__", name) != name and getattr(package, value.__name__, None) is not value:
                    problems.append(f"{package_name}.{name} is {value!r}")
                if package_name != "kenar_api_client" and name not in ("KenarModel", "KenarEnum"):
                    import kenar_api_client
                    if getattr(kenar_api_client, name) is not value:
                        problems.append(f"kenar_api_client.{name} is not {package_name}.{name}")
        print(json.dumps(problems))
        """
    )
    assert problems == []


@pytest.mark.parametrize("package_name", PACKAGES)
def test_dir_lists_every_public_name(package_name: str) -> None:
    package = importlib.import_module(package_name)
    listed = dir(package)
    assert set(package.__all__) <= set(listed)
    assert listed == sorted(listed)


@pytest.mark.parametrize("package_name", PACKAGES)
def test_unknown_names_raise_attribute_error(package_name: str) -> None:
    package = importlib.import_module(package_name)
    with pytest.raises(AttributeError, match="NoSuchName"):
        package.NoSuchName  # noqa: B018
    assert not hasattr(package, "NoSuchName")


def test_star_import_brings_every_public_name() -> None:
    result = run_fresh(
        """
        import json
        out = {}
        for package_name in ("kenar_api_client", "kenar_api_client.models", "kenar_api_client.api"):
            namespace = {}
            exec(f"from {package_name} import *", namespace)
            package = __import__(package_name, fromlist=["__all__"])
            out[package_name] = {
                "missing": sorted(set(package.__all__) - set(namespace)),
                "same": all(namespace[name] is getattr(package, name) for name in package.__all__),
            }
        print(json.dumps(out))
        """
    )
    for package_name in PACKAGES:
        assert result[package_name] == {"missing": [], "same": True}, package_name


# ---------------------------------------------------------------- first use from many threads at once

_THREADED_FIRST_USE = """
import json, sys, threading
import kenar_api_client

sys.setswitchinterval(1e-6)  # switch threads as often as possible to widen any race window
THREADS = 16
barrier = threading.Barrier(THREADS)
results = [None] * THREADS
errors = []
PAYLOAD = json.dumps({"posts": [{
    "token": "gZ4Yk3Fq", "title": "آپارتمان ۸۵ متری", "category": "apartment-sell", "city": "tehran",
    "last_modified_at": "2025-03-01T08:00:00Z", "price": {"mode": "FIXED", "value": "12500000000"},
    "real_estate_fields": {"size": 85, "rooms": "دو", "has_elevator": True,
                           "credit": {"mode": "FIXED", "value": "1000000000"}},
    "vehicles_fields": {"usage": "85000"}, "jobs_fields": {}, "a_field_from_a_newer_api": [1, 2],
}]}, ensure_ascii=False).encode()


def resolve(i):
    way = i % 4
    if way == 0:
        return kenar_api_client.FinderSearchPostV2Response
    if way == 1:
        from kenar_api_client.models import FinderSearchPostV2Response
        return FinderSearchPostV2Response
    if way == 2:
        import kenar_api_client.models as models
        return getattr(models, "FinderSearchPostV2Response")
    from kenar_api_client.models.finder_search_post_v2_response import FinderSearchPostV2Response
    return FinderSearchPostV2Response


def worker(i):
    try:
        barrier.wait()
        cls = resolve(i)
        answer = cls.model_validate_json(PAYLOAD)
        post = answer.posts[0]
        other = kenar_api_client.EventsRegisterEventSubscriptionRequest.model_validate({"event_type": "A_TYPE_FROM_LATER"})
        api = kenar_api_client.FinderApi if i % 2 else kenar_api_client.EventsApi
        results[i] = [
            id(cls), id(type(post)), id(type(post.price)), post.real_estate_fields.credit.value,
            post.model_extra.get("a_field_from_a_newer_api"), other.event_type.value, api.__name__,
            answer.to_dict() == cls.from_json(answer.to_json()).to_dict(),
        ]
    except BaseException as error:
        import traceback
        errors.append(f"thread {i}: {traceback.format_exc()}")


threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(60)
print(json.dumps({"errors": errors, "results": results, "alive": sum(t.is_alive() for t in threads)}))
"""


@pytest.mark.parametrize("attempt", range(3))
def test_first_use_of_a_model_from_16_threads_at_once(attempt: int) -> None:
    outcome = run_fresh(_THREADED_FIRST_USE)
    assert outcome["alive"] == 0, "a thread hung (import deadlock?)"
    assert outcome["errors"] == [], "\n".join(outcome["errors"])
    results = outcome["results"]
    assert all(r is not None for r in results)
    # every thread saw the same classes and decoded the same values
    assert len({r[0] for r in results}) == 1 and len({r[1] for r in results}) == 1 and len({r[2] for r in results}) == 1
    for r in results:
        assert r[3:7] == ["1000000000", [1, 2], "A_TYPE_FROM_LATER", r[6]]
        assert r[6] in ("FinderApi", "EventsApi")
        assert r[7] is True
