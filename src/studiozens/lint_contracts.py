"""Import-linter contract types of the project's own (``[tool.importlinter] contract_types``
in pyproject.toml). Loaded by ``lint-imports`` only, never by the running app."""

from __future__ import annotations

from typing import Any

from importlinter import Contract, ContractCheck, fields, output


class PluginsAboveCoreContract(Contract):
    """The core modules (``core``) never import another child of ``container``: a plugin
    module added later (any folder not in ``core``) may use the core's public faces, while
    the core finds it only through the settings' plugin list. So adding a plugin needs no
    edit here, and the core cannot come to depend on one."""

    type_name = "plugins_above_core"

    container = fields.StringField()
    core = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        core = set(self.core)  # type: ignore[call-overload]
        plugins = sorted(m for m in graph.find_children(self.container) if m not in core)
        broken = [
            (importer, plugin)
            for importer in sorted(core)
            for plugin in plugins
            if graph.chain_exists(importer=importer, imported=plugin, as_packages=True)
        ]
        return ContractCheck(kept=not broken, metadata={"broken": broken, "plugins": plugins})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, plugin in check.metadata["broken"]:
            output.print_error(
                f"{importer} imports the plugin module {plugin}: the core reaches a plugin "
                "only through the settings' plugin list.",
                bold=False,
            )
            output.new_line()
