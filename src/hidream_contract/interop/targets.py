"""The generators of the matrix: how each is run, built and driven.

Every target generates into build/interop/<key>/client/. A target with a driver (source in
sdk_consumers/interop/<key>/) is then built and driven: the driver decodes every case offline and,
given a base URL, calls the operation on the Prism mock. A target whose toolchain is missing, or that
has no driver because its libraries cannot be had here, stays generate-only and says why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version as python_version
from pathlib import Path

from hidream_contract.project import CONFIG, ROOT

DRIVERS = ROOT / "sdk_consumers" / "interop"
NODE_BIN = ROOT / "node_modules" / ".bin"
STEP_TIMEOUT_S = 600
TOOL_PATH = os.pathsep.join([str(Path(sys.executable).parent), str(NODE_BIN)])  # as scripts/env.sh
CACHE = ROOT / "build" / "interop-cache"
"""What outlives one matrix run (build/interop/ is made anew each time): cargo's target folder."""
DEBIAN_GUZZLE = Path("/usr/share/php/GuzzleHttp/autoload.php")
"""Guzzle 7 for the PHP client, from Debian (scripts/install --interop: apt-get install php-cli
php-guzzlehttp-guzzle php-mbstring php-curl): Packagist is not reachable, and the client needs nothing
else but its own PSR-4 folder."""
MAVEN = ["mvn", "-B", "-q", "--no-transfer-progress"]
OAPI_CODEGEN_VERSION = "2.8.2"
"""oapi-codegen, Go's most used generator, run as `go run <module>@v<version>` from the Go module proxy (the
module's hash checked against the Go checksum database, as go always does)."""
OAPI_CODEGEN = f"github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v{OAPI_CODEGEN_VERSION}"
GO_ENV = {"GOTOOLCHAIN": "local", "GOWORK": "off"}


class StepError(RuntimeError):
    """A step failed; the message is the tail of its output."""


def _lock_with_client_version(lock: Path, client_manifest: Path) -> str:
    """The driver's Cargo.lock with the generated crate's entry at the version it has now: the
    generator writes the spec's `info.version` into it, so it moves with every release, while every
    crates.io package stays pinned (`--locked` still refuses any other change to the lock)."""
    client = tomllib.loads(client_manifest.read_text("utf-8"))["package"]
    pattern = re.compile(rf'(name = "{re.escape(client["name"])}"\nversion = )"[^"]*"')
    text, found = pattern.subn(rf'\1"{client["version"]}"', lock.read_text("utf-8"))
    if found != 1:
        raise StepError(f"{lock}: no single entry for the generated crate {client['name']!r}")
    return text


def run(argv: Sequence[str | Path], *, cwd: Path, log: Path, env: dict[str, str] | None = None) -> str:
    """Run a step, its output into `log`; its stdout, or StepError with the log's tail."""
    try:
        done = subprocess.run(
            [str(a) for a in argv],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=STEP_TIMEOUT_S,
            env={**os.environ, "PATH": TOOL_PATH + os.pathsep + os.environ.get("PATH", ""), **(env or {})},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise StepError(f"could not run {Path(str(argv[0])).name}: {error}") from None
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(str(a) for a in argv)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-6:]
        raise StepError(f"exit {done.returncode}: " + " | ".join(tail))
    return done.stdout


def npm_version(package: str) -> str:
    manifest = ROOT / "node_modules" / package / "package.json"
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"]) if manifest.exists() else "?"


