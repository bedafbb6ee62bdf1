"""Generated clients through the conformance catalog: a generator x case table.

Each client is generated as its interop row generates it (`targets.py`), and driven by its adapter, a
program in tests/sim/adapters/ (the command-adapter protocol of hidream_sim.conformance) that adds only
the glue every user of that client writes (a poll loop with the status rule, a download without the
token). What the table shows is what each generator's client does against each server behaviour.

    python -m hidream_contract.interop.conformance [--group G] [--report PATH] [KEY...]

Exit 1 when a client fails a lifecycle case (every generated client must get the plain task right) or
its build failed; a client whose toolchain this machine lacks (go, java) is named under the table, not
built. The other rows show what each client lacks, and that is the table's point.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hidream_contract.interop.matrix import select
from hidream_contract.interop.targets import (
    CACHE,
    DRIVERS,
    GO_ENV,
    MAVEN,
    NODE_BIN,
    StepError,
    _lock_with_client_version,
    generate_batch,
    run,
)
from hidream_contract.openapi30 import RENDITION_PATH
from hidream_contract.project import BUILD, REPORTS, ROOT, SCRIPTS, TESTS
from hidream_contract.spec import SPEC_PATH
from hidream_sim import conformance

ADAPTERS = TESTS / "sim" / "adapters"
OUT = BUILD / "interop-conformance"


def _oapi_codegen(out: Path) -> list[str]:
    (target,) = select(["oapi-codegen"])
    log = out / "log.txt"
    target.generate(RENDITION_PATH, out, log)
    work = out / "adapter"
    (work / "client").mkdir(parents=True)
    # The interop row's module: its go.mod and go.sum pin the one module the client imports.
    for name in ("go.mod", "go.sum"):
        shutil.copy(DRIVERS / "oapi-codegen" / name, work / name)
    shutil.copy(out / "client" / "client.gen.go", work / "client" / "client.gen.go")
    shutil.copy(ADAPTERS / "oapi_codegen.go", work / "main.go")
    shutil.copy(ADAPTERS / "go_glue.go", work / "glue.go")  # the glue both Go adapters share
    run(
        ["go", "build", "-o", out / "adapter-bin", "."],
        cwd=work,
        log=log,
        env={**GO_ENV, "GOFLAGS": "-mod=readonly"},
    )
    return [str(out / "adapter-bin")]


def _openapi_generator(key: str, out: Path) -> Path:
    (target,) = select([key])
    (out / target.key).mkdir(parents=True, exist_ok=True)
    generate_batch([target], SPEC_PATH, out, out / "log.txt")
    return out / target.key / "client"


def _og_go(out: Path) -> list[str]:
    (target,) = select(["og-go"])
    client = _openapi_generator("og-go", out)
    work = out / "adapter"
    work.mkdir()
    shutil.copy(ADAPTERS / "og_go.go", work / "main.go")
    shutil.copy(ADAPTERS / "go_glue.go", work / "glue.go")  # the glue both Go adapters share
    module = target.go_module()
    go_mod = f"module adapter\n\ngo 1.19\n\nrequire {module} v0.0.0\n\nreplace {module} => {client}\n"
    (work / "go.mod").write_text(go_mod, encoding="utf-8")
    # As the interop row: the client needs the standard library only, nothing is fetched.
    env = {**GO_ENV, "GOFLAGS": "-mod=mod", "GOPROXY": "off"}
    run(["go", "build", "-o", out / "adapter-bin", "."], cwd=work, log=out / "log.txt", env=env)
    return [str(out / "adapter-bin")]


def _og_python(out: Path) -> list[str]:
    client = _openapi_generator("og-python", out)
    return [sys.executable, str(ADAPTERS / "python_generated.py"), "og-python", str(client)]


def _openapi_python_client(out: Path) -> list[str]:
    return [sys.executable, str(ADAPTERS / "python_generated.py"), "openapi-python-client"]


def _typescript_fetch(out: Path) -> list[str]:
    # scripts/conformance builds the client and its adapter (tests/sim/adapters/typescript_fetch.ts).
    env = {**os.environ, "TS_FETCH_OUT": str(out)}
    run([SCRIPTS / "conformance", "--build-ts"], cwd=SCRIPTS.parent, log=out / "log.txt", env=env)
    return ["node", str(out / "conformance" / "js" / "conformance" / "adapter.js")]


def _typescript_axios(out: Path) -> list[str]:
    client = _openapi_generator("og-typescript-axios", out)
    work = client.parent / "adapter"
    work.mkdir()
    shutil.copy(ADAPTERS / "typescript_axios.ts", work / "adapter.ts")
    # tsc and node find axios by walking up from the file, as the interop row's driver does; tsc finds
    # @types/node (--types) under the folder it runs in: the same node_modules.
    (client.parent / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    flags = ["--strict", "--target", "es2022", "--module", "commonjs", "--moduleResolution", "node10"]
    flags += ["--lib", "es2022,dom", "--types", "node", "--skipLibCheck"]
    js = client.parent / "js"
    run(
        [NODE_BIN / "tsc", *flags, "--outDir", js, "--rootDir", client.parent, work / "adapter.ts"],
        cwd=client.parent,
        log=out / "log.txt",
    )
    return ["node", str(js / "adapter" / "adapter.js")]


def _og_php(out: Path) -> list[str]:
    client = _openapi_generator("og-php", out)
    run(["php", "-l", ADAPTERS / "og_php.php"], cwd=out, log=out / "log.txt")
    return ["php", str(ADAPTERS / "og_php.php"), str(client)]


def _og_java(out: Path) -> list[str]:
    client = _openapi_generator("og-java", out)
    log = out / "log.txt"
    # The interop row's libraries (its pom.xml: the versions the generated pom names, Maven Central).
    jars = out / "jars"
    pom = DRIVERS / "og-java" / "pom.xml"
    run([*MAVEN, "-f", pom, "dependency:copy-dependencies", f"-DoutputDirectory={jars}"], cwd=out, log=log)
    classpath = os.pathsep.join(sorted(str(jar) for jar in jars.glob("*.jar")))
    sources = sorted(str(path) for path in (client / "src" / "main" / "java").rglob("*.java"))
    classes = out / "classes"
    javac: list[str | Path] = ["javac", "-nowarn", "-encoding", "UTF-8", "-cp", classpath, "-d", classes]
    run([*javac, *sources, ADAPTERS / "og_java.java"], cwd=out, log=log)
    return ["java", "-cp", os.pathsep.join([str(classes), classpath]), "Adapter"]


def _og_kotlin(out: Path) -> list[str]:
    client = _openapi_generator("og-kotlin", out)
    work = out / "adapter"
    work.mkdir()
    shutil.copy(ADAPTERS / "og_kotlin.kt", work / "og_kotlin.kt")
    # As the interop row: Maven compiles the client's sources and the adapter with the kotlin-maven-plugin
    # and the libraries the generated build.gradle names (its pom.xml; Gradle is not reachable).
    properties = [f"-Dout.dir={out}", f"-Dclient.dir={client}", f"-Ddriver.dir={work}"]
    pom = DRIVERS / "og-kotlin" / "pom.xml"
    run(
        [*MAVEN, "-f", pom, *properties, "package", "dependency:copy-dependencies"],
        cwd=out,
        log=out / "log.txt",
    )
    target = out / "target"
    jars = sorted(str(jar) for jar in (target / "jars").glob("*.jar"))
    return ["java", "-cp", os.pathsep.join([str(target / "classes"), *jars]), "Og_kotlinKt"]


def _og_rust(out: Path) -> list[str]:
    client = _openapi_generator("og-rust", out)
    row = DRIVERS / "og-rust"
    work = client.parent / "adapter"
    (work / "src").mkdir(parents=True)
    # The interop row's crate (its Cargo.toml and Cargo.lock, --locked, crates.io) with this main.rs; the
    # target folder is the row's, kept between runs, so reqwest and tokio are compiled once.
    shutil.copy(row / "Cargo.toml", work / "Cargo.toml")
    lock = _lock_with_client_version(row / "Cargo.lock", client / "Cargo.toml")
    (work / "Cargo.lock").write_text(lock, encoding="utf-8")
    shutil.copy(ADAPTERS / "og_rust.rs", work / "src" / "main.rs")
    target = CACHE / "cargo-target"
    env = {"CARGO_TARGET_DIR": str(target)}
    run(["cargo", "build", "--locked", "--quiet"], cwd=work, log=out / "log.txt", env=env)
    # The binary is the row's name (interop-driver): copied out before the row builds its own.
    shutil.copy(target / "debug" / "interop-driver", out / "adapter-bin")
    return [str(out / "adapter-bin")]


BUILDERS: dict[str, Callable[[Path], list[str]]] = {
    "openapi-python-client": _openapi_python_client,
    "og-python": _og_python,
    "og-typescript-fetch": _typescript_fetch,
    "og-typescript-axios": _typescript_axios,
    "og-go": _og_go,
    "oapi-codegen": _oapi_codegen,
    "og-php": _og_php,
    "og-java": _og_java,
    "og-kotlin": _og_kotlin,
    "og-rust": _og_rust,
}
"""The interop rows that have a conformance adapter, with how each is built; the others have none yet."""


def build(key: str, out: Path = OUT) -> list[str]:
    """Generate `key`'s client and build its adapter under out/<key>; the adapter's argv."""
    if key not in BUILDERS:
        raise ValueError(f"no conformance adapter for {key!r}; there are: {sorted(BUILDERS)}")
    where = out / key
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    return BUILDERS[key](where)


def table(results: dict[str, list[conformance.Row]]) -> str:
    """One line per case, one column per generator: pass, or FAIL."""
    keys = list(results)
    order = list(dict.fromkeys(row.case_id for rows in results.values() for row in rows))
    cell = {
        (key, row.case_id): "pass" if row.passed else "FAIL" for key, rows in results.items() for row in rows
    }
    lines = [
        "| case | " + " | ".join(keys) + " |",
        "| --- |" + " --- |" * len(keys),
        *(f"| {case} | " + " | ".join(cell.get((key, case), "—") for key in keys) + " |" for case in order),
        "| **passed** | "
        + " | ".join(f"{sum(row.passed for row in results[key])}/{len(results[key])}" for key in keys)
        + " |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hidream_contract.interop.conformance", description=__doc__
    )
    parser.add_argument("keys", nargs="*", help=f"default: all of {sorted(BUILDERS)}")
    parser.add_argument("--group", choices=["lifecycle", "faults", "secrets", "drift"])
    parser.add_argument("--report", type=Path, default=REPORTS / "conformance-generators.md")
    args = parser.parse_args(argv)
    keys = args.keys or list(BUILDERS)
    unknown = sorted(set(keys) - set(BUILDERS))
    if unknown:
        parser.error(f"no conformance adapter for {unknown}; there are: {sorted(BUILDERS)}")
    selected = conformance.cases(args.group)
    results: dict[str, list[conformance.Row]] = {}
    unbuilt: dict[str, str] = {}
    for key in keys:
        (target,) = select([key])
        missing = target.missing_toolchain()
        if not missing and target.generator and shutil.which("java") is None:
            missing = "java not installed (openapi-generator runs on it)"
        if missing:
            unbuilt[key] = f"not built here: {missing}"
            continue
        try:
            argv = build(key)
        except StepError as error:
            unbuilt[key] = f"the build failed (build/interop-conformance/{key}/log.txt): {error}"
            continue
        results[key] = conformance.run(conformance.command_adapter(argv), selected)
    text = "# Generated clients through the conformance catalog\n\n" + table(results)
    text += "".join(f"\n- {key}: {why}" for key, why in unbuilt.items()) + ("\n" if unbuilt else "")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text, encoding="utf-8")
    print(text, end="")
    lifecycle = {case["id"] for case in conformance.cases("lifecycle")}
    broken = [
        key for key, rows in results.items() if any(r.case_id in lifecycle and not r.passed for r in rows)
    ]
    if broken:
        print(f"lifecycle failed for: {', '.join(broken)}", file=sys.stderr)
    failed_builds = [key for key, why in unbuilt.items() if not why.startswith("not built here")]
    return 1 if broken or failed_builds else 0


if __name__ == "__main__":
    sys.exit(main())