@dataclass(frozen=True)
class Target:
    key: str  # folder under build/interop and sdk_consumers/interop
    tool: str  # as the table names it
    language: str  # python, node, go, java, ... (what the driver runs on)
    generator: str = ""  # openapi-generator's generator name, "" for the other tools
    properties: dict[str, str] = field(default_factory=dict)
    generate_only: str = ""  # why there is no driver
    needs: tuple[str, ...] = ()  # commands the build needs on PATH beyond `make install`
    reads_30_only: bool = False  # generated from the spec's 3.0 rendition (hidream_contract.openapi30)

    @property
    def local(self) -> bool:
        """Built and driven with only what `make install` brings: Python and Node (`make test` runs these)."""
        return self.language in ("python", "node") and not self.needs and not self.generate_only

    def version(self) -> str:
        if self.generator:
            return python_version("openapi-generator-cli")
        return {
            "openapi-python-client": lambda: python_version("openapi-python-client"),
            "datamodel-code-generator": lambda: python_version("datamodel-code-generator"),
            "openapi-typescript": lambda: npm_version("openapi-typescript"),
            "@hey-api/openapi-ts": lambda: npm_version("@hey-api/openapi-ts"),
            "openapi-typescript-codegen": lambda: npm_version("openapi-typescript-codegen"),
            "oapi-codegen": lambda: OAPI_CODEGEN_VERSION,
        }[self.tool]()

    def missing_toolchain(self) -> str:
        """'' when the build can run here, else what is missing."""
        absent = [command for command in self.needs if shutil.which(command) is None]
        if absent:
            return f"{', '.join(absent)} not installed"
        if self.language == "php" and not DEBIAN_GUZZLE.exists():
            return f"Guzzle 7 missing ({DEBIAN_GUZZLE}; scripts/install --interop installs it from Debian)"
        return ""

    def generate(self, spec: Path, out: Path, log: Path) -> None:
        """Run a generator that is not openapi-generator (those run in one batch, see `generate_batch`)."""
        client = out / "client"
        if self.tool == "openapi-python-client":
            run(
                [
                    Path(sys.executable).parent / "openapi-python-client",
                    "generate",
                    "--path",
                    spec,
                    "--config",
                    CONFIG / "openapi-python-client.yaml",
                    "--custom-template-path",
                    CONFIG / "templates",
                    "--meta",
                    "none",
                    "--output-path",
                    client / "hidream_api_client",
                    "--fail-on-warning",
                ],
                cwd=out,
                log=log,
            )
        elif self.tool == "datamodel-code-generator":
            client.mkdir(parents=True, exist_ok=True)
            run(
                [
                    Path(sys.executable).parent / "datamodel-codegen",
                    "--input",
                    spec,
                    "--input-file-type",
                    "openapi",
                    "--output-model-type",
                    "pydantic_v2.BaseModel",
                    "--target-python-version",
                    "3.11",
                    "--use-title-as-name",
                    "--disable-timestamp",
                    "--output",
                    client / "models.py",
                ],
                cwd=out,
                log=log,
            )
        elif self.tool == "openapi-typescript":
            client.mkdir(parents=True, exist_ok=True)
            run([NODE_BIN / "openapi-typescript", spec, "--output", client / "schema.ts"], cwd=out, log=log)
        elif self.tool == "@hey-api/openapi-ts":
            run([NODE_BIN / "openapi-ts", "--input", spec, "--output", client], cwd=out, log=log)
        elif self.tool == "openapi-typescript-codegen":
            # Its bin is `openapi`, a name @redocly/cli's bin takes too (which one node_modules/.bin links
            # depends on the install order): the package's own file, by path.
            cli = ROOT / "node_modules" / "openapi-typescript-codegen" / "bin" / "index.js"
            run(
                ["node", cli, "--input", spec, "--output", client, "--client", "fetch"],
                cwd=out,
                log=log,
            )
        elif self.tool == "oapi-codegen":
            client.mkdir(parents=True, exist_ok=True)
            config = DRIVERS / self.key / "oapi-codegen.yaml"
            output = client / "client.gen.go"
            run(
                ["go", "run", OAPI_CODEGEN, "-config", config, "-o", output, spec],
                cwd=out,
                log=log,
                env=GO_ENV,
            )
        else:  # pragma: no cover - a new tool needs its branch here
            raise StepError(f"no generate step for {self.tool}")

    def build(self, out: Path, log: Path) -> list[str]:
        """Build the client and its driver; the argv that runs the driver (cases file, then base URL)."""
        driver = DRIVERS / self.key
        if self.language == "python":
            return [sys.executable, str(driver / "driver.py"), str(out / "client")]
        if self.language == "node":
            work = out / "driver"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            shutil.copy(driver / "driver.ts", work / "driver.ts")
            shutil.copy(DRIVERS / "common.ts", work / "common.ts")
            shutil.copy(DRIVERS / "tsconfig.json", out / "tsconfig.json")
            # tsc and node find packages (axios) by walking up from the file: give any out folder ours.
            if not (out / "node_modules").exists():
                (out / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
            run([NODE_BIN / "tsc", "-p", out / "tsconfig.json", "--outDir", out / "js"], cwd=out, log=log)
            return ["node", str(out / "js" / "driver" / "driver.js")]
        if self.language == "go" and self.tool == "oapi-codegen":
            # The client is a package of the driver's module, whose go.mod and go.sum pin the one module
            # the generated code imports (github.com/oapi-codegen/runtime) and what that needs.
            work = out / "driver"
            shutil.rmtree(work, ignore_errors=True)
            (work / "client").mkdir(parents=True)
            for name in ("main.go", "go.mod", "go.sum"):
                shutil.copy(driver / name, work / name)
            shutil.copy(out / "client" / "client.gen.go", work / "client" / "client.gen.go")
            env = {**GO_ENV, "GOFLAGS": "-mod=readonly"}
            run(["go", "build", "-o", out / "driver-bin", "."], cwd=work, log=log, env=env)
            return [str(out / "driver-bin")]
        if self.language == "go":
            work = out / "driver"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            shutil.copy(driver / "main.go", work / "main.go")
            module = self.go_module()
            go_mod = f"module interopdriver\n\ngo 1.19\n\nrequire {module} v0.0.0\n"
            go_mod += f"\nreplace {module} => ../client\n"
            (work / "go.mod").write_text(go_mod, encoding="utf-8")
            # The client needs no module beyond the standard library: nothing is fetched.
            env = {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local", "GOWORK": "off"}
            run(["go", "build", "-o", out / "driver-bin", "."], cwd=work, log=log, env=env)
            return [str(out / "driver-bin")]
        if self.language == "java":
            # The libraries, at the versions the generated pom.xml names, from Maven Central (pom.xml).
            jars = out / "jars"
            run(
                [
                    *MAVEN,
                    "-f",
                    driver / "pom.xml",
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={jars}",
                ],
                cwd=out,
                log=log,
            )
            classes = out / "classes"
            shutil.rmtree(classes, ignore_errors=True)
            sources = sorted(str(p) for p in (out / "client" / "src" / "main" / "java").rglob("*.java"))
            classpath = os.pathsep.join(sorted(str(j) for j in jars.glob("*.jar")))
            run(
                [
                    "javac",
                    "-nowarn",
                    "-encoding",
                    "UTF-8",
                    "-cp",
                    classpath,
                    "-d",
                    classes,
                    *sources,
                    driver / "Driver.java",
                ],
                cwd=out,
                log=log,
            )
            return ["java", "-cp", os.pathsep.join([str(classes), classpath]), "Driver"]
        if self.language == "kotlin":
            # The generated build is Gradle, whose distribution is not reachable: Maven compiles the
            # sources with the kotlin-maven-plugin and the libraries build.gradle names (pom.xml).
            run(
                [
                    *MAVEN,
                    "-f",
                    driver / "pom.xml",
                    f"-Dout.dir={out}",
                    f"-Dclient.dir={out / 'client'}",
                    f"-Ddriver.dir={driver}",
                    "package",
                    "dependency:copy-dependencies",
                ],
                cwd=out,
                log=log,
            )
            target = out / "target"
            classpath = os.pathsep.join(
                [str(target / "classes"), *sorted(str(j) for j in (target / "jars").glob("*.jar"))]
            )
            return ["java", "-cp", classpath, "DriverKt"]
        if self.language == "rust":
            work = out / "driver"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            shutil.copy(driver / "Cargo.toml", work / "Cargo.toml")
            (work / "Cargo.lock").write_text(
                _lock_with_client_version(driver / "Cargo.lock", out / "client" / "Cargo.toml"), "utf-8"
            )
            shutil.copytree(driver / "src", work / "src")
            # Cargo.lock pins every crate (--locked); crates.io serves them; the target folder is kept
            # between runs, so only the first build compiles reqwest and tokio.
            target = CACHE / "cargo-target"
            run(
                ["cargo", "build", "--locked", "--quiet"],
                cwd=work,
                log=log,
                env={"CARGO_TARGET_DIR": str(target)},
            )
            return [str(target / "debug" / "interop-driver")]
        if self.language == "php":
            run(["php", "-l", driver / "driver.php"], cwd=out, log=log)
            return ["php", str(driver / "driver.php"), str(out / "client")]
        raise StepError(f"no build step for {self.language}")  # pragma: no cover

    def go_module(self) -> str:
        return f"{self.properties['gitHost']}/{self.properties['gitUserId']}/{self.properties['gitRepoId']}"


OG = "openapi-generator"
GO_MODULE = {
    "packageName": "hidream",
    "gitHost": "example.com",
    "gitUserId": "hidream",
    "gitRepoId": "client",
}

TARGETS: tuple[Target, ...] = (
    Target("openapi-python-client", "openapi-python-client", "python"),
    Target("og-python", OG, "python", generator="python", properties={"packageName": "hidream_og"}),
    Target(
        "og-typescript-fetch", OG, "node", generator="typescript-fetch", properties={"supportsES6": "true"}
    ),
    Target(
        "og-typescript-axios", OG, "node", generator="typescript-axios", properties={"supportsES6": "true"}
    ),
    # disallowAdditionalPropertiesIfNotPresent=false: by default the go client refuses an answer with
    # a field the spec does not name (`json: unknown field "trace_id"`), which the spec allows
    # (docs/interop.md).
    Target(
        "og-go",
        OG,
        "go",
        generator="go",
        properties={**GO_MODULE, "disallowAdditionalPropertiesIfNotPresent": "false"},
        needs=("go",),
    ),
    Target(
        "og-java",
        OG,
        "java",
        generator="java",
        properties={"library": "native", "openApiNullable": "false", "useJakartaEe": "true"},
        needs=("javac", "java", "mvn"),
    ),
    Target(
        "og-csharp",
        OG,
        "csharp",
        generator="csharp",
        generate_only="no .NET SDK can be installed here: Debian bookworm has none (only Mono 6.8, whose mcs "
        "cannot build the generated net8.0 client), PyPI and npm have none, and NuGet is not reachable",
    ),
    # Jackson, not the default moshi: moshi writes the integer enum upsale_ratio as the string "2", which
    # the spec (and Prism) refuse; Jackson's enum writes the number (docs/interop.md).
    Target(
        "og-kotlin",
        OG,
        "kotlin",
        generator="kotlin",
        properties={"serializationLibrary": "jackson"},
        needs=("mvn", "java"),
    ),
    Target("og-php", OG, "php", generator="php", needs=("php",)),
    Target("og-rust", OG, "rust", generator="rust", needs=("cargo",)),
    Target("datamodel-code-generator", "datamodel-code-generator", "python"),
    Target("openapi-typescript", "openapi-typescript", "node"),
    Target("hey-api-openapi-ts", "@hey-api/openapi-ts", "node"),
    # Generators that read only OpenAPI 3.0: they are given the spec's 3.0 rendition.
    Target("oapi-codegen", "oapi-codegen", "go", needs=("go",), reads_30_only=True),
    Target("openapi-typescript-codegen", "openapi-typescript-codegen", "node", reads_30_only=True),
)


def generate_batch(targets: Sequence[Target], spec: Path, root: Path, log: Path) -> None:
    """All openapi-generator targets in one JVM (`openapi-generator-cli batch`): ~7 s instead of ~9 x 4 s."""
    configs = []
    for target in targets:
        config = root / target.key / "generator.json"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            json.dumps(
                {
                    "generatorName": target.generator,
                    "inputSpec": str(spec),
                    "outputDir": str(root / target.key / "client"),
                    "additionalProperties": {"hideGenerationTimestamp": "true", **target.properties},
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        configs.append(config)
    if configs:
        run([Path(sys.executable).parent / "openapi-generator-cli", "batch", *configs], cwd=root, log=log)
